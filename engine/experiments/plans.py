"""Plans for experiments, as lists of setting changes: k-fold cross-validation, learning
curves, the remedy tour, twin runs. No torch: the window builds plans on its own thread."""

from __future__ import annotations

from typing import Any

from engine.core.config import Config, ConfigError, check_value, field_info, load_preset
from engine.core.i18n import _

FOLDS, SEEDS = "folds", "seeds"  # the plans' own arguments, as refusals name them

# ---- plans ------------------------------------------------------------------------------
REMEDY_PRESETS = ("dropout", "weight_decay", "augmentation", "early_stopping", "all_remedies")
UNCOMPARED_KEYS = ("run.seed", "run.device", "run.name")  # what a twin never changes


def flat(config: Config) -> dict[str, Any]:
    """Every setting as {"section.key": value}."""
    return {f"{section}.{key}": value for section, values in config.to_dict().items()
            if isinstance(values, dict) for key, value in values.items()}


def differences(reference: Config, other: Config, skip=()) -> dict[str, Any]:
    """The settings of `other` that differ from `reference` (as changes to apply to it)."""
    a, b = flat(reference), flat(other)
    return {k: v for k, v in b.items() if a.get(k) != v and k not in skip}


def twin_config(reference: Config, edited: Config) -> Config:
    """A twin of the `reference` run: its seed (so the same initial weights, data order and
    augmentation draws) with the settings the user changed in `edited`."""
    return reference.with_updates(differences(reference, edited, skip=("run.seed", "run.device")))


def cv_plan(folds: int) -> list[dict[str, Any]]:
    """k-fold cross-validation: one trial per held-out fold."""
    if not isinstance(folds, int) or folds < 2:
        raise ConfigError(FOLDS, folds, _("at least 2 (each fold is held out once while the others train)"))
    return [{"data.folds": folds, "data.fold": i} for i in range(folds)]


def curve_plan(key: str, values: list, seeds: list[int]) -> list[dict[str, Any]]:
    """A learning curve: every value of `key` (say data.train_size) with every seed."""
    if not values:
        raise ConfigError(key, values, _("at least one value to train with"))
    if not seeds:
        raise ConfigError(SEEDS, seeds, _("at least one seed"))
    # model.kwargs.NAME: a keyword argument of model.file, checked by the file's signature at each run
    checked = list(values) if key.startswith("model.kwargs.") else [check_value(key, field_info(key), v) for v in values]
    return [{key: v, "run.seed": s} for v in checked for s in seeds]


def tour_plan() -> tuple[Config, list[dict[str, Any]]]:
    """The remedy tour: `overfit`, then each remedy preset as its twin (each remedy preset
    is `overfit` plus one remedy, same data, model and seed), then `overfit` cleaned: its
    twin without the training examples its own dynamics rank most suspect, as many as its
    dynamics estimate (engine.runs.scores.estimated_count) — not the number it corrupted,
    which no other remedy is told."""
    base = load_preset("overfit")
    plan = [{"run.name": "overfit"}]
    for name in REMEDY_PRESETS:
        plan.append(differences(base, load_preset(name), skip=("run.seed", "run.device")))
    plan.append({"clean": {"trial": 0}, "run.name": "cleaned"})  # overfit without its suspects (as many as estimated)
    return base, plan


TRANSFER_MODES = ("scratch", "random_frozen", "frozen", "finetune")


def transfer_plan() -> list[dict[str, Any]]:
    """The four ways to use a backbone, as twins: the same few target examples, head and seed."""
    return [{"model.transfer": mode, "run.name": mode} for mode in TRANSFER_MODES]
