"""Subscribers to a run, and the two rules about its best epoch.

- `BestTracker` (always on): which epoch is best by the monitored metric, and a copy of
  its weights (for best.safetensors, and to restore at the end).
- `EarlyStopping` (a callback): Keras's rule; asks the loop to stop when the monitored
  metric has not improved for `patience` epochs and early stopping is switched on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from engine.core import events as ev
from engine.core.i18n import integer, n_


class Callback:
    """A subscriber to a run. `on_event` sees every event; the hooks fire at their moments.

    Hooks run on the training thread: keep them quick, and never touch a widget from one.
    A callback may ask the loop to stop after the current epoch with `trainer.should_stop`.
    """

    def on_event(self, event) -> None:
        pass

    def on_batch_end(self, trainer, step: int) -> None:
        pass

    def on_epoch_end(self, trainer, metrics: ev.EpochMetrics) -> None:
        pass

    def on_checkpoint(self, kind: str, state: dict, info: dict[str, str]) -> None:
        """Weights worth keeping: kind "best" or "last", a state dict of tensors on the training
        device (a subscriber that keeps them copies them to the CPU, as the run writer does
        when it saves them), and what to record beside them (run id, epoch, settings)."""


class BestTracker:
    """The best epoch so far by `monitor` (lower loss or higher accuracy, by more than
    `min_delta`), and a copy of its weights.

    As Keras does, the first epoch's weights are kept even when its value is NaN, so a run
    always has best weights once an epoch has completed."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0):
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.reset()

    @property
    def mode(self) -> str:
        return "max" if "acc" in self.monitor else "min"

    def reset(self) -> None:
        self.best: float = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_weights: Any = None

    def is_improvement(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def update(self, epoch: int, value: float, snapshot: Callable[[], Any]) -> bool:
        """Feed epoch `epoch` and its monitored value; True when it is the new best."""
        if self.best_weights is None:
            self.best_weights, self.best_epoch = snapshot(), epoch
        if not math.isnan(value) and self.is_improvement(value, self.best):
            self.best, self.best_epoch, self.best_weights = value, epoch, snapshot()
            return True
        return False


class EarlyStopping(Callback):
    """Keras EarlyStopping's rule: an epoch that is not a new best adds one to `wait`; an
    improvement resets it; when wait >= patience (and it is not the first epoch) the run
    should stop. Patience and the on/off switch are read from the run's live settings."""

    def __init__(self) -> None:
        self.wait = 0

    def reset(self) -> None:
        self.wait = 0

    def update(self, epoch: int, improved: bool, patience: int) -> bool:
        """Epoch `epoch` (1-based) ended, improving or not: should training stop?"""
        self.wait = 0 if improved else self.wait + 1
        return not improved and self.wait >= patience and epoch > 1

    def on_epoch_end(self, trainer, metrics: ev.EpochMetrics) -> None:
        reg = trainer.config.regularization
        if self.update(metrics.epoch, metrics.is_best, reg.patience) and reg.early_stopping:
            t = trainer.tracker
            trainer.emit(ev.EarlyStopped(epoch=metrics.epoch, best_epoch=t.best_epoch,
                                         best_value=t.best, monitor=t.monitor))
            trainer.should_stop = True
            # i18n: {monitor} is val_loss or val_accuracy, as the settings name it
            trainer.stop_message = n_("no improvement in {monitor} for {count} epoch after epoch {epoch}",
                                      "no improvement in {monitor} for {count} epochs after epoch {epoch}",
                                      reg.patience).format(monitor=t.monitor, count=integer(reg.patience),
                                                           epoch=integer(t.best_epoch))
