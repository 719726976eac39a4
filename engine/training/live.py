"""Settings changed while a run trains: written into the live model, optimizer and trackers
at a batch boundary, and told as one SettingsApplied event."""

from __future__ import annotations

from engine.core import events as ev
from engine.nets.models import set_dropout
from engine.training.optimization import set_base_lr


def apply_live_settings(trainer, updates: dict) -> dict[str, list]:
    """Apply `updates` ({"section.key": value}, checked by RunControl) to a running trainer;
    return the changes as {key: [old, new]} (empty when nothing changed)."""
    changes = {k: [trainer.config.get(k), v] for k, v in updates.items() if trainer.config.get(k) != v}
    if not changes:
        return changes
    trainer.config = trainer.config.with_updates({k: v[1] for k, v in changes.items()})
    reg, t = trainer.config.regularization, trainer.tracker
    if "regularization.dropout" in changes:
        set_dropout(trainer.model, reg.dropout)
    if "optim.lr" in changes:
        set_base_lr(trainer.optimizer, trainer.config.optim.lr)
    if "regularization.decay_bias_and_norm" in changes:
        trainer.decay.refresh(reg.decay_bias_and_norm)
    t.min_delta = reg.min_delta
    if reg.monitor != t.monitor:  # a different metric: its best so far is unknown
        t.monitor = reg.monitor
        t.reset()
        trainer.early_stopping.reset()
    trainer.emit(ev.SettingsApplied(step=trainer.step, epoch=trainer.epoch + 1, changes=changes))
    return changes
