"""A run folder's files read as what they should be, or an `UnreadableRun` that names the
file and what is wrong with it.

Any file of a runs folder can be empty, binary, cut off or of another shape (a disk that
filled up, a copy that stopped half-way, an edit by hand). Only the fields the readers use
are checked, so a file written by another version with more fields reads as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.core.i18n import N_, _, integer

NUMBER = (int, float)
NOT_SET = type(None)

# field -> the types it may have (None always allowed: unknown, or not yet written)
CONFIG_SECTIONS = {"run": dict, "data": dict, "model": dict, "optim": dict, "regularization": dict}
CONFIG_FIELDS = {"run": {"name": str, "seed": int}, "data": {"dataset": str}}
SUMMARY_FIELDS = {"status": str, "name": str, "message": str, "started_at": str, "host": str, "pid": int,
                  "epochs_completed": int, "steps": int, "best_epoch": int, "final_metrics": dict,
                  "test": dict, "validation": dict}
FINAL_METRICS_FIELDS = {"max_val_accuracy": NUMBER, "best_val_accuracy": NUMBER, "end_gap": NUMBER}
EVALUATION_FIELDS = {"accuracy": NUMBER}
EXPERIMENT_FIELDS = {"name": str, "kind": str, "status": str, "planned_trials": int, "trials": list,
                     "meta": dict, "host": str, "pid": int}
TRIAL_FIELDS = {"index": int, "run_dir": str, "abandoned": list}


class UnreadableRun(OSError):
    """A file of a run or experiment folder that cannot be read as what it should be.

    An OSError, so that whoever reports unreadable files (the command line, the exports)
    reports this one the same way: with the file's path and the reason."""

    def __init__(self, path: Path, reason: str):
        super().__init__(_("{path}: {reason}").format(path=path, reason=reason))
        self.path, self.reason = Path(path), reason


def _kind(value: Any) -> str:
    kinds = {dict: N_("an object"), list: N_("a list"), str: N_("a string"), bool: N_("true/false"),
             int: N_("a number"), float: N_("a number"), NOT_SET: N_("null")}
    return _(kinds[type(value)]) if type(value) in kinds else type(value).__name__


def check_fields(path: Path, record: dict, fields: dict[str, type | tuple], where: str = "",
                 nullable: bool = True) -> None:
    """Each of `fields` present in `record` has one of its types (or is null, if `nullable`)."""
    for key, types in fields.items():
        if key not in record or (record[key] is None and nullable):
            continue
        value = record[key]
        allowed = types if isinstance(types, tuple) else (types,)
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            expected = _(" or ").join(sorted({_kind(t()) for t in allowed}))
            # i18n: {field} is a JSON field's name; {kind} and {expected} are "a number", "an object"…
            raise UnreadableRun(path, _("'{field}' is {kind}, not {expected}").format(
                field=f"{where}{key}", kind=_kind(value), expected=expected))


def parse_object(path: Path, data: bytes, what: str | None = None) -> dict:
    """`data` (the bytes of `path`, or one line of it) as a JSON object. `what`: how the
    message names it ("the file", "line 3"), already translated; "JSON" by default."""
    what = _("JSON") if what is None else what
    # i18n: {what} in the messages below is "the file", "line 3" or "JSON"
    if not data.strip():
        raise UnreadableRun(path, _("{what} is empty").format(what=what))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableRun(path, _("{what} is not text (binary data)").format(what=what)) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        # i18n: {error} is Python's own JSON error, in English
        raise UnreadableRun(path, _("{what} is not valid JSON, cut off or damaged ({error}, line {line} column "
                                    "{column})").format(what=what, error=exc.msg, line=integer(exc.lineno),
                                                        column=integer(exc.colno))) from None
    if not isinstance(value, dict):
        raise UnreadableRun(path, _("{what} is {kind}, not an object").format(what=what, kind=_kind(value)))
    return value


def read_object(path: Path, required: bool = True) -> dict:
    """A JSON file that holds one object; {} for a missing file that is not `required`."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        if required:
            raise UnreadableRun(path, _("missing")) from None
        return {}
    except OSError as exc:
        raise UnreadableRun(path, cannot_read(exc)) from None
    return parse_object(path, data, _("the file"))


def cannot_read(exc: OSError) -> str:
    """Why a file cannot be read, from the system's error (its words stay the system's)."""
    return _("cannot be read ({error})").format(error=exc.strerror or exc)


def read_config(folder: Path) -> dict:
    """A run folder's config.json, as a dict of sections (not yet validated as settings)."""
    path = Path(folder) / "config.json"
    config = read_object(path)
    check_fields(path, config, CONFIG_SECTIONS, nullable=False)
    for section, fields in CONFIG_FIELDS.items():
        check_fields(path, config.get(section) or {}, fields, f"{section}.")
    return config


def read_summary(folder: Path) -> dict:
    """A run folder's summary.json; {} where there is none yet (a run being set up)."""
    path = Path(folder) / "summary.json"
    summary = read_object(path, required=False)
    check_fields(path, summary, SUMMARY_FIELDS)
    check_fields(path, summary.get("final_metrics") or {}, FINAL_METRICS_FIELDS, "final_metrics.")
    for split in ("test", "validation"):
        check_fields(path, summary.get(split) or {}, EVALUATION_FIELDS, f"{split}.")
    return summary


def read_experiment_record(folder: Path, name: str) -> dict:
    """An experiment folder's record (experiment.json)."""
    path = Path(folder) / name
    record = read_object(path)
    check_fields(path, record, EXPERIMENT_FIELDS)
    check_fields(path, record, {"base": dict}, nullable=False)
    check_fields(path, record.get("base", {}), {"run": dict}, "base.", nullable=False)
    check_fields(path, record.get("base", {}).get("run", {}), {"name": str}, "base.run.")
    for i, trial in enumerate(record.get("trials") or []):
        if not isinstance(trial, dict):
            raise UnreadableRun(path, _("'trials' item {number} is {kind}, not an object").format(
                number=integer(i + 1), kind=_kind(trial)))
        check_fields(path, trial, TRIAL_FIELDS, f"trials[{i + 1}].")
        if not all(isinstance(d, str) for d in trial.get("abandoned") or []):
            raise UnreadableRun(path, _("'{field}' is not a list of folder names").format(
                field=f"trials[{i + 1}].abandoned"))
    return record


FIRST_LINE_LIMIT = 1 << 20  # a run's first metrics line (RunStarted) is a few kB


def check_metrics(folder: Path, finished: bool) -> None:
    """A cheap look at metrics.jsonl, without reading it all: its first line is a JSON
    object, and a finished run's file is not empty and ends with a whole line (a run cut
    off by a crash may end mid-line: the readers skip that line)."""
    path = Path(folder) / "metrics.jsonl"
    try:
        with open(path, "rb") as fh:
            first = fh.readline(FIRST_LINE_LIMIT)
            if finished and first:
                fh.seek(-1, 2)
                last = fh.read(1)
    except FileNotFoundError:
        if finished:
            raise UnreadableRun(path, _("missing")) from None
        return
    except OSError as exc:
        raise UnreadableRun(path, cannot_read(exc)) from None
    if not first:
        if finished:
            raise UnreadableRun(path, _("empty, but the run finished"))
        return
    parse_object(path, first, line_name(1))
    if finished and last != b"\n":
        raise UnreadableRun(path, _("cut off: its last line is incomplete, but the run finished"))


def line_name(number: int) -> str:
    """A line of a file as a message names it."""
    return _("line {number}").format(number=integer(number))


def metrics_row(path: Path, line: bytes, number: int) -> dict | None:
    """One line of metrics.jsonl as a dict; None for a blank line. Raises UnreadableRun."""
    return parse_object(path, line, line_name(number)) if line.strip() else None
