"""A setting's value checked against its declaration (engine.core.config's `setting`): its
type, its choices, its range, and for a cleaned twin's lists of training examples, their
shape. ConfigError names the setting and what is allowed."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from engine.core.i18n import _, number


class ConfigError(ValueError):
    """An invalid setting. `key` is the dotted name, `value` what was given."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key = key
        self.value = value
        self.allowed = allowed
        # i18n: {key} is a setting's dotted name (optim.lr), {value} what was given, {reason} what is allowed
        super().__init__(_("{key} = {value} is not allowed: {reason}").format(key=key, value=value_text(value),
                                                                               reason=allowed))


def check_value(key: str, f: dataclasses.Field, value: Any) -> Any:
    """Check one value against its field's type and constraints; return it (ints widen to float)."""
    meta = f.metadata
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(key, value, _("true or false"))
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, value, _("a whole number"))
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, value, _("a number"))
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(key, value, _("a finite number"))
    elif kind == "str":
        if not isinstance(value, str):
            raise ConfigError(key, value, _("text"))
    elif kind == "list":
        return _check_positions(key, value)
    elif key == "model.kwargs":
        return _check_keywords(key, value)
    elif kind == "dict":
        return _check_split_record(key, value)
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(key, value, _("one of {choices}").format(choices=", ".join(choices)))
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and (value < lo or (meta.get("min_exclusive") and value == lo)):
        raise ConfigError(key, value, _range_text(meta))
    if hi is not None and (value > hi or (meta.get("max_exclusive") and value == hi)):
        raise ConfigError(key, value, _range_text(meta))
    return value


def _check_keywords(key: str, value: Any) -> dict:
    """model.kwargs: a table of keyword arguments, each name a Python identifier."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and k.isidentifier() for k in value):
        raise ConfigError(key, value, _("a table of keyword arguments for model.file, e.g. [model.kwargs] hidden = 256"))
    return value


def _check_positions(key: str, value: Any) -> list:
    """data.remove: distinct positions; data.relabel: [position, class] pairs, one per position."""
    pairs = key.endswith("relabel")
    what = _("a list of [position, class] pairs of whole numbers ≥ 0") if pairs else _("a list of whole numbers ≥ 0")
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
        raise ConfigError(key, next(p for p in positions if positions.count(p) > 1), _("each position at most once"))
    return items


# The settings that build a training split, by dataset ("*": every one): what data.split_of
# records, so that positions chosen in one split are never applied to another.
_SIZES = ("data.train_size", "data.val_size")
SPLIT_SETTINGS = {
    "*": ("data.dataset", "run.seed", "data.label_noise", "data.label_noise_mode", "data.folds", "data.fold"),
    "image_folder": (*_SIZES, "data.test_size", "data.path", "data.skip_unreadable"),
    "modular_addition": ("data.test_size", "data.modulus", "data.train_fraction"),
    "fashion_mnist": (*_SIZES, "data.classes"),
    "toy": (*_SIZES, "data.test_size", "data.toy_noise"),  # moons, circles, …: made from the seed
    "other": (*_SIZES, "data.path"),  # mnist1d, torchvision datasets
    "arrays": (*_SIZES, "data.test_size", "data.path"),  # without x_test the test split comes from x
    "python": (*_SIZES, "data.test_size", "data.file"),
}


def split_keys(dataset: str, toy: bool) -> tuple[str, ...]:
    """The settings that build `dataset`'s training split."""
    own = "toy" if toy else dataset if dataset in SPLIT_SETTINGS else "other"
    return (*SPLIT_SETTINGS["*"], *SPLIT_SETTINGS[own])


def split_changed(record: dict, now: dict[str, Any]) -> tuple[str, Any, Any] | None:
    """(key, value now, value recorded) of the first setting that builds the split and differs
    from data.split_of's record; None when none does."""
    for key, recorded in (record.get("settings") or {}).items():
        if key in now and now[key] != recorded:
            return key, now[key], recorded
    return None


def refuse_changed(key: str, now: Any, recorded: Any) -> ConfigError:
    # i18n: the reason after "KEY = VALUE is not allowed:"; {recorded} is the value the split was built with
    return ConfigError(key, now, _(
        "{recorded} with data.remove / data.relabel: their positions index the training split built with "
        "{key} = {recorded} (as data.split_of records); another {key} builds another split, where they would "
        "take out or relabel other examples. Keep {key} = {recorded}, or clear data.remove, data.relabel "
        "and data.split_of (the settings panel's Keep all examples)").format(key=key, recorded=value_text(recorded)))


def _check_split_record(key: str, value: Any) -> dict:
    """data.split_of: {} or {"fingerprint": sha256 hex, "settings": {key: value}, "files": {position: file}}."""
    # i18n: {empty} is {} (an empty table)
    what = _('{empty} or a table of "fingerprint" (the split\'s sha256), "settings" (those that build it) and '
             '"files" (position: file of the examples data.remove / data.relabel name)').format(empty="{}")
    if not isinstance(value, dict):
        raise ConfigError(key, value, what)
    if not value:
        return value
    fingerprint, settings, files = value.get("fingerprint"), value.get("settings", {}), value.get("files", {})
    if set(value) - {"fingerprint", "settings", "files"} or not isinstance(fingerprint, str) \
            or not re.fullmatch(r"[0-9a-f]{64}", fingerprint) or not isinstance(settings, dict) \
            or not isinstance(files, dict) or not all(k.isdigit() and isinstance(v, str) for k, v in files.items()):
        raise ConfigError(key, value, what)
    known = {k for keys in SPLIT_SETTINGS.values() for k in keys}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"{key}.settings", unknown[0], _("one of the settings that build a split: {keys}").format(keys=", ".join(sorted(known))))
    return value


def _range_text(meta) -> str:
    lo, hi = meta.get("min"), meta.get("max")
    left = "(" if meta.get("min_exclusive") else "["
    right = ")" if meta.get("max_exclusive") else "]"
    if hi is None:
        pattern = _("greater than {low}") if meta.get("min_exclusive") else _("at least {low}")
        return pattern.format(low=_bound(lo))
    # i18n: an interval: [ and ] include the bound, ( and ) leave it out
    return _("in {left}{low}, {high}{right}").format(left=left, low=_bound(lo), high=_bound(hi), right=right)


def _bound(value) -> str:
    """A range's bound as Python writes it (1, 0.5, 1e-08, 100.0), in the language's digits."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return value_text(value)


def value_text(value: Any) -> str:
    """A value in a message as a settings file writes it (3.0, 'adam', [1, 2]), a float in the
    language's digits: "= 3,0 … in [0,0; 1,0]" in German, not a Python 3.0 beside a German
    range. A text stays quoted (it is one value, '' an empty one); English reads as repr()."""
    if isinstance(value, bool) or not isinstance(value, float) or not math.isfinite(value):
        return repr(value)  # an int as the field's own range says it, without group separators
    mantissa, e, exponent = repr(value).partition("e")  # 1.25e-05: its digits, Python's exponent
    places = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return number(float(mantissa), places) + e + exponent


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
    return ConfigError("regularization.weight_decay", weight_decay, _(
        "below 1 / optim.lr = {limit} with optim.lr = {lr} and weight_decay_mode = "
        "'decoupled': each step multiplies every weight by 1 − optim.lr × regularization.weight_decay = "
        "{factor}, which zeroes or flips them all; lower regularization.weight_decay or "
        "optim.lr (values around 1e-4 to 0.1 for their product are usual)").format(
        limit=number(DECOUPLED_LIMIT / lr), lr=number(lr), factor=number(1 - lr * weight_decay)))
