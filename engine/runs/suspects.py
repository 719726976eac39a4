"""A run folder's suspects: its training examples ranked by how mislabeled their training
dynamics make them look (engine.runs.scores), with what `main.py suspects` prints and what a
cleaned twin takes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.core.i18n import _, integer
from engine.runs import scores
from engine.runs.checked import UnreadableRun
from engine.runs.dynamics import Dynamics, read_dynamics
from engine.runs.reader import read_run, require_run_folder


@dataclass
class Suspects:
    path: Path
    dynamics: Dynamics
    ranking: scores.Ranking
    val_losses: list[float]
    turn: int | None  # the epoch of lowest validation loss
    status: str
    planned_epochs: int | None
    edits: list[dict] = field(default_factory=list)  # its live edits: {"step", "epoch", "changes": {key: [old, new]}}
    steps_per_epoch: int | None = None

    @property
    def predicted(self) -> np.ndarray:
        """The class each example was predicted as at the last scoring epoch (the lowest
        validation loss, at least the MIN_SCORED-th; or the last recorded). Often the given
        label, wrong or not: see `other`."""
        return self.dynamics.predicted[self.scored_epochs - 1]

    @property
    def scored_epochs(self) -> int:
        """The scoring epochs are 1 … this: up to the lowest validation loss, at least the
        MIN_SCORED-th (scores.scored_epochs)."""
        return scores.scored_epochs(self.val_losses, len(self.dynamics.epochs))

    @property
    def other(self) -> np.ndarray:
        """The class that beat each example's given label most often over the scoring epochs
        (scores.other_class; NO_OTHER where the given label led every time): what a relabelled
        suspect gets."""
        d = self.dynamics
        return scores.other_class(d.predicted, d.given, self.scored_epochs)

    def rows(self, top: int | None = None) -> list[dict]:
        """The ranking as records, most suspect first."""
        d, r = self.dynamics, self.ranking
        order = r.order if top is None else r.order[:top]
        predicted, other, names = self.predicted, self.other, d.class_names
        out = []
        for i in order:
            o = int(other[i])
            row = {"index": int(d.positions[i]), "given": int(d.given[i]), "predicted": int(predicted[i]),
                   "other": None if o == scores.NO_OTHER else o, "score": float(r.score[i]),
                   "given_name": names[d.given[i]], "predicted_name": names[predicted[i]],
                   "other_name": None if o == scores.NO_OTHER else names[o]}
            if d.corrupted_on_purpose:
                row.update(true=int(d.true[i]), corrupted=bool(d.corrupted[i]))
            if d.files:
                row["file"] = d.files[i]
            out.append(row)
        return out

    def by_epoch(self) -> dict[str, list] | None:
        """The detector's quality after each epoch against the labels corrupted on purpose, as
        the Examples tab draws it: the AUROC of the epoch's own margin, and the AUROC and
        precision at k of the default ranking as it stood then (AUM up to the lowest
        validation loss so far)."""
        if not self.dynamics.corrupted_on_purpose:
            return None
        from engine.runs.tally import ExampleTally

        return ExampleTally.of(self.dynamics, self.val_losses).quality


def read_suspects(path: str | Path, score: str = scores.DEFAULT_SCORE) -> Suspects:
    """Rank a run folder's training examples. Raises FileNotFoundError (no run folder),
    NoDynamics (an older run, or one that recorded none), UnreadableRun (a damaged file,
    named), ValueError (no epoch yet, an unknown score)."""
    path = require_run_folder(path)
    run = read_run(path)
    dynamics = read_dynamics(path)
    if not dynamics.epochs:
        raise ValueError(_("{path}: no epoch has finished yet, so no example has dynamics to rank").format(path=path))
    if len(dynamics.epochs) < len(run.epochs) and run.status not in ("running",):
        raise UnreadableRun(path / "dynamics", _("records {count} of the {total} epochs the run trained (files "
                                                 "missing or cut off)").format(count=integer(len(dynamics.epochs)),
                                                                               total=integer(len(run.epochs))))
    val_losses = [e.get("val_loss") for e in run.epochs][:len(dynamics.epochs)]
    ranking = scores.rank(dynamics.margin, dynamics.probability, dynamics.correct, val_losses, score,
                          dynamics.corrupted)
    optim = run.config.get("optim") or {}
    edits = [{"step": e["step"], "epoch": e["epoch"], "changes": e["changes"]} for e in run.events
             if e.get("event") == "SettingsApplied" and isinstance(e.get("changes"), dict) and e["changes"]]
    # (a clamp back to the run's own value is told with no changes: nothing to make again)
    steps = run.summary.get("steps_per_epoch") or -(-dynamics.size // max(int(optim.get("batch_size") or 1), 1))
    return Suspects(path, dynamics, ranking, val_losses, scores.turn_epoch(val_losses), run.status,
                    optim.get("epochs"), edits, steps)
