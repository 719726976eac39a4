"""The overlay's one line to point at, once every run has ended: the highest validation accuracy
and the smallest gap, each against the first run, and the runs left out of the ranking."""

from __future__ import annotations

from engine.core.events import REASON_TEXT
from engine.core.i18n import _, integer, n_, number
from gui.panels.experiment_figures import figure_at, points
from gui.panels.tracked_runs import FINISHED


def share(value: float) -> str:
    """An accuracy as a percentage, its sign against the number ("61.2%")."""
    # i18n: a percentage's number and its sign, written without a space in the Experiment tab's headline
    return _("{value}%").format(value=number(value * 100, 1))


def ended(reason: str) -> str:
    """How a run ended, as the window says it (a code no version wrote is shown as it is)."""
    return _(REASON_TEXT[reason]) if reason in REASON_TEXT else reason


def takeaway(runs: list, base) -> str:
    """Only runs that trained to their end are ranked (a run stopped after 2 epochs has not overfit
    yet: its small gap is no remedy's); the others are named beside it."""
    if base is None or len(runs) < 2 or not all(r.tail.finished and r.outcome() for r in runs):
        return ""
    first = runs[0].label
    ranked = [(r.label, r.outcome(), r.weights_epoch) for r in runs if r.reason in FINISHED]
    # i18n: {run}: a run's name; {reason}: how it ended, a run's state word (stopped, diverged, failed)
    left_out = [n_("{run} ({reason} after {count} epoch)", "{run} ({reason} after {count} epochs)",
                   len(r.tail.epochs)).format(run=r.label, reason=ended(r.reason),
                                                      count=integer(len(r.tail.epochs)))
                for r in runs if r.reason not in FINISHED]
    caveat = ("<br>" + _("Not ranked, they did not train to their end: {runs}").format(runs=", ".join(left_out))
              if left_out else "")
    if len(ranked) < 2:
        return caveat
    val = max(ranked, key=lambda t: t[1].val_accuracy)
    # By its size: a gap of −23 pts (validation far above training, as strong augmentation
    # gives) is no closer to "train and validation agree" than +23.
    gap = min(ranked, key=lambda t: abs(t[1].gap))
    # i18n: {best}, {smallest}, {first}: runs' names; the figures after them are percentages and points
    return "<br>" + _("<b>Highest validation accuracy: {best}, {accuracy} ({first} {first_accuracy}); smallest gap "
                      "(in size, either way): {smallest}, {gap} ({first} {first_gap})</b>").format(
        best=val[0], accuracy=figure_at(share(val[1].val_accuracy), val[2]), first=first,
        first_accuracy=share(base.val_accuracy), smallest=gap[0], gap=figure_at(points(gap[1].gap), gap[2]),
        first_gap=points(base.gap)) + caveat
