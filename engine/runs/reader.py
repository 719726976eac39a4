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
    """Whether the process that marked `folder` running may still be writing it."""
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


def require_run_folder(path: str | Path) -> Path:
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path}: not a run folder (no config.json)")
    return path


def read_run(path: str | Path) -> RunRecord:
    """Read a run folder. A run cut off by a crash reads with status 'incomplete'."""
    path = require_run_folder(path)
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        summary = {}
    if summary.get("status", RUNNING) == RUNNING and not writer_alive(summary, path):
        summary["status"] = INCOMPLETE
    record = RunRecord(path=path, config=config, summary=summary)
    metrics = path / "metrics.jsonl"
    if metrics.is_file():
        with open(metrics, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    record.skipped_lines += 1
                    continue
                kind = row.get("type")
                (record.steps if kind == "step" else record.epochs if kind == "epoch" else record.events).append(row)
    return record


def list_runs(runs_dir: str | Path) -> list[Path]:
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "config.json").is_file())


SUMMARY_KEYS = {"test": "test", "val": "validation"}  # where a split's latest report is kept


def recorded_evaluation(path: str | Path, split: str) -> ev.Evaluated | None:
    """The evaluation on `split` a run folder records (for "test": the one), if any."""
    try:
        summary = json.loads((Path(path) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    record = dict(summary.get(SUMMARY_KEYS[split]) or {})
    if not record:
        return None
    record.pop("event", None)
    record.setdefault("split", split)  # records of older versions (TestEvaluated) had none
    known = {f.name for f in dataclasses.fields(ev.Evaluated)}
    return ev.Evaluated(**{k: v for k, v in record.items() if k in known})


def record_evaluation(path: str | Path, report: ev.Evaluated) -> None:
    """Add an evaluation made after the run to its folder (a metrics line; the summary
    keeps the latest of each split)."""
    path = Path(path)
    record = ev.to_record(report)
    with open(path / "metrics.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"type": "event", **record}, default=jsonable) + "\n")
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    summary[SUMMARY_KEYS[report.split]] = record
    atomic_write_json(path / "summary.json", summary)
