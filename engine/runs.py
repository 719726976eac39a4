"""Run folders: atomic config and summary, append-only metrics, safetensors weights.

A run folder holds
    config.json       the settings the run started with (written atomically)
    metrics.jsonl     one JSON object a line: {"type": "step" | "epoch" | "event", ...}
    summary.json      status, best epoch, final and test metrics, versions (atomically rewritten)
    best.safetensors  weights of the best epoch by the monitored metric
    last.safetensors  weights at the end of the run
No pickle is read or written.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import platform
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.callbacks import Callback
from engine.files import atomic_write_json, jsonable

RUNNING = "running"
INCOMPLETE = "incomplete"


class WeightsError(ValueError):
    """A weights file that cannot be loaded into the model; the message says why."""


def default_runs_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("overfit-lab", appauthor=False)) / "runs"


def versions() -> dict[str, str]:
    from importlib.metadata import version

    import numpy
    import torch

    from engine import __version__

    return {"overfit_lab": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "torchvision": version("torchvision"), "numpy": numpy.__version__,
            "platform": platform.platform()}


def save_weights(state: dict, path: Path, metadata: dict[str, str] | None = None) -> None:
    import torch
    from safetensors.torch import save_file

    tensors = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in state.items()
               if isinstance(v, torch.Tensor)}
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp), metadata=metadata or {})
    os.replace(tmp, path)


def load_weights(model, path: str | Path) -> None:
    """Load a safetensors file into `model`, naming every missing, unexpected or misshapen key."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: weights file not found")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path}: not a safetensors weights file ({exc}); Overfit Lab loads "
                           "only .safetensors files, never pickled checkpoints") from exc
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    misshapen = [f"{k}: file {tuple(tensors[k].shape)}, model {tuple(expected[k].shape)}"
                 for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    problems = []
    if missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {', '.join(unexpected)}")
    if misshapen:
        problems.append(f"shape mismatches: {'; '.join(misshapen)}")
    if problems:
        raise WeightsError(f"{path}: does not fit this model ({' | '.join(problems)})")
    model.load_state_dict(tensors)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "run"


class RunWriter(Callback):
    """Writes a run folder as the run goes; a subscriber like any other.

    The folder's name is fixed when the writer is made (so a caller can say where the run
    will be before it starts); the folder is created when the run starts, so a run that
    never starts (bad data, say) leaves nothing behind."""

    def __init__(self, runs_dir: str | Path, label: str = "run", notes: dict | None = None):
        """notes: kept in the summary (a twin's reference run, say)."""
        self.notes = dict(notes or {})
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.path = Path(runs_dir) / f"{stamp}-{_slug(label)}-{uuid.uuid4().hex[:8]}"
        self.started = False
        self._metrics = None
        self._summary: dict[str, Any] = {}
        self._config: dict = {}
        self._t0 = 0.0

    def _open(self, event: ev.RunStarted) -> None:
        self.path.mkdir(parents=True, exist_ok=False)
        self._config = copy.deepcopy(event.config)
        atomic_write_json(self.path / "config.json", event.config)
        self._metrics = open(self.path / "metrics.jsonl", "a", encoding="utf-8")
        self._t0 = time.time()
        self._summary = {"status": RUNNING, "run_id": event.run_id, "name": event.config["run"]["name"],
                         "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "device": event.device,
                         "parameter_count": event.parameter_count, "layer_names": event.layer_names,
                         "steps_per_epoch": event.steps_per_epoch, "warnings": event.warnings,
                         "versions": versions(), **writer_identity(), **self.notes}
        atomic_write_json(self.path / "summary.json", self._summary)
        self.started = True

    def _write(self, record: dict, flush: bool = False) -> None:
        line = json.dumps(record, default=jsonable) + "\n"
        if self._metrics is None:  # after the run: the test evaluation
            with open(self.path / "metrics.jsonl", "a", encoding="utf-8") as fh:
                fh.write(line)
            return
        self._metrics.write(line)
        if flush:
            self._metrics.flush()
            os.fsync(self._metrics.fileno())

    def on_event(self, event) -> None:
        if isinstance(event, ev.RunStarted):
            self._open(event)
            record = ev.to_record(event)
            record.pop("train_points"), record.pop("val_points")
            self._write({"type": "event", **record}, flush=True)
        elif not self.started or isinstance(event, ev.DecisionBoundary):
            return  # a boundary is derived from the weights: not worth the space
        elif isinstance(event, ev.StepMetrics):
            self._write({"type": "step", **ev.to_record(event)})
        elif isinstance(event, ev.EpochMetrics):
            self._write({"type": "epoch", **ev.to_record(event)}, flush=True)
        elif isinstance(event, ev.RunFinished):
            self._finish(event)
        elif isinstance(event, ev.Evaluated):
            self._write({"type": "event", **ev.to_record(event)}, flush=True)
            self._summary[SUMMARY_KEYS[event.split]] = ev.to_record(event)
            atomic_write_json(self.path / "summary.json", self._summary)
        else:
            if isinstance(event, ev.SettingsApplied) and "regularization.monitor" in event.changes:
                self._config["regularization"]["monitor"] = event.changes["regularization.monitor"][1]
            self._write({"type": "event", **ev.to_record(event)}, flush=True)

    def on_checkpoint(self, kind: str, state: dict, info: dict[str, str]) -> None:
        if self.started:
            save_weights(state, self.path / f"{kind}.safetensors", {**info, "weights": kind})

    def _finish(self, event: ev.RunFinished) -> None:
        self._write({"type": "event", **ev.to_record(event)}, flush=True)
        self._metrics.close()
        self._metrics = None
        self._summary.update(
            status=event.reason, message=event.message, epochs_completed=event.epochs_completed,
            steps=event.step, best_epoch=event.best_epoch, best_value=event.best_value,
            monitor=self._config["regularization"]["monitor"], final_metrics=event.final_metrics,
            traceback=event.traceback, finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            duration_s=round(time.time() - self._t0, 3))
        atomic_write_json(self.path / "summary.json", self._summary)


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
