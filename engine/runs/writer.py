"""The run writer: a subscriber that writes a run folder as the run goes.

A run folder holds
    config.json       the settings the run started with (written atomically)
    metrics.jsonl     one JSON object a line: {"type": "step" | "epoch" | "event", ...}
    summary.json      status, best epoch, final and test metrics, versions (atomically rewritten)
    heartbeat.json    rewritten every 2 s while the run lives, removed at its end (engine.runs.remote):
                      a writer killed outright reads as gone, on this host or another
    best.safetensors  weights of the best epoch by the monitored metric
    last.safetensors  weights at the end of the run
    dynamics/         each training example's margin, probability and prediction per epoch
                      (engine.runs.dynamics)"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

from engine.core import events as ev
from engine.core.files import atomic_write_json, jsonable
from engine.core.i18n import N_, _, integer
from engine.runs.dynamics import sync_dynamics, write_epoch, write_examples
from engine.runs.reader import RUNNING, SUMMARY_KEYS, writer_identity
from engine.runs.remote import ControlFollower, Heartbeat
from engine.runs.weights import save_weights, versions
from engine.training.callbacks import Callback

log = logging.getLogger(__name__)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "run"


# A failed write of per-example dynamics, by whether it wrote the training examples (else an epoch).
DYNAMICS_FAILED = {
    True: N_("per-example dynamics stopped: writing its training examples to {folder} failed ({error}); training "
             "went on without recording them"),
    False: N_("per-example dynamics stopped: writing epoch {epoch} to {folder} failed ({error}); training went on "
              "without recording them"),
}


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
        self.recording = True  # per-example dynamics; off after a write fails (training goes on)
        self._last_epoch = 0  # the last epoch of dynamics written (made durable at the end)
        self.heartbeat = Heartbeat()
        self.follower: ControlFollower | None = None  # obeys the folder's control.json (main.py stop)

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
                         "versions": versions(), **writer_identity(), **self.notes,
                         **({"model_source": event.model_source} if event.model_source else {}),
                         # data.file: the SHA-256 of the bytes that ran (carried from the load,
                         # which an experiment reuses), checked before evaluating runs it again
                         **({"data_source": event.data_source} if event.data_source else {})}
        atomic_write_json(self.path / "summary.json", self._summary)
        self.heartbeat.start(self.path)
        self.started = True

    def _write(self, record: dict, flush: bool = False) -> None:
        """flush: hand the line to the system now, so a reader tailing the file sees it; it is
        made durable (fsync) once, at the run's end: an fsync an epoch cost milliseconds on
        the engine thread, a real share of a short epoch."""
        line = json.dumps(record, default=jsonable) + "\n"
        if self._metrics is None:  # after the run: the test evaluation
            with open(self.path / "metrics.jsonl", "a", encoding="utf-8") as fh:
                fh.write(line)
            return
        self._metrics.write(line)
        if flush:
            self._metrics.flush()

    def on_event(self, event) -> None:
        if isinstance(event, ev.RunStarted):
            self._open(event)
            record = ev.to_record(event)
            record.pop("train_points"), record.pop("val_points")
            self._write({"type": "event", **record}, flush=True)
        elif not self.started or isinstance(event, ev.DecisionBoundary):
            return  # a boundary is derived from the weights: not worth the space
        elif isinstance(event, ev.TrainingExamples | ev.ExampleDynamics):
            self._record(event)
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

    def _record(self, event) -> None:
        """Write per-example dynamics; a failed write (a full disk, say) stops recording them
        with a warning in the summary, and the run trains on. Later epochs are not written:
        a reader reads the epochs up to the first one missing."""
        if not self.recording:
            return
        try:
            (write_examples if isinstance(event, ev.TrainingExamples) else write_epoch)(self.path, event)
            if isinstance(event, ev.ExampleDynamics):
                self._last_epoch = event.epoch
        except OSError as exc:
            self.recording = False
            examples = isinstance(event, ev.TrainingExamples)
            fields = {"folder": self.path / "dynamics", "error": exc.strerror or exc,
                      "epoch": "" if examples else integer(event.epoch)}
            pattern = DYNAMICS_FAILED[examples]
            log.warning(pattern.format(**fields))  # (the log stays English; the summary speaks the window's language)
            self._summary["warnings"] = [*self._summary.get("warnings", []), _(pattern).format(**fields)]
            try:
                atomic_write_json(self.path / "summary.json", self._summary)
            except OSError:
                pass  # (a full disk: the summary is written again at the end)

    def on_batch_end(self, trainer, step: int) -> None:
        # The first batch tells the run's control: from then on a thread of its own applies the
        # folder's control.json to it (another process's stop / pause / resume), whoever trains
        # the run (the window, a headless command, an experiment, a search worker).
        if self.follower is None and self._metrics is not None and getattr(trainer, "control", None) is not None:
            self.follower = ControlFollower(trainer.control)
            self.follower.start(self.path, new_folder=True)

    def on_checkpoint(self, kind: str, state: dict, info: dict[str, str]) -> None:
        if self.started:
            save_weights(state, self.path / f"{kind}.safetensors", {**info, "weights": kind})

    def _finish(self, event: ev.RunFinished) -> None:
        """Every way a run ends (completed, stopped, failed, diverged) comes here: what was
        written as it went is made durable now, once. Whatever fails here (a full disk), the
        heartbeat and the control follower stop: a beat going on would say a run that ended
        still lives, and a stop sent to it would wait for nobody."""
        told = False  # the summary says how the run ended
        try:
            if self.follower is not None:
                self.follower.stop()
            try:
                self._write({"type": "event", **ev.to_record(event)}, flush=True)
                os.fsync(self._metrics.fileno())
                if self.recording:
                    sync_dynamics(self.path, self._last_epoch)
            except OSError as exc:  # (the summary still tells how it ended)
                log.warning("%s: the run's last line or its sync to disk failed (%s)", self.path, exc.strerror or exc)
            finally:
                metrics, self._metrics = self._metrics, None
                try:
                    metrics.close()
                except OSError:
                    pass  # (the line that did not fit)
            self._summary.update(
                status=event.reason, message=event.message, epochs_completed=event.epochs_completed,
                steps=event.step, best_epoch=event.best_epoch, best_value=event.best_value,
                monitor=self._config["regularization"]["monitor"], final_metrics=event.final_metrics,
                traceback=event.traceback, finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                duration_s=round(time.time() - self._t0, 3))
            atomic_write_json(self.path / "summary.json", self._summary)
            told = True
        finally:
            if self.follower is not None:
                self.follower.stop()
            # Told: the folder holds no heartbeat after its end. Not told (the summary still
            # says running): the last beat is left to grow old, so readers say the writer is
            # gone after the stale time (its pid, the window's, lives on and would say running).
            self.heartbeat.stop(remove=told)
