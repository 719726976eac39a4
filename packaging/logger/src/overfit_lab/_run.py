"""A run of the user's own loop, written as a run folder the app reads (engine.runs.writer's
format): config.json, metrics.jsonl, summary.json, dynamics/, heartbeat.json.

Nothing is read back from the device per batch: the loss, the correct count and each
example's margin, probability and prediction are kept in device tensors and moved to the
host once an epoch."""

from __future__ import annotations

import math
import os
import platform
import sys
import time
import uuid
import warnings
from pathlib import Path

import numpy as np
import torch

from overfit_lab import _checks as checks
from overfit_lab import _ending as ending
from overfit_lab import _files as files
from overfit_lab._config import app_config
from overfit_lab._examples import ExampleRecord
from overfit_lab._lines import RunLines

COMPLETED, USER_STOPPED, FAILED = "completed", "user_stopped", "failed"
REASONS = (COMPLETED, "early_stopped", USER_STOPPED, "diverged", FAILED)
STATUS_WORDS = {"stopped": USER_STOPPED, "user": USER_STOPPED}


class RunFinishedError(RuntimeError):
    """A call on a run that has finished."""


def default_runs_dir() -> Path:
    """The app's runs folder (engine.runs.reader.default_runs_dir)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("overfit-lab", appauthor=False)) / "runs"


def _versions() -> dict:
    from overfit_lab import __version__

    return {"python": platform.python_version(), "torch": torch.__version__, "overfit_lab": __version__}


class Run(ExampleRecord, RunLines):
    """What `ol.init` returns: call `batch()` after each optimizer step, `epoch()` after each
    epoch, `finish()` at the end (or use it as a context manager)."""

    def __init__(self, name: str, config: dict | None = None, runs_dir: str | Path | None = None,
                 classes: list[str] | int | None = None):
        if not isinstance(name, str):
            raise TypeError(f"ol.init(name=...): a string naming the run, not {type(name).__name__}")
        if config is not None and not isinstance(config, dict):
            config = vars(config) if hasattr(config, "__dict__") else config
            if not isinstance(config, dict):
                raise TypeError(f"ol.init(config=...): a dict (vars(args), say), not {type(config).__name__}")
        self.name = name
        self.user_config = files.plain(config or {})
        if classes is None:  # a config's "classes", where it names them (or counts them)
            named = self.user_config.get("classes")
            usable = isinstance(named, list) and named or isinstance(named, int) and not isinstance(named, bool) and named > 0
            classes = named if usable else None
        self.class_names = checks.class_names(classes)
        root = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()
        root.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        # the uuid keeps two scripts started in the same second (same name) in folders of their own
        self.path = root / f"{stamp}-{files.slug(name)}-{uuid.uuid4().hex[:8]}"
        self.path.mkdir(exist_ok=False)
        self.config = app_config(name, self.user_config)
        files.atomic_write_json(self.path / "config.json", self.config)
        self._metrics = open(self.path / "metrics.jsonl", "a", encoding="utf-8")
        self._t0 = time.time()
        self.summary = {
            "status": "running", "run_id": uuid.uuid4().hex, "name": name,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "device": "", "parameter_count": 0,
            "layer_names": [], "steps_per_epoch": 0, "warnings": [], "versions": _versions(),
            **files.writer_identity(), "source": "script",
            "script": {"argv": list(sys.argv), "cwd": os.getcwd(), "config": self.user_config}}
        files.atomic_write_json(self.path / "summary.json", self.summary)
        self.heartbeat = files.Heartbeat()
        self.heartbeat.start(self.path)
        self._control = files.ControlWatch(self.path)
        self.norms = None  # overfit_lab._watch.Norms, given by ol.watch
        self.finished = False
        self._stop_by = ""  # who asked to stop (the control file's "by")
        self._pause_asked = False
        self._started = False  # the RunStarted line, written at the first batch
        self.epochs: list[dict] = []
        self.step = 0
        self._reset_epoch()
        # per-example dynamics (device tensors, made at the first batch with an index)
        self.examples: int | None = None
        self.recording = True
        self._dyn = None
        self._bad_index = None  # a device counter of out-of-range indices given on the device
        self._examples_written = False
        self._rows = np.zeros(0, np.int64)  # the dataset indices of the examples written, in order
        self._cut_off = False  # a write of metrics or summary failed: nothing more is written
        self._whole_bytes = 0  # metrics.jsonl's size after its last whole line
        self._max_index = -1  # the largest index seen (on the host)
        self._sized_by = ""  # where the number of examples came from, for messages
        self._size_asked = False
        self._last_dynamics = 0

    # ---- the user's calls -----------------------------------------------------------------
    def batch(self, loss, logits=None, targets=None, index=None) -> None:
        """One training batch: its loss (a tensor; no .item() needed), and for accuracy and
        per-example dynamics its logits [batch, classes], targets [batch] and each example's
        index in the dataset (ol.Indexed adds it)."""
        self._check_open("batch")
        if not torch.is_tensor(loss):
            loss = torch.as_tensor(float(loss))
        if loss.numel() != 1:
            raise ValueError(f"run.batch(loss=...): one value (the batch's mean loss), not a tensor of shape {tuple(loss.shape)}")
        size = None
        if logits is not None:
            size = self._check_logits(logits, targets, index)
        elif index is not None:
            raise ValueError("run.batch(index=...): per-example dynamics need logits= and targets= too")
        elif targets is not None:
            raise ValueError("run.batch(targets=...): accuracy needs logits= too")
        if not self._started:
            self._start(loss.device, size)
        self._look_at_control()
        # weighted by the batch's size where the logits tell it, as the engine's train_loss
        # (the mean over the epoch's examples: a short last batch counts for what it holds)
        weight = size if size is not None else 1
        with torch.no_grad():
            loss = loss.detach().float().reshape(())
            self._loss_sum = loss * weight + (self._loss_sum if self._loss_sum is not None else 0.0)
            if logits is not None and targets is not None:
                self._add_logits(logits.detach(), targets.detach(), index)
        self._loss_weight += weight
        self._batches += 1
        self.step += 1

    def epoch(self, val_loss=None, val_accuracy=None, **more) -> dict:
        """The epoch just trained ends: its line goes to metrics.jsonl (training figures from the
        batches, the validation figures given) and its per-example dynamics to dynamics/.
        `more`: other figures of the epoch (numbers), kept in its line."""
        self._check_open("epoch")
        if not self._started:
            self._start(torch.device("cpu"), None)
        number = len(self.epochs) + 1
        val_loss, val_accuracy = checks.number("val_loss", val_loss), checks.number("val_accuracy", val_accuracy)
        if not math.isnan(val_accuracy) and not 0 <= val_accuracy <= 1:
            raise ValueError(f"run.epoch(val_accuracy={val_accuracy:g}): a fraction from 0 to 1"
                             + (f" ({val_accuracy:g} % is {val_accuracy / 100:g})" if 1 < val_accuracy <= 100 else ""))
        for key, value in more.items():
            if key in ("epoch", "step"):
                raise ValueError(f"run.epoch({key}=...): the run counts {key}s itself")
            if torch.is_tensor(value) or isinstance(value, (int, float)):
                more[key] = checks.number(key, value)
        record = self._epoch_record(number, val_loss, val_accuracy, more)
        self.epochs.append(record)
        self._write({"type": "epoch", **record}, flush=True)
        if self.summary["steps_per_epoch"] == 0:
            self.summary["steps_per_epoch"] = self._batches
            self._save_summary(required=False)
        self._reset_epoch()
        self._look_at_control()  # (a pause here waits with the epoch on the window's plots)
        return record

    @property
    def should_stop(self) -> bool:
        """True once a Stop came (the window's, or `main.py stop RUN_DIR`): break out of the loop."""
        if not self.finished:
            self._look_at_control(pause_now=False)
        return bool(self._stop_by)

    @property
    def pause_requested(self) -> bool:
        """True when a Pause came and the loop will wait at its next batch() / epoch() call."""
        if not self.finished:
            self._look_at_control(pause_now=False)
        return self._pause_asked and not self._stop_by

    def finish(self, status: str | None = None, message: str = "", traceback: str | None = None) -> None:
        """End the run: its status (completed; user_stopped after a Stop; failed) and final
        figures go to the summary. Calling it again does nothing."""
        if self.finished:
            return
        status = STATUS_WORDS.get(status, status)
        if status is None:
            status = USER_STOPPED if self._stop_by else COMPLETED
        if status not in REASONS:
            raise ValueError(f"run.finish(status={status!r}): one of {', '.join(REASONS)}")
        if not message:
            message = {USER_STOPPED: f"stopped by {self._stop_by or 'the script'}",
                       COMPLETED: f"{len(self.epochs)} epochs"}.get(status, status)
        self.finished = True
        self.heartbeat.stop()
        if self.norms is not None:
            self.norms.remove()
        best = ending.best(self.epochs)
        self._write({"type": "event", "event": "RunFinished", "reason": status, "message": message,
                     "epochs_completed": len(self.epochs), "step": self.step,
                     "best_epoch": best[0], "best_value": best[1], "traceback": traceback,
                     "final_metrics": ending.final_metrics(self.epochs), "bad_input": False}, flush=True)
        try:
            if not self._cut_off:
                os.fsync(self._metrics.fileno())
            if self._examples_written:
                files.sync_file(self.path / files.DYNAMICS / files.EXAMPLES_FILE)
            if self._last_dynamics:
                files.sync_file(self.path / files.DYNAMICS / f"epoch-{self._last_dynamics:04d}.safetensors")
        except OSError:
            pass  # (the files are whole; only a power cut could still lose them)
        try:
            self._metrics.close()
        except OSError as exc:
            self._lost(self.path / "metrics.jsonl", exc)
        self.summary.update(status=status, message=message, epochs_completed=len(self.epochs), steps=self.step,
                            best_epoch=best[0], best_value=best[1], monitor="val_loss",
                            final_metrics=ending.final_metrics(self.epochs), traceback=traceback,
                            finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                            duration_s=round(time.time() - self._t0, 3))
        if self._cut_off:  # the disk filled up: the summary, which tells how the run ended, is tried once more
            self._cut_off = False
            (self.path / files.HEARTBEAT).unlink(missing_ok=True)  # (the room for its temporary file)
        self._save_summary()
        # A run kept after its end (a sweep's list, a notebook) holds neither the model (the
        # norms' references) nor its device buffers.
        self.norms = None
        self._dyn = self._loss_sum = self._correct = self._bad_index = None
        from overfit_lab import _state

        _state.forget(self)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.finish()
        elif issubclass(kind, KeyboardInterrupt):
            self.finish(USER_STOPPED, "stopped by Ctrl+C in the script")
        else:
            import traceback as tbm

            self.finish(FAILED, f"{kind.__name__}: {value}", "".join(tbm.format_exception(kind, value, tb)))

    # ---- checks at the call -----------------------------------------------------------------
    def _check_open(self, call: str) -> None:
        if self.finished:
            raise RunFinishedError(f"run.{call}() after run.finish(): the run {self.path.name} has ended "
                                   f"({self.summary['status']}); start another with ol.init(...)")

    def _reset_epoch(self) -> None:
        self._loss_sum = None
        self._loss_weight = 0  # the examples (or batches, where no logits gave their size) in _loss_sum
        self._correct = None
        self._seen = 0
        self._batches = 0
        self._epoch_t0 = time.perf_counter()

    # ---- the epoch's one read back ----------------------------------------------------------
    def _epoch_record(self, number: int, val_loss: float, val_accuracy: float, more: dict) -> dict:
        device = self._device
        parts = [torch.stack([self._loss_sum if self._loss_sum is not None else torch.tensor(math.nan, device=device),
                              (self._correct if self._correct is not None else torch.tensor(0, device=device)).float()])
                 .to(device)]
        norms = self.norms.epoch_values(device) if self.norms is not None else None
        if norms is not None:
            parts.append(norms)
        if self._bad_index is not None:
            parts.append(self._bad_index.float().reshape(1))
        small = torch.cat(parts)
        if self._dyn is not None:  # the epoch's one wait for the device: one copy of everything
            both = torch.cat([small.to(self._dyn.device), self._dyn.flatten()]).cpu()
            host, dyn = both[:len(small)].double().tolist(), both[len(small):].numpy().reshape(4, -1)
        else:
            host, dyn = small.cpu().double().tolist(), None
        train_loss = host[0] / self._loss_weight if self._loss_weight else math.nan
        train_accuracy = host[1] / self._seen if self._seen else math.nan
        if self._bad_index is not None and host[-1] > 0:
            self._bad_index.zero_()
            warnings.warn(f"run.batch(index=...): {int(host[-1])} indices of epoch {number} were outside the "
                          f"training dataset (0 … {self.examples - 1}) and left out of its per-example dynamics",
                          stacklevel=3)
        layers = self.norms.names if self.norms is not None else []
        weight_norms = dict(zip(layers, host[2:2 + len(layers)], strict=True))
        grad_norms = dict(zip(layers, host[2 + len(layers):2 + 2 * len(layers)], strict=True))
        seconds = time.perf_counter() - self._epoch_t0
        best = min((e["val_loss"] for e in self.epochs if not math.isnan(e["val_loss"])), default=math.inf)
        record = {"epoch": number, "step": self.step, "train_loss": train_loss, "train_accuracy": train_accuracy,
                  "val_loss": val_loss, "val_accuracy": val_accuracy,
                  "accuracy_gap": train_accuracy - val_accuracy, "loss_gap": val_loss - train_loss,
                  "weight_norms": weight_norms, "grad_norms": grad_norms,
                  "lr": self.norms.lr() if self.norms is not None else files.finite(self.user_config.get("lr")),
                  "penalty": 0.0, "epoch_time": seconds,
                  "samples_per_sec": self._seen / seconds if seconds > 0 and self._seen else math.nan,
                  "train_accuracy_clean": None, "train_accuracy_corrupted": None,
                  "is_best": not math.isnan(val_loss) and val_loss < best, "val_ece": None}
        record.update({key: files.plain(value) for key, value in more.items()})
        if dyn is not None:
            self._write_dynamics(number, dyn)
        return record

    # ---- the run's lines -----------------------------------------------------------------
    def _start(self, device: torch.device, size: int | None) -> None:
        """The RunStarted line, at the first batch: by then ol.watch has named the layers."""
        self._started = True
        self._device = device
        self._width = None
        norms = self.norms
        self.summary.update(device=str(device), parameter_count=norms.parameter_count if norms else 0,
                            layer_names=norms.names if norms else [])
        self._save_summary(required=False)
        names = self.class_names or []
        self._write({"type": "event", "event": "RunStarted", "run_id": self.summary["run_id"],
                     "config": self.config, "layer_names": self.summary["layer_names"],
                     "parameter_count": self.summary["parameter_count"], "steps_per_epoch": 0,
                     "device": str(device), "dataset": "script", "class_names": names,
                     "train_size": self.examples or 0, "val_size": 0,
                     "epochs": self.config["optim"].get("epochs", 0), "warnings": [],
                     "model_source": {}, "data_source": {}}, flush=True)
