"""What is in a runs directory, fast: one entry per run folder and per experiment folder,
read from their small config and summary files (never the whole metrics file), and a tail
of a metrics file another process is still writing.

No torch: the window's runs browser and the headless commands use it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.events import REASONS
from engine.runs.checked import (
    UnreadableRun,
    check_metrics,
    read_config,
    read_experiment_record,
    read_summary,
)
from engine.runs.reader import INCOMPLETE, RUN_FILES, RUNNING, SUMMARY_KEYS, list_runs, writer_alive

EXPERIMENT_FILE = "experiment.json"
INTERRUPTED = "interrupted"  # an experiment whose writer is gone before it finished: resumable
UNREADABLE = "unreadable"  # a folder with a damaged file: listed with the file and the reason


@dataclass
class RunEntry:
    path: Path
    name: str
    started: str  # "2026-11-26 14:53"
    status: str  # a RunFinished reason, "running", "incomplete" or "unreadable"
    epochs: int | None
    best_val_accuracy: float | None
    gap: float | None  # train − validation accuracy of the weights the run ends with
    test_accuracy: float | None
    config: dict = field(repr=False, default_factory=dict)
    summary: dict = field(repr=False, default_factory=dict)
    experiment: Path | None = None
    problem: str | None = None  # what makes an unreadable folder unreadable: "FILE: reason"

    @property
    def preset(self) -> str:
        return self.config.get("run", {}).get("name") or ""

    @property
    def dataset(self) -> str:
        return self.config.get("data", {}).get("dataset") or ""


@dataclass
class ExperimentEntry:
    path: Path
    name: str
    kind: str
    started: str
    status: str  # "running", "interrupted", "unreadable" or the reason it ended
    planned: int | None
    record: dict = field(repr=False, default_factory=dict)
    runs: list[RunEntry] = field(default_factory=list)
    abandoned: list[RunEntry] = field(default_factory=list)  # cut off, then run again on resume
    problem: str | None = None  # what makes an unreadable record unreadable: "FILE: reason"


def _started(path: Path, summary: dict) -> str:
    stamp = summary.get("started_at") or ""
    if stamp:
        return stamp[:16].replace("T", " ")
    head = path.name[:15]  # 20261126-145334-...
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.strptime(head, "%Y%m%d-%H%M%S"))
    except ValueError:
        return ""


def read_entry(path: str | Path, experiment: Path | None = None) -> RunEntry | None:
    """A run folder's entry, or None when `path` is no run folder. A folder with a damaged
    file is an entry too, with status "unreadable" and the file and reason as its problem."""
    path = Path(path)
    if not any((path / name).is_file() for name in RUN_FILES):
        return None
    try:
        config = read_config(path)
        summary = read_summary(path)
        status = summary.get("status", RUNNING)
        if status == RUNNING and not writer_alive(summary, path):
            status = INCOMPLETE
        check_metrics(path, finished=status in REASONS)
    except UnreadableRun as exc:
        return RunEntry(path=path, name=path.name, started=_started(path, {}), status=UNREADABLE, epochs=None,
                        best_val_accuracy=None, gap=None, test_accuracy=None, experiment=experiment,
                        problem=str(exc))
    final = summary.get("final_metrics") or {}
    test = summary.get(SUMMARY_KEYS["test"]) or {}
    return RunEntry(
        path=path, name=summary.get("name") or config.get("run", {}).get("name") or path.name,
        started=_started(path, summary), status=status, epochs=summary.get("epochs_completed"),
        best_val_accuracy=final.get("max_val_accuracy", final.get("best_val_accuracy")),
        gap=final.get("end_gap"), test_accuracy=test.get("accuracy"), config=config,
        summary=summary, experiment=experiment)


def read_experiment(path: str | Path) -> ExperimentEntry | None:
    """An experiment folder's entry, or None when it has no record. A damaged record makes
    an entry with status "unreadable"; its runs are still listed."""
    path = Path(path)
    if not (path / EXPERIMENT_FILE).is_file():
        return None
    problem = None
    try:
        record = read_experiment_record(path, EXPERIMENT_FILE)
        status = record.get("status", RUNNING)
        if status == RUNNING and not writer_alive(record, path):
            status = INTERRUPTED
    except UnreadableRun as exc:
        record, status, problem = {}, UNREADABLE, str(exc)
    entry = ExperimentEntry(path=path, name=record.get("name") or path.name,
                            kind=record.get("kind") or "experiment", started=_started(path, {}), status=status,
                            planned=record.get("planned_trials"), record=record, problem=problem)
    trials = record.get("trials") or []
    order = {t.get("run_dir"): t.get("index") or 0 for t in trials}
    # A run cut off and run again on resume: its folder stays on disk, not among the members.
    abandoned = {d for t in trials for d in t.get("abandoned") or []}
    for child in list_runs(path):
        run = read_entry(child, experiment=path)
        if run is not None:
            (entry.abandoned if child.name in abandoned else entry.runs).append(run)
    entry.runs.sort(key=lambda r: (order.get(r.path.name, 10**6), r.path.name))
    return entry


def scan(*roots: str | Path) -> tuple[list[ExperimentEntry], list[RunEntry]]:
    """Every experiment folder and loose run folder directly under each root; a folder with
    a damaged file is listed as unreadable, never stops the scan."""
    experiments, runs = [], []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            continue
        for child in sorted(p for p in root.iterdir() if p.is_dir() and (p / EXPERIMENT_FILE).is_file()):
            if (entry := read_experiment(child)) is not None:
                experiments.append(entry)
        for child in list_runs(root):
            if not (child / EXPERIMENT_FILE).is_file() and (run := read_entry(child)) is not None:
                runs.append(run)
    return experiments, runs


class MetricsTail:
    """Reads what has been appended to a run's metrics.jsonl since the last call.

    A writer in another process (or on another machine, through a shared folder) may be
    half-way through a line: an unterminated last line waits for the next read. Step lines
    are counted, not parsed (they are most of the file)."""

    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir) / "metrics.jsonl"
        self.offset = 0
        self.file = None  # (device, inode) read: a file written anew and renamed into place is another
        self._partial = b""
        self.epochs: list[dict] = []
        self.events: list[dict] = []
        self.steps = 0
        self.skipped = 0

    def read(self) -> int:
        """Read the new complete lines; return how many epoch rows arrived."""
        try:
            stat = self.path.stat()
        except OSError:
            return 0
        size, file = stat.st_size, (stat.st_dev, stat.st_ino)
        if size < self.offset or self.file not in (None, file):  # rewritten (or replaced): start over
            self.__init__(self.path.parent)
        self.file = file
        if size == self.offset:
            return 0
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            chunk = fh.read(size - self.offset)
        self.offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()  # b"" after a complete last line
        before = len(self.epochs)
        for line in lines:
            if not line.strip():
                continue
            if line.startswith(b'{"type": "step"'):
                self.steps += 1
                continue
            try:
                row = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                row = None
            if not isinstance(row, dict):  # damaged, or JSON of another shape
                self.skipped += 1
                continue
            (self.epochs if row.get("type") == "epoch" else self.events).append(row)
        return len(self.epochs) - before

    def curve(self, key: str) -> tuple[list[float], list[float]]:
        return [r["epoch"] for r in self.epochs], [r.get(key) for r in self.epochs]

    @property
    def finished(self) -> bool:
        return any(e.get("event") == "RunFinished" for e in self.events)
