"""Helpers shared by the tests."""

from __future__ import annotations

from engine.config import Config


def tiny_config(updates: dict | None = None) -> Config:
    """A run that takes about a second: 256 Fashion-MNIST images, a narrow MLP."""
    base = {"data.train_size": 256, "data.val_size": 256, "model.width": 32, "model.depth": 2,
            "optim.epochs": 2, "optim.batch_size": 32, "optim.lr": 1e-3, "run.device": "cpu"}
    base.update(updates or {})
    return Config().with_updates(base)



class Recorder:
    """A callback that keeps every event, for assertions."""

    def __init__(self):
        self.events = []

    def on_event(self, event):
        self.events.append(event)

    def of(self, cls):
        return [e for e in self.events if isinstance(e, cls)]

    def on_fit_start(self, trainer, event):
        pass

    def on_batch_end(self, trainer, step):
        pass

    def on_epoch_end(self, trainer, event):
        pass

    def on_fit_end(self, trainer, event):
        pass
