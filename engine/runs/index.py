"""What is in a runs directory, fast: one entry per run folder and per experiment folder,
read from their small config and summary files (never the whole metrics file), and a tail
of a metrics file another process is still writing.

No torch: the window's runs browser and the headless commands use it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.runs.reader import INCOMPLETE, RUNNING, SUMMARY_KEYS, writer_alive

EXPERIMENT_FILE = "experiment.json"
INTERRUPTED = "interrupted"  # an experiment whose writer is gone before it finished: resumable


@dataclass
class RunEntry:
    path: Path
    name: str
    started: str  # "2026-11-26 14:53"
    status: str  # a RunFinished reason, "running" or "incomplete"
    epochs: int | None
    best_val_accuracy: float | None
    gap: float | None  # train − validation accuracy of the weights the run ends with
    test_accuracy: float | None
    config: dict = field(repr=False, default_factory=dict)
    summary: dict = field(repr=False, default_factory=dict)
    experiment: Path | None = None

    @property
    def preset(self) -> str:
        return self.config.get("run", {}).get("name", "")

    @property
    def dataset(self) -> str:
        return self.config.get("data", {}).get("dataset", "")


@dataclass
class ExperimentEntry:
    path: Path
    name: str
    kind: str
    started: str
    status: str  # "running", "interrupted" or the reason it ended
    planned: int | None
    record: dict = field(repr=False, default_factory=dict)
    runs: list[RunEntry] = field(default_factory=list)
    abandoned: list[RunEntry] = field(default_factory=list)  # cut off, then run again on resume


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}


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
    """A run folder's entry, or None when `path` is no run folder."""
    path = Path(path)
    config = _json(path / "config.json")
    if not config:
        return None
    summary = _json(path / "summary.json")
    status = summary.get("status", RUNNING)
    if status == RUNNING and not writer_alive(summary, path):
        status = INCOMPLETE
    final = summary.get("final_metrics") or {}
    test = summary.get(SUMMARY_KEYS["test"]) or {}
    return RunEntry(
        path=path, name=summary.get("name") or config.get("run", {}).get("name") or path.name,
        started=_started(path, summary), status=status, epochs=summary.get("epochs_completed"),
        best_val_accuracy=final.get("max_val_accuracy", final.get("best_val_accuracy")),
        gap=final.get("end_gap"), test_accuracy=test.get("accuracy"), config=config,
        summary=summary, experiment=experiment)


def read_experiment(path: str | Path) -> ExperimentEntry | None:
    path = Path(path)
    record = _json(path / EXPERIMENT_FILE)
    if not record:
        return None
    status = record.get("status", RUNNING)
    if status == RUNNING and not writer_alive(record, path):
        status = INTERRUPTED
    entry = ExperimentEntry(path=path, name=record.get("name", path.name), kind=record.get("kind", "experiment"),
                            started=_started(path, {}), status=status,
                            planned=record.get("planned_trials"), record=record)
    order = {t.get("run_dir"): t.get("index", 0) for t in record.get("trials", [])}
    # A run cut off and run again on resume: its folder stays on disk, not among the members.
    abandoned = {d for t in record.get("trials", []) for d in t.get("abandoned", [])}
    for child in sorted(p for p in path.iterdir() if p.is_dir()):
        run = read_entry(child, experiment=path)
        if run is not None:
            (entry.abandoned if child.name in abandoned else entry.runs).append(run)
    entry.runs.sort(key=lambda r: (order.get(r.path.name, 10**6), r.path.name))
    return entry


def scan(*roots: str | Path) -> tuple[list[ExperimentEntry], list[RunEntry]]:
    """Every experiment folder and loose run folder directly under each root."""
    experiments, runs = [], []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            continue
        for child in sorted(root.iterdir()):
            if not child.is_dir():
                continue
            if (child / EXPERIMENT_FILE).is_file():
                entry = read_experiment(child)
                if entry is not None:
                    experiments.append(entry)
            else:
                run = read_entry(child)
                if run is not None:
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
        self._partial = b""
        self.epochs: list[dict] = []
        self.events: list[dict] = []
        self.steps = 0
        self.skipped = 0

    def read(self) -> int:
        """Read the new complete lines; return how many epoch rows arrived."""
        try:
            size = self.path.stat().st_size
        except OSError:
            return 0
        if size < self.offset:  # rewritten from scratch: start over
            self.__init__(self.path.parent)
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
                self.skipped += 1
                continue
            (self.epochs if row.get("type") == "epoch" else self.events).append(row)
        return len(self.epochs) - before

    def curve(self, key: str) -> tuple[list[float], list[float]]:
        return [r["epoch"] for r in self.epochs], [r.get(key) for r in self.epochs]

    @property
    def finished(self) -> bool:
        return any(e.get("event") == "RunFinished" for e in self.events)
