"""A setting's value checked against its declaration (engine.core.config's `setting`): its
type, its choices, its range, and for a cleaned twin's lists of training examples, their
shape. ConfigError names the setting and what is allowed."""

from __future__ import annotations

import dataclasses
from typing import Any


class ConfigError(ValueError):
    """An invalid setting. `key` is the dotted name, `value` what was given."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"{key} = {value!r} is not allowed: {allowed}")


def check_value(key: str, f: dataclasses.Field, value: Any) -> Any:
    """Check one value against its field's type and constraints; return it (ints widen to float)."""
    meta = f.metadata
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(key, value, "true or false")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, value, "a whole number")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, value, "a number")
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(key, value, "a finite number")
    elif kind == "str":
        if not isinstance(value, str):
            raise ConfigError(key, value, "text")
    elif kind == "list":
        return _check_positions(key, value)
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(key, value, f"one of {', '.join(choices)}")
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and (value < lo or (meta.get("min_exclusive") and value == lo)):
        raise ConfigError(key, value, _range_text(meta))
    if hi is not None and (value > hi or (meta.get("max_exclusive") and value == hi)):
        raise ConfigError(key, value, _range_text(meta))
    return value


def _check_positions(key: str, value: Any) -> list:
    """data.remove: distinct positions; data.relabel: [position, class] pairs, one per position."""
    pairs = key.endswith("relabel")
    what = "a list of [position, class] pairs of whole numbers ≥ 0" if pairs else "a list of whole numbers ≥ 0"
    if not isinstance(value, list):
        raise ConfigError(key, value, what)

    def whole(v):
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    items = [list(v) if isinstance(v, (list, tuple)) else v for v in value]
    bad = [v for v in items if not (isinstance(v, list) and len(v) == 2 and all(map(whole, v)))] if pairs \
        else [v for v in items if not whole(v)]
    if bad:
        raise ConfigError(key, bad[0], what)
    positions = [v[0] for v in items] if pairs else items
    if len(set(positions)) != len(positions):
        raise ConfigError(key, next(p for p in positions if positions.count(p) > 1), "each position at most once")
    return items


def _range_text(meta) -> str:
    lo, hi = meta.get("min"), meta.get("max")
    left = "(" if meta.get("min_exclusive") else "["
    right = ")" if meta.get("max_exclusive") else "]"
    if hi is None:
        return f"{'greater than' if meta.get('min_exclusive') else 'at least'} {lo}"
    return f"in {left}{lo}, {hi}{right}"


# Decoupled weight decay multiplies every decayed weight by 1 − lr · weight_decay each step:
# at 1 that zeroes them all, above it flips their signs, and the run "completes" at chance.
DECOUPLED_LIMIT = 1.0
# Mid-run, a live edit may raise lr · weight_decay to at most this (an 8 % shrink a step).
# From the start the weights grow under the decay; a raise meets weights grown without it,
# and a larger one shrinks them faster than the optimizer can follow. Measured on the
# grokking preset after memorization (benchmarks/grokking.py --live): L2 0 → 15 (lr · wd
# 0.15) drove every label to 0 % and validation to chance, 10 (0.10) dropped the right
# labels to 66 % and reached 78 % validation by epoch 200, 8 (0.08) generalized fully.
DECOUPLED_LIVE_LIMIT = 0.08


def decoupled_decay_error(lr: float, weight_decay: float, mode: str) -> ConfigError | None:
    """The error for optim.lr × regularization.weight_decay at or above DECOUPLED_LIMIT in
    decoupled mode (None when the pair is fine)."""
    if mode != "decoupled" or lr * weight_decay < DECOUPLED_LIMIT:
        return None
    return ConfigError("regularization.weight_decay", weight_decay, (
        f"below 1 / optim.lr = {DECOUPLED_LIMIT / lr:g} with optim.lr = {lr:g} and weight_decay_mode = "
        f"'decoupled': each step multiplies every weight by 1 − optim.lr × regularization.weight_decay = "
        f"{1 - lr * weight_decay:g}, which zeroes or flips them all; lower regularization.weight_decay or "
        "optim.lr (values around 1e-4 to 0.1 for their product are usual)"))
