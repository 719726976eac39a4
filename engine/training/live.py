"""Settings changed while a run trains: written into the live model, optimizer and trackers
at a batch boundary, and told as one SettingsApplied event."""

from __future__ import annotations

from engine.core import events as ev
from engine.core.i18n import _, number
from engine.core.values import DECOUPLED_LIVE_LIMIT
from engine.nets.models import set_dropout
from engine.training.optimization import set_base_lr


def apply_live_settings(trainer, updates: dict) -> dict[str, list]:
    """Apply `updates` ({"section.key": value}, checked by RunControl) to a running trainer;
    return the changes as {key: [old, new]} (empty when nothing changed). An edit clamped back
    to the run's own value changes nothing but is still told (empty changes, the note), so the
    user hears why the typed value was not taken."""
    updates, note = _clamp_decoupled_decay(trainer.config, dict(updates))
    changes = {k: [trainer.config.get(k), v] for k, v in updates.items() if trainer.config.get(k) != v}
    if not changes:
        if note:
            trainer.emit(ev.SettingsApplied(step=trainer.step, epoch=trainer.epoch + 1, changes={}, note=note))
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
    trainer.emit(ev.SettingsApplied(step=trainer.step, epoch=trainer.epoch + 1, changes=changes, note=note))
    return changes


def _clamp_decoupled_decay(config, updates: dict) -> tuple[dict, str]:
    """In decoupled mode each step multiplies the weights by 1 − lr × weight_decay. An edit that
    raises that product above DECOUPLED_LIVE_LIMIT (and above what the run already had) is
    clamped: the setting the user moved (weight decay, or the learning rate when only it
    changed) takes the largest value within the limit."""
    def now(key):
        return updates.get(key, config.get(key))

    lr, decay = now("optim.lr"), now("regularization.weight_decay")
    before = config.optim.lr * config.regularization.weight_decay if \
        config.regularization.weight_decay_mode == "decoupled" else 0.0
    limit = max(DECOUPLED_LIVE_LIMIT, before)
    if now("regularization.weight_decay_mode") != "decoupled" or lr * decay <= limit * (1 + 1e-9):
        return updates, ""
    if "optim.lr" in updates and "regularization.weight_decay" not in updates:
        key, value = "optim.lr", limit / decay
    else:
        key, value = "regularization.weight_decay", limit / lr
    asked = now(key)
    updates[key] = value
    # i18n: {key} is a setting's name as written in settings files (optim.lr, regularization.weight_decay)
    note = (_("{key} {asked} clamped to {value}: decoupled decay multiplies every weight by 1 − optim.lr × "
              "weight_decay each step, and {lr} × {decay} = {product} (zeroes or flips them all); a live edit keeps "
              "the product at most {limit}") if lr * decay >= 1 else
            _("{key} {asked} clamped to {value}: decoupled decay multiplies every weight by 1 − optim.lr × "
              "weight_decay each step, and {lr} × {decay} = {product} (shrinks them faster than training can "
              "follow); a live edit keeps the product at most {limit}"))
    return updates, note.format(key=key, asked=number(asked), value=number(value), lr=number(lr),
                                decay=number(decay), product=number(lr * decay), limit=number(limit))
