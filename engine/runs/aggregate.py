"""Figures across the runs of an experiment: mean ± sd tables and per-epoch bands.

Plain Python and numpy, no torch: the window and the headless commands both use it."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.core.i18n import number


@dataclass
class Outcome:
    """How one run ended. `val_accuracy`, `train_accuracy`, `gap` and `val_loss` belong to
    the weights the run ends with (the restored best epoch when early stopping restores
    it); `best_val_accuracy` is the highest validation accuracy of any epoch."""

    val_accuracy: float
    best_val_accuracy: float
    train_accuracy: float
    gap: float
    val_loss: float
    epoch: int
    best_train_accuracy: float = math.nan
    best_epoch: int | None = None

    @classmethod
    def of(cls, final_metrics: dict, best_epoch: int | None = None) -> Outcome | None:
        f = final_metrics or {}
        if "end_val_accuracy" not in f:
            return None
        return cls(val_accuracy=f["end_val_accuracy"], best_val_accuracy=f["max_val_accuracy"],
                   train_accuracy=f["end_train_accuracy"], gap=f["end_gap"],
                   val_loss=f["end_val_loss"], epoch=f["end_epoch"],
                   best_train_accuracy=f.get("max_train_accuracy", math.nan), best_epoch=best_epoch)


def mean_sd(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def pct(pair: tuple[float, float]) -> str:
    m, sd = pair
    return "–" if math.isnan(m) else f"{number(m * 100, 1)} ± {number(sd * 100, 1)}"


def band(curves: list[tuple[list[float], list[float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-epoch mean and sd over runs of different lengths (early stopping ends some
    sooner): (epochs, mean, sd, count) over the epochs any run reached."""
    table: dict[float, list[float]] = {}
    for xs, ys in curves:
        for x, y in zip(xs, ys, strict=True):
            if y is not None and not math.isnan(y):
                table.setdefault(float(x), []).append(float(y))
    epochs = np.array(sorted(table))
    means = np.array([statistics.fmean(table[e]) for e in epochs])
    sds = np.array([statistics.stdev(table[e]) if len(table[e]) > 1 else 0.0 for e in epochs])
    counts = np.array([len(table[e]) for e in epochs])
    return epochs, means, sds, counts


def by_value(rows: list[tuple[Any, Outcome]]) -> list[tuple[Any, dict[str, tuple[float, float]], int]]:
    """Learning-curve rows: (value, {figure: (mean, sd)}, runs) in the order values first appear."""
    groups: dict[Any, list[Outcome]] = {}
    for value, outcome in rows:
        groups.setdefault(value, []).append(outcome)
    out = []
    for value, outcomes in groups.items():
        figures = {name: mean_sd([getattr(o, name) for o in outcomes])
                   for name in ("train_accuracy", "best_train_accuracy", "val_accuracy", "best_val_accuracy",
                              "gap", "val_loss")}
        out.append((value, figures, len(outcomes)))
    return out
