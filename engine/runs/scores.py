"""Which training examples look mislabeled, from their training dynamics (numpy only: the
window computes these on its own thread).

Scores, each over a range of epochs (rows of the [epochs, examples] arrays):
  aum          Area Under the Margin (Pleiss et al. 2020, arXiv 2001.10528): the mean margin,
               the given label's logit minus the largest other logit. A wrong label is fitted
               late: its margin stays negative while the network learns the patterns.
  confidence   Dataset Cartography (Swayamdipta et al. 2020, arXiv 2009.10795): the mean
               probability of the given label; `variability` its standard deviation,
               `correctness` the fraction of epochs predicted right.
  forgetting   Forgetting events (Toneva et al. 2019, arXiv 1812.05159): how often an example
               went from predicted right to wrong; one never predicted right counts as
               forgotten more often than any other.

The default ranking ("suspects") is AUM over the scoring epochs: 1 … the epoch of lowest
validation loss, at least the MIN_SCORED-th (`scored_epochs`). From the lowest validation loss
on the network memorizes, and a memorized wrong label's margin turns positive like a right
one's. On `overfit` (1,000 images, 300 wrong labels) that
ranks the wrong labels first with AUROC 0.96–0.97; over all 40 epochs, 0.81–0.84
(benchmarks/suspects.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.core.i18n import N_, _, number

SCORES = ("aum", "confidence", "variability", "correctness", "forgetting")
DEFAULT_SCORE = "aum"
# (marked N_: the window translates them where shown, _(SCORE_HELP[name]))
SCORE_HELP = {
    "aum": N_("Area Under the Margin over the scoring epochs (up to the lowest validation loss, at least "
           "the 3rd): the given label's logit "
           "minus the largest other logit, averaged. Low: the network kept preferring another class "
           "while it learned the patterns. Most suspect first."),
    "confidence": N_("Cartography's confidence: the mean probability of the given label over the epochs. Low "
                     "first."),
    "variability": N_("Cartography's variability: the standard deviation of that probability. High first "
                      "(ambiguous examples)."),
    "correctness": N_("The fraction of epochs the example was predicted as its given label. Low first."),
    "forgetting": N_("Forgetting events: how often the example went from predicted right to wrong (never "
                     "learned counts highest). High first."),
}


MIN_SCORED = 3  # AUM is averaged over at least this many epochs (where recorded): one is too noisy


def scored_epochs(val_losses: list[float], recorded: int) -> int:
    """How many epochs the default ranking averages (the scoring epochs 1 … this): up to the
    lowest validation loss, at least MIN_SCORED, at most those recorded."""
    return min(max(turn_epoch(val_losses[:recorded]) or recorded, MIN_SCORED), recorded)


def turn_epoch(val_losses: list[float]) -> int | None:
    """The epoch (1-based) of the lowest validation loss so far: where memorizing begins."""
    finite = [(v, i) for i, v in enumerate(val_losses) if v is not None and np.isfinite(v)]
    return min(finite)[1] + 1 if finite else None


def per_example(margin: np.ndarray, probability: np.ndarray, correct: np.ndarray) -> dict[str, np.ndarray]:
    """Every score over all the rows given ([epochs, examples] each); higher = more suspect."""
    epochs = len(margin)
    learned = correct.any(axis=0)
    flips = (correct[:-1] & ~correct[1:]).sum(axis=0) if epochs > 1 else np.zeros(margin.shape[1], int)
    return {"aum": -margin.mean(axis=0), "confidence": -probability.mean(axis=0),
            "variability": probability.std(axis=0), "correctness": -correct.mean(axis=0),
            "forgetting": np.where(learned, flips, epochs + 1).astype(np.float64)}


def auroc(score: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve of `score` ranking `positive` first (ties count half);
    None without both classes."""
    positive = np.asarray(positive, bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(score, kind="mergesort")
    s = np.asarray(score, np.float64)[order]
    ranks = np.empty(len(s), np.float64)
    starts = np.r_[0, np.flatnonzero(np.diff(s)) + 1]
    ends = np.r_[starts[1:], len(s)]
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)  # average rank of each tie
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precision_at_k(score: np.ndarray, positive: np.ndarray, k: int) -> float | None:
    if k <= 0:
        return None
    top = np.argsort(-np.asarray(score, np.float64), kind="mergesort")[:k]
    return float(np.asarray(positive, bool)[top].mean())


@dataclass
class Ranking:
    """The training examples, most suspect first, by one score over epochs 1 … `upto`."""
    score_name: str
    upto: int  # epochs used
    order: np.ndarray  # example numbers (rows of the arrays), most suspect first
    score: np.ndarray  # per example (in example order, not ranked), higher = more suspect
    auroc: float | None = None  # against the labels corrupted on purpose, where there are some
    precision_at_k: float | None = None
    k: int = 0


# Each score's AUROC against the 300 labels `overfit` corrupts on purpose, mean of seeds 0–2
# (benchmarks/suspects.py --eval-pass; the README's suspects table): how well it finds wrong labels.
MEASURED_AUROC = {"aum": 0.968, "confidence": 0.892, "variability": 0.948, "correctness": 0.939,
                  "forgetting": 0.691}
WEAK_AUROC = 0.85  # a ranking whose known AUROC is below this puts many right labels among its top


def ranking_doubt(score: str, auroc: float | None = None) -> str:
    """Why a ranking may take out right labels ("" when nothing is known against it): its own
    AUROC where the run corrupted labels on purpose and it is low, or a score the project's
    measurements found weaker than the default. Says what to use instead."""
    # i18n: {default} is a score's name (aum), `overfit` a preset's name; "--score" is an option as typed
    instead = (_("--score {default} (the default) ranked them best (AUROC {auroc} on `overfit`)").format(
        default=DEFAULT_SCORE, auroc=number(MEASURED_AUROC[DEFAULT_SCORE], 2)) if score != DEFAULT_SCORE else "")
    if auroc is not None and auroc < WEAK_AUROC:
        # i18n: {score} is a score's name (aum, confidence, forgetting…)
        weak = _("this ranking by {score} has an AUROC of {auroc} against the labels corrupted on purpose (1: every "
                 "wrong label above every right one; 0.5: chance), so its most suspect include many right "
                 "labels").format(score=score, auroc=number(auroc, 2))
        return "; ".join([weak, instead or _("train longer, or to a later lowest validation loss")])
    if score != DEFAULT_SCORE and score in MEASURED_AUROC:
        weaker = _("{score} finds wrong labels less well than {default}: AUROC {auroc} against {best} on `overfit` "
                   "(benchmarks/suspects.py)").format(score=score, default=DEFAULT_SCORE,
                                                      auroc=number(MEASURED_AUROC[score], 2),
                                                      best=number(MEASURED_AUROC[DEFAULT_SCORE], 2))
        return "; ".join([weaker, instead])
    return ""


def rank(margin: np.ndarray, probability: np.ndarray, correct: np.ndarray, val_losses: list[float],
         score: str = DEFAULT_SCORE, corrupted: np.ndarray | None = None) -> Ranking:
    """The ranking by `score`: AUM over the epochs up to the lowest validation loss, the
    Cartography scores and forgetting over every epoch recorded."""
    if score not in SCORES:
        raise ValueError(_("score {score}: one of {scores}").format(score=repr(score), scores=", ".join(SCORES)))
    epochs = len(margin)
    if epochs == 0:
        raise ValueError(_("no epoch recorded yet"))
    upto = epochs
    if score == "aum":
        upto = scored_epochs(val_losses, epochs)
    values = per_example(margin[:upto], probability[:upto], correct[:upto])[score]
    order = np.argsort(-values, kind="mergesort")
    r = Ranking(score, upto, order, values)
    if corrupted is not None and corrupted.any():
        r.k = int(corrupted.sum())
        r.auroc = auroc(values, corrupted)
        r.precision_at_k = precision_at_k(values, corrupted, r.k)
    return r


def estimated_count(predicted: np.ndarray, given: np.ndarray, val_losses: list[float]) -> int:
    """How many labels look wrong, estimated from the run's own dynamics (no ground truth, no
    noise setting): the examples the network never predicted as their given label over the
    scoring epochs — while it learned the patterns, before it memorized. Toneva et al.'s
    "never learned" examples, counted where memorizing has not yet begun. On `overfit` (300 of
    1,000 labels wrong) 316–343 over seeds 0–3; the examples whose AUM is negative, 427–457,
    count also the hard right ones the network had not learned yet (benchmarks/suspects.py)."""
    upto = scored_epochs(val_losses, len(predicted))
    if upto == 0:
        return 0
    return int((~(np.asarray(predicted)[:upto] == np.asarray(given)[None, :]).any(axis=0)).sum())


NO_OTHER = -1  # other_class of an example whose given label led at every scoring epoch


def other_class(predicted: np.ndarray, given: np.ndarray, upto: int) -> np.ndarray:
    """Per example, the class that beat its given label most often over epochs 1 … `upto` (the
    largest other logit of those epochs: the class AUM's margin is taken against when it is
    negative; ties go to the later epoch's), or NO_OTHER where the given label led every
    time. A relabelled suspect gets this class: the one the network preferred while it
    learned the patterns, before it memorized the given label."""
    predicted = np.asarray(predicted)[:upto]
    n = predicted.shape[1] if predicted.ndim == 2 else len(given)
    best = np.full(n, NO_OTHER, np.int64)
    if predicted.size == 0:
        return best
    classes = int(max(predicted.max(), np.max(given))) + 1
    votes = np.zeros((n, classes))
    rows = np.arange(n)
    for e, p in enumerate(predicted, start=1):
        other = p != given
        # a count; the fraction (under 1/2 summed over all the epochs) breaks ties by lateness
        votes[rows[other], p[other]] += 1 + e / (upto + 1) ** 2
    beaten = votes.max(axis=1) > 0
    best[beaten] = votes[beaten].argmax(axis=1)
    return best
