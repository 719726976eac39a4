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

import json
import os
import platform
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.callbacks import Callback

RUNNING = "running"
INCOMPLETE = "incomplete"


class WeightsError(ValueError):
    """A weights file that cannot be loaded into the model; the message says why."""


def default_runs_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("overfit-lab", appauthor=False)) / "runs"


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder, fsync, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, default=_jsonable) + "\n")


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


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
    """Writes a run folder as the run goes; a subscriber like any other."""

    def __init__(self, runs_dir: str | Path):
        self.root = Path(runs_dir)
        self.path: Path | None = None
        self.started = False
        self._metrics = None
        self._summary: dict[str, Any] = {}
        self._t0 = 0.0

    def open(self, trainer) -> Path:
        cfg = trainer.config
        stamp = time.strftime("%Y%m%d-%H%M%S")
        label = cfg.run.name or f"{cfg.data.dataset}-{cfg.model.arch}"
        self.path = self.root / f"{stamp}-{_slug(label)}-{trainer.run_id}"
        self.path.mkdir(parents=True, exist_ok=False)
        atomic_write_json(self.path / "config.json", cfg.to_dict())
        self._metrics = open(self.path / "metrics.jsonl", "a", encoding="utf-8")
        self._t0 = time.time()
        self._summary = {"status": RUNNING, "run_id": trainer.run_id, "name": cfg.run.name,
                         "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                         "device": str(trainer.device), "versions": versions()}
        atomic_write_json(self.path / "summary.json", self._summary)
        self.started = True
        return self.path

    def _write(self, record: dict, flush: bool = False) -> None:
        if self.path is None:
            return
        line = json.dumps(record, default=_jsonable) + "\n"
        if self._metrics is None:  # after the run: the test evaluation
            with open(self.path / "metrics.jsonl", "a", encoding="utf-8") as fh:
                fh.write(line)
            return
        self._metrics.write(line)
        if flush:
            self._metrics.flush()
            os.fsync(self._metrics.fileno())

    def on_event(self, event) -> None:
        if isinstance(event, ev.StepMetrics):
            self._write({"type": "step", **ev.to_record(event)})
        elif isinstance(event, ev.EpochMetrics):
            self._write({"type": "epoch", **ev.to_record(event)}, flush=True)
        elif isinstance(event, ev.RunStarted):
            self._summary.update(parameter_count=event.parameter_count, layer_names=event.layer_names,
                                 steps_per_epoch=event.steps_per_epoch)
            record = ev.to_record(event)
            record.pop("train_points"), record.pop("val_points")
            self._write({"type": "event", **record}, flush=True)
        elif isinstance(event, ev.DecisionBoundary):
            pass  # derived from the weights; not worth the space
        elif isinstance(event, ev.TestEvaluated):
            self._write({"type": "event", **ev.to_record(event)}, flush=True)
            self._summary["test"] = ev.to_record(event)
            if self.path is not None:
                atomic_write_json(self.path / "summary.json", self._summary)
        elif not isinstance(event, ev.RunFinished):
            self._write({"type": "event", **ev.to_record(event)}, flush=True)

    def on_fit_end(self, trainer, event: ev.RunFinished) -> None:
        if self.path is None:
            return
        self._write({"type": "event", **ev.to_record(event)}, flush=True)
        self._metrics.close()
        self._metrics = None
        meta = {"run_id": trainer.run_id, "config": json.dumps(trainer.config.to_dict())}
        last = getattr(trainer, "last_weights", None)
        if last is not None:
            save_weights(last, self.path / "last.safetensors", {**meta, "weights": "last"})
        best = trainer.tracker.best_weights if getattr(trainer, "tracker", None) else None
        if best is not None:
            save_weights(best, self.path / "best.safetensors",
                         {**meta, "weights": "best", "epoch": str(event.best_epoch)})
        t = trainer.tracker
        self._summary.update(
            status=event.reason, message=event.message, epochs_completed=event.epochs_completed,
            steps=event.step, best_epoch=event.best_epoch, best_value=event.best_value,
            monitor=t.monitor, final_metrics=event.final_metrics, traceback=event.traceback,
            finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), duration_s=round(time.time() - self._t0, 3))
        atomic_write_json(self.path / "summary.json", self._summary)


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


def read_run(path: str | Path) -> RunRecord:
    """Read a run folder. A run cut off by a crash reads with status 'incomplete'."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path}: not a run folder (no config.json)")
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        summary = {}
    if summary.get("status", RUNNING) == RUNNING:
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
