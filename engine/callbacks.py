"""Callback base class and Keras-style early stopping."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from engine.events import EpochMetrics, RunFinished, RunStarted
    from engine.trainer import Trainer


class Callback:
    """A subscriber to a run. `on_event` sees every event; the hooks fire at their moments.

    Hooks run on the training thread: keep them quick, and never touch a widget from one.
    """

    def on_event(self, event) -> None:
        pass

    def on_fit_start(self, trainer: Trainer, event: RunStarted) -> None:
        pass

    def on_batch_end(self, trainer: Trainer, step: int) -> None:
        pass

    def on_epoch_end(self, trainer: Trainer, event: EpochMetrics) -> None:
        pass

    def on_fit_end(self, trainer: Trainer, event: RunFinished) -> None:
        pass


class EarlyStopping:
    """Keras EarlyStopping's rule, as a state machine fed one value per epoch.

    - An epoch improves when value < best - min_delta (loss) or value > best + min_delta
      (accuracy); an improvement resets the wait counter and, with restore_best, snapshots
      the weights.
    - Otherwise `wait` grows; when wait >= patience (and it is not the first epoch) the run
      should stop.
    - With restore_best, the weights of the best epoch are put back at the end of the run,
      whether or not it stopped early.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 restore_best: bool = True):
        self.monitor = monitor
        self.patience = patience
        self.min_delta = abs(min_delta)
        self.restore_best = restore_best
        self.reset()

    @property
    def mode(self) -> str:
        return "max" if "acc" in self.monitor else "min"

    def reset(self) -> None:
        self.wait = 0
        self.best: float = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_weights: Any = None
        self.stopped_epoch: int | None = None

    def is_improvement(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def update(self, epoch: int, value: float, snapshot: Callable[[], Any] | None = None) -> tuple[bool, bool]:
        """Feed epoch `epoch` (0-based) and its monitored value.

        Returns (improved, should_stop). `snapshot` returns a copy of the current weights.
        """
        if self.restore_best and self.best_weights is None and snapshot is not None:
            self.best_weights = snapshot()
            self.best_epoch = epoch
        self.wait += 1
        if not math.isnan(value) and self.is_improvement(value, self.best):
            self.best = value
            self.best_epoch = epoch
            if self.restore_best and snapshot is not None:
                self.best_weights = snapshot()
            self.wait = 0
            return True, False
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            return False, True
        return False, False
