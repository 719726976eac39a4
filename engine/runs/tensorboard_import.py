"""TensorBoard event files as run folders.

Each run of a log folder (a folder of event files; Keras's train/ and validation/ subfolders
are one run) becomes a run folder in the engine's format, so the Training tab, the runs
browser and the comparison show it: one epoch line per validation point, its train values
those logged since the previous one (engine.runs.tensorboard_tags pairs the tags). Importing
again appends the epochs written since (and completes the last epoch where it was read before
all its values were written): a folder still being written is followed. A run whose event
file ends mid-record imports "incomplete" (its writer may still be writing it), not "completed".

The event files are read by engine.runs.tensorboard_files (TensorBoard's own loader, imported
only when a folder is read: the app starts without tensorboard installed)."""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.events import COMPLETED
from engine.core.files import atomic_write_json, atomic_write_text, jsonable
from engine.core.i18n import _, integer
from engine.runs.checked import UnreadableRun, read_summary
from engine.runs.reader import INCOMPLETE
from engine.runs.tensorboard_files import EventFiles, TensorBoardMissing, find_runs, loader_class
from engine.runs.tensorboard_tags import KNOWN, Pairing, columns, pair_tags

__all__ = ["NoEventFiles", "RunImport", "TensorBoardImport", "TensorBoardMissing", "import_tensorboard"]

SOURCE = "tensorboard"


def _points(points: dict[int, tuple[float, float]]) -> list[tuple[int, float, float]]:
    return [(step, wall, value) for step, (wall, value) in sorted(points.items())]


def _clock(pairing: Pairing) -> str | None:
    """The tag whose points are the epochs: a validation curve (loss first), else a train one."""
    order = sorted(pairing.pairs, key=lambda m: (m not in KNOWN, m != "loss"))
    for side in (1, 0):
        for metric in order:
            if pairing.pairs[metric][side]:
                return pairing.pairs[metric][side]
    return None


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def epoch_rows(files: EventFiles, pairing: Pairing, hold_last: bool = False) -> list[dict]:
    """One epoch line per point of the clock tag; each other curve's value is the mean of its
    points since the clock's previous point (step-level train losses become the epoch's mean).
    hold_last: the last epoch waits while an epoch-level curve has not reached its step yet
    (Lightning writes validation before the epoch's train values)."""
    clock = _clock(pairing)
    if clock is None:
        return []
    ticks = _points(files.series[clock])
    curves = {tag: _points(files.series[tag]) for pair in pairing.pairs.values() for tag in pair if tag}
    if hold_last and ticks:
        last = ticks[-1][0]
        if any(len(points) >= len(ticks) - 1 and points[-1][0] < last for points in curves.values()):
            ticks = ticks[:-1]
    lr = _points(files.series[pairing.lr]) if pairing.lr else []
    rows, previous, best = [], None, None
    for number, (step, wall, _value) in enumerate(ticks, start=1):
        row = {"type": "epoch", "epoch": number, "step": step}
        for metric, pair in pairing.pairs.items():
            for tag, key in zip(pair, columns(metric), strict=True):
                if tag:
                    window = [v for s, _, v in curves[tag] if (previous is None or s > previous[0]) and s <= step]
                    row[key] = sum(window) / len(window) if window else None
        for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
            row.setdefault(key, None)
        row["accuracy_gap"] = _difference(row["train_accuracy"], row["val_accuracy"])
        row["loss_gap"] = _difference(row["val_loss"], row["train_loss"])
        row["lr"] = next((v for s, _, v in reversed(lr) if s <= step), None)
        row.update(weight_norms={}, grad_norms={}, penalty=None, samples_per_sec=None,
                   epoch_time=round(wall - previous[1], 3) if previous else None)
        value = row["val_loss"]
        row["is_best"] = value is not None and math.isfinite(value) and (best is None or value < best)
        best = value if row["is_best"] else best
        rows.append(row)
        previous = (step, wall)
    return rows


class NoEventFiles(FileNotFoundError):
    """A log folder without event files; the message names it."""


def run_folder_name(logdir: Path, name: str) -> str:
    """The same run of the same log folder imports into the same run folder, every time."""
    from engine.runs.writer import _slug

    digest = hashlib.sha1(f"{logdir.resolve()}::{name}".encode()).hexdigest()[:8]
    return f"tb-{_slug(name.replace('/', '-'))}-{digest}"


@dataclass
class RunImport:
    """What one import did with one run of the log folder."""
    name: str  # the run's folder inside the log folder
    folder: Path | None  # the run folder written; None where there was nothing to import
    pairing: Pairing
    epochs: int = 0  # in the run folder now
    added: int = 0  # by this import
    problems: list[str] = field(default_factory=list)  # each names the file or the tags
    status: str = ""  # the run folder's status now ("incomplete": an event file is cut off)
    # Something could not be read: an event file damaged, cut off or unreadable, or no scalars
    # at all (the window titles its notes so; the problems' words are the language's).
    damaged: bool = False


def _epoch_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(1 for line in fh if b'"type": "epoch"' in line)
    except FileNotFoundError:
        return 0


class TensorBoardImport:
    """A log folder imported into `out_dir`, again at each update() (the files read on from
    where the last update left them). `chosen`: train tag -> validation tag, pairs the user
    picked; kept in the run's summary, so the next import pairs them the same way."""

    def __init__(self, logdir: str | Path, out_dir: str | Path, chosen: dict[str, str] | None = None,
                 hold_last: bool = False):
        self.logdir, self.out_dir = Path(logdir).expanduser().absolute(), Path(out_dir)
        if not self.logdir.is_dir():
            raise NoEventFiles(_("{folder}: no such folder").format(folder=self.logdir))
        loader_class()  # tensorboard missing: said before anything is read
        self.chosen, self.hold_last = dict(chosen or {}), hold_last
        self.runs: dict[str, EventFiles] = {}
        self.written: dict[str, Path] = {}  # run -> its run folder, once written
        self.status, self.identity = COMPLETED, {}  # (engine.runs.tensorboard_follow: running, by whom)

    def _load(self) -> dict[str, EventFiles]:
        found = find_runs(self.logdir)
        if not found:
            raise NoEventFiles(_("{folder}: no TensorBoard event files (events.out.tfevents.*) in it or in its "
                                 "folders").format(folder=self.logdir))
        for name, folder in found.items():
            self.runs.setdefault(name, EventFiles(folder)).load()
        return {name: self.runs[name] for name in found}

    def preview(self) -> dict[str, Pairing]:
        """Each run's pairing, read but not yet written (to ask where it is ambiguous)."""
        return {name: pair_tags(files.counts(), self._chosen(name, files.counts(), [])[0])
                for name, files in self._load().items()}

    def update(self) -> list[RunImport]:
        return [self._import(name, files) for name, files in self._load().items()]

    def check_chosen(self) -> None:
        """After preview(): raises ValueError naming each tag of the pairs asked for now (--pair)
        that no run of the folder has, and the tags it has (a pair asked for is not ignored)."""
        tags = {tag for files in self.runs.values() for tag in files.counts()}
        missing = [tag for pair in self.chosen.items() for tag in pair if tag not in tags]
        if missing:
            # i18n: {tags} are TensorBoard tags as written in the files; "--pair" is an option as typed
            raise ValueError(_("--pair: no scalar tag {missing} in {folder} (its tags: {tags})").format(
                missing=", ".join(map(repr, missing)), folder=self.logdir, tags=", ".join(sorted(tags)) or _("none")))

    def target(self, name: str) -> Path:
        return self.out_dir / run_folder_name(self.logdir, name)

    def _previous(self, name: str) -> dict:
        target = self.target(name)
        previous = read_summary(target) if (target / "summary.json").is_file() else {}
        if previous and (previous.get("source") != SOURCE or previous.get("logdir") != str(self.logdir)):
            raise UnreadableRun(target / "summary.json", _("not an import of {folder}: not overwritten").format(
                folder=self.logdir))
        return previous

    def _chosen(self, name: str, counts: dict[str, int], problems: list[str]) -> tuple[dict[str, str], dict]:
        """The pairs the user chose (now, or at an earlier import of the run) that it has."""
        previous = self._previous(name)
        chosen = {**(previous.get("chosen_pairs") or {}), **self.chosen}
        chosen = {t: v for t, v in chosen.items() if t in counts or v in counts}
        folder = self.runs[name].folder
        for train, val in chosen.items():
            for tag in (train, val):
                if tag not in counts:
                    problems.append(_("{folder}: no scalar tag {tag} (its tags: {tags})").format(
                        folder=folder, tag=repr(tag), tags=", ".join(sorted(counts))))
        return {t: v for t, v in chosen.items() if t in counts and v in counts}, previous

    def _import(self, name: str, files: EventFiles) -> RunImport:
        target = self.target(name)
        problems = [_("{path}: {reason}").format(path=path, reason=what) for path, what in files.problems.items()]
        counts = files.counts()
        if not counts:
            nothing = (_("{folder}: no scalars in its event files (only {tags}): nothing to import").format(
                folder=files.folder, tags=", ".join(sorted(files.other_tags)[:6])) if files.other_tags else
                _("{folder}: no scalars in its event files: nothing to import").format(folder=files.folder))
            return RunImport(name, None, Pairing(), problems=[*problems, nothing], damaged=True)
        chosen, previous = self._chosen(name, counts, problems)
        pairing = pair_tags(counts, chosen)
        problems += _pairing_problems(files.folder, pairing)
        rows = epoch_rows(files, pairing, self.hold_last)
        if not rows:
            problems.append(_("{folder}: no train or validation curve among its tags ({tags}): nothing to "
                              "import").format(folder=files.folder, tags=", ".join(sorted(counts))))
            return RunImport(name, None, pairing, problems=problems, damaged=bool(files.problems))
        written = _epoch_lines(target / "metrics.jsonl")
        if previous and (previous.get("tags") or {}).get("pairs") != pairing.to_record()["pairs"]:
            written = 0  # paired otherwise now (the user's choice, a tag that appeared): written anew
        if written > len(rows):
            problems.append(_("{folder}: has fewer epochs ({count}) than its import {target} ({written}): the "
                              "event files were replaced? The run folder is left as it is").format(
                folder=files.folder, count=integer(len(rows)), target=target, written=integer(written)))
            return RunImport(name, target, pairing, written, 0, problems, damaged=bool(files.problems))
        status = self._write(target, name, files, rows, written, pairing, chosen, problems, previous)
        return RunImport(name, target, pairing, len(rows), len(rows) - written, problems, status,
                         damaged=bool(files.problems))

    def _write(self, target: Path, name: str, files: EventFiles, rows: list[dict], written: int,
               pairing: Pairing, chosen: dict, problems: list[str], previous: dict) -> str:
        if not target.is_dir():
            target.mkdir(parents=True)
            atomic_write_json(target / "config.json", {
                "run": {"name": name, "seed": None}, "data": {"dataset": SOURCE}, "model": {}, "optim": {},
                "regularization": {"monitor": "val_loss"},
                SOURCE: {"logdir": str(self.logdir), "run": name, "folder": str(files.folder)}})
        lines = [json.dumps(r, default=jsonable) + "\n" for r in rows[written:]]
        if written == 0:  # (paired anew: the event lines of the file written before are kept)
            atomic_write_text(target / "metrics.jsonl", _with_events(target / "metrics.jsonl", lines))
        elif (kept := _with_last_epoch(target / "metrics.jsonl", rows[written - 1])) is not None:
            atomic_write_text(target / "metrics.jsonl", kept + "".join(lines))
        elif lines:
            with open(target / "metrics.jsonl", "a", encoding="utf-8") as fh:
                fh.writelines(lines)
        self.written[name] = target
        first_wall = min(min(w for w, _value in points.values()) for points in files.series.values())
        best = max((r for r in rows if r["is_best"]), key=lambda r: r["epoch"], default=None)
        accuracies = [r["val_accuracy"] for r in rows if r["val_accuracy"] is not None]
        status, message = self.status, _("imported from the TensorBoard event files of {folder} ({count} epochs); "
                                         "importing again adds the epochs written since").format(
            folder=files.folder, count=integer(len(rows)))
        cut = sorted(files.cut_off)
        if cut and status == COMPLETED:  # not known to be finished: its writer may be mid-record
            status = INCOMPLETE
            message = _("imported up to where {file} is cut off ({count} epochs): the script writing it may still "
                        "be writing it (or was killed mid-record), so the run is not known to be finished; "
                        "importing again adds the epochs written since").format(file=cut[0],
                                                                                count=integer(len(rows)))
        atomic_write_json(target / "summary.json", {
            **previous, "status": status, **self.identity, "source": SOURCE, "logdir": str(self.logdir),
            "tensorboard_run": name, "name": name, "message": message,
            "started_at": previous.get("started_at") or time.strftime("%Y-%m-%dT%H:%M:%S%z",
                                                                      time.localtime(first_wall)),
            "imported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "epochs_completed": len(rows),
            "steps": rows[-1]["step"], "monitor": "val_loss",
            "best_epoch": best["epoch"] if best else None, "best_value": best["val_loss"] if best else None,
            "final_metrics": {"max_val_accuracy": max(accuracies, default=None),
                              "best_val_accuracy": best["val_accuracy"] if best else None,
                              "end_gap": rows[-1]["accuracy_gap"]},
            "tags": pairing.to_record(), "chosen_pairs": chosen, "warnings": problems})
        return status


def _with_events(path: Path, lines: list[str]) -> str:
    """Epoch lines written anew, each event line of the file before (Paused, Resumed) after the
    epoch it came after."""
    try:
        before = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        return "".join(lines)
    events: dict[int, list[str]] = {}
    for line in before:
        if line.endswith("\n") and not line.startswith('{"type": "epoch"'):
            try:
                events.setdefault(int(json.loads(line).get("epoch") or 0), []).append(line)
            except (ValueError, TypeError, AttributeError):
                continue  # (a damaged line is not carried over)
    out = events.pop(0, [])
    for number, line in enumerate(lines, start=1):
        out += [line, *events.pop(number, [])]
    return "".join(out + [line for later in events.values() for line in later])


def _with_last_epoch(path: Path, row: dict) -> str | None:
    """The file with its last epoch line replaced by `row` (the event lines after it kept), where
    that epoch was imported half-written (its validation value read before its train value);
    None where it is as imported."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if line.startswith('{"type": "epoch"')), default=None)
    new = json.dumps(row, default=jsonable)
    if last is None or lines[last].rstrip("\n") == new:  # (the text: a NaN loss equals itself)
        return None
    return "".join(lines[:last]) + new + "\n" + "".join(lines[last + 1:])


def _pairing_problems(folder: Path, pairing: Pairing) -> list[str]:
    said = []
    for metric, sides in pairing.ambiguous.items():
        for side, tags in sides.items():
            # i18n: {metric} is a curve's name from the tags (loss, accuracy…); {tags} are tags as written
            which = (_("{folder}: which is the train {metric} curve? {tags} could each be: left unpaired (choose "
                       "with --pair TRAIN_TAG=VAL_TAG)") if side == "train" else
                     _("{folder}: which is the validation {metric} curve? {tags} could each be: left unpaired "
                       "(choose with --pair TRAIN_TAG=VAL_TAG)"))
            said.append(which.format(folder=folder, metric=metric, tags=", ".join(tags)))
    for metric, (train, val) in pairing.pairs.items():
        if metric not in pairing.ambiguous and not (train and val):
            alone = (_("{folder}: {tag} has no validation curve to pair with (imported on its own)") if train else
                     _("{folder}: {tag} has no train curve to pair with (imported on its own)"))
            said.append(alone.format(folder=folder, tag=train or val))
    if pairing.unpaired:
        said.append(_("{folder}: tags left unpaired (not imported): {tags}").format(
            folder=folder, tags=", ".join(pairing.unpaired)))
    return said


def import_tensorboard(logdir: str | Path, out_dir: str | Path, chosen: dict[str, str] | None = None
                       ) -> list[RunImport]:
    """Import (or import again: new epochs appended) each run of a TensorBoard log folder."""
    return TensorBoardImport(logdir, out_dir, chosen).update()
