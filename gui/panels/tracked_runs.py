"""Runs the Experiment tab follows: a run folder tailed as it grows, how it ended, and the
names that tell runs apart."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.core.events import FINISHED
from engine.core.i18n import _
from engine.runs.aggregate import Outcome
from engine.runs.index import MetricsTail
from gui.plotting.values import setting_value


@dataclass(eq=False)
class Tracked:
    path: Path
    label: str
    changes: dict = field(default_factory=dict)
    tail: MetricsTail | None = None

    def __post_init__(self):
        self.tail = MetricsTail(self.path)

    def outcome(self, finished_only: bool = False) -> Outcome | None:
        """How the run ended; finished_only: only a run that trained to its end (a stopped
        fold is no fold of a cross-validation)."""
        for e in reversed(self.tail.events):
            if e.get("event") == "RunFinished":
                if finished_only and e.get("reason") not in FINISHED:
                    return None
                return Outcome.of(e.get("final_metrics"), e.get("best_epoch"))
        return None

    @property
    def finished(self) -> bool:
        return self.outcome(finished_only=True) is not None

    def _ended(self) -> dict:
        return next((e for e in reversed(self.tail.events) if e.get("event") == "RunFinished"), {})

    @property
    def reason(self) -> str:
        """How the run ended ("" while it runs)."""
        return self._ended().get("reason", "")

    @property
    def weights_epoch(self) -> int | None:
        """The epoch the weights the run ends with are from (early stopping: its restored best)."""
        f = self._ended().get("final_metrics") or {}
        return f.get("weights_epoch", f.get("end_epoch"))

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = self.tail.curve(key)
        return np.asarray(xs, float), np.asarray([math.nan if y is None else y for y in ys], float)


def config_of(path: Path) -> dict:
    try:
        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def differing(configs: list[dict]) -> tuple[list[str], list[dict]]:
    """The settings (but the run's name) that differ between `configs`, and each flattened."""
    flat = [{f"{s}.{k}": v for s, vals in c.items() if isinstance(vals, dict) for k, v in vals.items()}
            for c in configs]
    keys = sorted({k for f in flat for k in f if len({json.dumps(g.get(k)) for g in flat}) > 1
                   and k != "run.name"})
    return keys, flat


def setting_text(value, key: str | None = None) -> str:
    """A setting's value in a table cell or a run's label, as the window shows values
    (gui.plotting.values: 0,5 in German, on / off, a twin's list of examples as its length)."""
    return setting_value(value, key)


def run_label(path: Path) -> str:
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        return config["run"]["name"] or path.name
    except (OSError, json.JSONDecodeError, KeyError):
        return path.name


def trial_label(changes: dict, meta: dict) -> str:
    if "run.name" in changes:
        return changes["run.name"]
    if "data.fold" in changes:
        # i18n: a cross-validation's run, by the fold it validates on
        return _("fold {fold}").format(fold=setting_value(changes["data.fold"], "data.fold"))
    over = meta.get("over")
    if over and over in changes:
        # i18n: a learning curve's run: {setting} is a setting's name as in the settings (train_size), {value} its value
        return _("{setting} {value}, seed {seed}").format(
            setting=over.split(".")[-1], value=setting_value(changes[over], over),
            seed=setting_value(changes["run.seed"], "run.seed") if "run.seed" in changes else "?")
    # i18n: a setting's short key and its value (dropout 0.3): a marker's label on the plots, a run's label
    named = [_("{setting} {value}").format(setting=k.split(".")[-1], value=setting_value(v, k))
             for k, v in changes.items()]
    # i18n: the run of an experiment that changes nothing of its base settings
    return ", ".join(named) or _("base")
