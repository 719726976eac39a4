"""Helpers shared by the tests."""

from __future__ import annotations

from engine.core.config import Config
from engine.runs.writer import RunWriter
from engine.training.callbacks import Callback
from engine.training.trainer import Trainer


def tiny_config(updates: dict | None = None) -> Config:
    """A run that takes about a second: 256 Fashion-MNIST images, a narrow MLP."""
    base = {"data.train_size": 256, "data.val_size": 256, "model.width": 32, "model.depth": 2,
            "optim.epochs": 2, "optim.batch_size": 32, "optim.lr": 1e-3, "run.device": "cpu"}
    base.update(updates or {})
    return Config().with_updates(base)



class Recorder(Callback):
    """A callback that keeps every event, for assertions."""

    def __init__(self):
        self.events = []

    def on_event(self, event):
        self.events.append(event)

    def of(self, cls):
        return [e for e in self.events if isinstance(e, cls)]


def recorded_trainer(config: Config, runs_dir, **kw) -> tuple[Trainer, RunWriter]:
    """A trainer whose run is written to a folder under `runs_dir`, as the app attaches it."""
    writer = RunWriter(runs_dir)
    callbacks = [writer, *kw.pop("callbacks", [])]
    return Trainer(config, callbacks=callbacks, **kw), writer


class StopAtRun(Callback):
    """Asks `control` to stop as the `n`-th run of an experiment starts (a stop mid-plan)."""

    def __init__(self, control, n: int = 2):
        self.control, self.n, self.runs = control, n, 0

    def on_event(self, event):
        from engine.core import events as ev

        if isinstance(event, ev.RunStarted):
            self.runs += 1
            if self.runs == self.n:
                self.control.request_stop()


class StopAfterSteps(Callback):
    """Asks `control` to stop after `n` training steps (a run the user stopped)."""

    def __init__(self, control, n: int):
        self.control, self.n = control, n

    def on_batch_end(self, trainer, step):
        if step >= self.n:
            self.control.request_stop()
