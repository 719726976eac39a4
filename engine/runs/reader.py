"""Reading run folders: the record of a run, whether its writer is still alive, and the
evaluations made after the run (added to the folder, the summary keeping the latest)."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.core import events as ev
from engine.core.files import atomic_write_json, jsonable
from engine.core.i18n import N_, _
from engine.runs.checked import UnreadableRun, metrics_row, read_config, read_summary

RUNNING = "running"


INCOMPLETE = "incomplete"


def default_runs_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("overfit-lab", appauthor=False)) / "runs"


def writer_identity() -> dict:
    """Who writes a folder: a reader on the same host tells a crashed writer by its pid."""
    return {"pid": os.getpid(), "host": platform.node()}


STALE_AFTER_S = 600  # a folder of another host unchanged this long: its writer is gone


def writer_alive(info: dict, folder: Path) -> bool:
    """Whether the process that marked `folder` running may still be writing it: by its
    heartbeat.json where it beats one (engine.runs.remote), else by its pid on this host and
    by its files' age on another."""
    from engine.runs.remote import heartbeat_state

    state = heartbeat_state(folder)
    if state is not None:
        return state == "alive"
    pid, host = info.get("pid"), info.get("host")
    if pid is None:
        return False  # written before writers said who they were
    if host == platform.node():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except (PermissionError, OSError, ValueError):
            return True
        return True
    newest = max((f.stat().st_mtime for f in folder.iterdir() if f.is_file()), default=0.0)
    return time.time() - newest < STALE_AFTER_S


def result_from_summary(summary: dict) -> ev.RunFinished:
    """A finished run's RunFinished, read back from its summary."""
    return ev.RunFinished(
        reason=summary.get("status", INCOMPLETE), message=summary.get("message", ""),
        epochs_completed=summary.get("epochs_completed", 0), step=summary.get("steps", 0),
        best_epoch=summary.get("best_epoch"), best_value=summary.get("best_value"),
        final_metrics=summary.get("final_metrics") or {})


@dataclass
class RunRecord:
    path: Path
    config: dict
    summary: dict
    steps: list[dict] = field(default_factory=list)
    epochs: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    skipped_lines: int = 0  # unreadable lines (a half-written last line after a crash)

    @property
    def status(self) -> str:
        return self.summary.get("status", INCOMPLETE)

    @property
    def complete(self) -> bool:
        return self.status in ev.REASONS


PAUSED = "paused"
# A run's status in words (`main.py runs`, the runs browser), by its summary's status
# (marked N_: whoever shows one translates it, _(word))
STATUS_WORDS = {RUNNING: N_("running"), PAUSED: N_("paused"), ev.COMPLETED: N_("completed"),
                ev.EARLY_STOPPED: N_("stopped early"), ev.USER_STOPPED: N_("stopped by the user"),
                INCOMPLETE: N_("stopped — writer gone"), ev.DIVERGED: N_("diverged"), ev.FAILED: N_("failed")}


def status_word(record: RunRecord) -> str:
    """What a run is doing or how it ended, in words: a running run whose last pause event is
    a Paused (not yet Resumed) is paused; one whose writer is gone reads "stopped — writer gone"."""
    status = record.status
    if status == RUNNING:
        moves = [e.get("event") for e in record.events if e.get("event") in ("Paused", "Resumed")]
        if moves and moves[-1] == "Paused":
            status = PAUSED
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


# i18n: {what} is what cannot be done ("evaluating it", "training its cleaned twin")
FOREIGN = {"script": N_("{path}: this run was written by a script through the logger (overfit_lab); {what} needs "
                        "the network and data it trained on, which are the script's, not the folder's: do it in "
                        "the script (its curves, gap and suspects are here to read)"),
           "tensorboard": N_("{path}: this run was imported from TensorBoard event files; {what} needs the network "
                             "and data it trained on, which are the script's, not the folder's: do it in the script "
                             "(its curves, gap and suspects are here to read)")}


def not_trained_here(path: str | Path, what: str) -> str | None:
    """Why `what` (training a twin, evaluating; translated by the caller) cannot be done with a
    run the app did not train: its network and data are the script's, which the folder does not hold."""
    try:
        source = json.loads((Path(path) / "summary.json").read_text(encoding="utf-8")).get("source")
    except (OSError, ValueError, AttributeError):
        return None
    if source not in FOREIGN:
        return None
    return _(FOREIGN[source]).format(path=path, what=what)


def require_run_folder(path: str | Path) -> Path:
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(_("{path}: not a run folder (no config.json)").format(path=path))
    return path


def read_run(path: str | Path) -> RunRecord:
    """Read a run folder. A run cut off by a crash reads with status 'incomplete'; lines of
    its metrics that cannot be read (the half-written last one) are counted and skipped.
    Raises FileNotFoundError for a folder that is no run folder, and UnreadableRun naming
    the file for a damaged config or summary, or metrics of which no line can be read (or
    none at all, of a finished run)."""
    path = require_run_folder(path)
    config = read_config(path)
    summary = read_summary(path)
    if summary.get("status", RUNNING) == RUNNING and not writer_alive(summary, path):
        summary["status"] = INCOMPLETE
    record = RunRecord(path=path, config=config, summary=summary)
    metrics = path / "metrics.jsonl"
    if metrics.is_file():
        first_error, rows = None, 0
        with open(metrics, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    row = metrics_row(metrics, line, number)
                except UnreadableRun as exc:
                    record.skipped_lines += 1
                    first_error = first_error or exc
                    continue
                if row is None:
                    continue
                rows += 1
                kind = row.get("type")
                (record.steps if kind == "step" else record.epochs if kind == "epoch" else record.events).append(row)
        if rows == 0 and first_error is not None:
            raise first_error
        if rows == 0 and record.complete:
            raise UnreadableRun(metrics, _("empty, but the run finished"))
    return record


RUN_FILES = ("config.json", "summary.json")  # a folder with either is a run folder (maybe damaged)


def list_runs(folder: str | Path) -> list[Path]:
    """The run folders directly inside `folder`, by name."""
    root = Path(folder)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and any((p / n).is_file() for n in RUN_FILES))


SUMMARY_KEYS = {"test": "test", "val": "validation"}  # where a split's latest report is kept


def recorded_evaluation(path: str | Path, split: str) -> ev.Evaluated | None:
    """The evaluation on `split` a run folder records (for "test": the one), if any."""
    record = dict(read_summary(Path(path)).get(SUMMARY_KEYS[split]) or {})
    if not record:
        return None
    record.pop("event", None)
    record.setdefault("split", split)  # records of older versions (TestEvaluated) had none
    known = {f.name for f in dataclasses.fields(ev.Evaluated)}
    try:
        return ev.Evaluated(**{k: v for k, v in record.items() if k in known})
    except TypeError:  # fields missing: not a report this version can show
        missing = sorted(f.name for f in dataclasses.fields(ev.Evaluated)
                         if f.name not in record and f.default is dataclasses.MISSING
                         and f.default_factory is dataclasses.MISSING)
        # i18n: {fields} names the missing fields of the record, as written in the file
        raise UnreadableRun(Path(path) / "summary.json", _("'{key}' is not a whole evaluation report (it lacks "
                                                           "{fields})").format(key=SUMMARY_KEYS[split],
                                                                               fields=", ".join(missing) or _("fields"))) from None


def record_evaluation(path: str | Path, report: ev.Evaluated) -> None:
    """Add an evaluation made after the run to its folder (a metrics line; the summary
    keeps the latest of each split)."""
    path = Path(path)
    record = ev.to_record(report)
    summary = read_summary(path)  # a damaged summary is said before anything is added
    metrics = path / "metrics.jsonl"
    cut_off = metrics.is_file() and metrics.stat().st_size > 0 and not _ends_with_newline(metrics)
    with open(metrics, "a", encoding="utf-8") as fh:
        # after a crash the last line may be half-written: the new line starts a line of its own
        fh.write(("\n" if cut_off else "") + json.dumps({"type": "event", **record}, default=jsonable) + "\n")
    summary[SUMMARY_KEYS[report.split]] = record
    atomic_write_json(path / "summary.json", summary)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"


def ending_weights(path: str | Path) -> str:
    """Which saved weights a run ended with: "best" where early stopping put its best epoch
    back (or the run diverged and its best was restored), else "last"."""
    try:
        summary = json.loads((Path(path) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = {}
    final = summary.get("final_metrics") if isinstance(summary, dict) else None
    restored = isinstance(final, dict) and final.get("restored_best_epoch") is not None
    return "best" if restored and (Path(path) / "best.safetensors").is_file() else "last"
