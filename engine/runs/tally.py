"""The scores of a run as it grows: each epoch's dynamics folded into running sums, so a new
epoch costs O(examples) however many came before (the window redraws its Examples tab every
epoch). The same figures as engine.runs.scores computes from the whole arrays. numpy only."""

from __future__ import annotations

import numpy as np

from engine.core.i18n import _
from engine.runs import scores


class ExampleTally:
    def __init__(self, positions, given, true, corrupted, class_names, files=()):
        self.positions = np.asarray(positions, np.int64)
        self.given = np.asarray(given, np.int64)
        self.true = np.asarray(true, np.int64)
        self.corrupted = np.asarray(corrupted, bool)
        self.class_names = list(class_names)
        self.files = list(files)
        n = len(self.given)
        self.epochs: list[int] = []
        self.val_losses: list[float] = []
        self.margins: list[np.ndarray] = []  # per epoch, float16: an example's margin over the epochs
        self.predicted: list[np.ndarray] = []  # per epoch, int16
        self._p_sum = np.zeros(n)
        self._p_sq = np.zeros(n)
        self._right = np.zeros(n)
        self._m_sum = np.zeros(n)
        self._turn_sum = np.zeros(n)  # the margins summed up to the epoch of lowest validation loss
        self._early_sum: list[np.ndarray] = []  # the running sums of the first MIN_SCORED epochs
        self._flips = np.zeros(n)
        self._learned = np.zeros(n, bool)
        self._last_right: np.ndarray | None = None
        self.turn: int | None = None  # the epoch of lowest validation loss (the earliest of equals)
        self._lowest = np.inf  # that loss: kept as it goes, not found again in every loss each epoch
        self._upto: list[int] = []  # per epoch, how many epochs the default ranking was over then
        self._quality: dict[str, list] = {"epoch": [], "epoch_auroc": [], "ranking_auroc": [],
                                          "ranking_precision": []}

    @classmethod
    def of(cls, dynamics, val_losses: list[float]) -> ExampleTally:
        """A tally of a run folder's dynamics (engine.runs.dynamics.Dynamics)."""
        t = cls(dynamics.positions, dynamics.given, dynamics.true, dynamics.corrupted, dynamics.class_names,
                dynamics.files)
        for i, epoch in enumerate(dynamics.epochs):
            loss = val_losses[i] if i < len(val_losses) else None
            t.add(epoch, dynamics.probability[i], dynamics.margin[i], dynamics.predicted[i], loss)
        return t

    @property
    def size(self) -> int:
        return len(self.given)

    @property
    def corrupted_on_purpose(self) -> bool:
        return bool(self.corrupted.any())

    def add(self, epoch: int, probability, margin, predicted, val_loss: float | None) -> None:
        p = np.asarray(probability, np.float64)
        self.margins.append(np.asarray(margin, np.float16))
        m = self.margins[-1].astype(np.float64)  # as recorded (float16): what `quality` sums again later
        right = np.asarray(predicted) == self.given
        self.epochs.append(epoch)
        self.val_losses.append(val_loss)
        self.predicted.append(np.asarray(predicted, np.int16))
        self._p_sum += p
        self._p_sq += p * p
        self._right += right
        self._m_sum += m
        if len(self._early_sum) < scores.MIN_SCORED:
            self._early_sum.append(self._m_sum.copy())
        if self._last_right is not None:
            self._flips += self._last_right & ~right
        self._learned |= right
        self._last_right = right
        if val_loss is not None and np.isfinite(val_loss) and val_loss < self._lowest:
            self._lowest, self.turn = val_loss, len(self.epochs)  # (as scores.turn_epoch: the earliest of equals)
        if self.turn is None or self.turn == len(self.epochs):  # a new lowest validation loss (or none known)
            self._turn_sum = self._m_sum.copy()
        self._upto.append(self.scored_epochs)

    @property
    def quality(self) -> dict[str, list]:
        """The detector's quality after each epoch against the labels corrupted on purpose
        (empty lists where none were): the AUROC of the epoch's own margin, and the AUROC and
        precision at k of the default ranking as it stood then. Worked out when asked (the
        quality plot is drawn), for the epochs not asked about before: three sorts of every
        example an epoch cost the GUI thread ~1 ms on each add."""
        q = self._quality
        done = len(q["epoch"])
        if not self.corrupted_on_purpose or done == len(self.epochs):
            return q
        k = int(self.corrupted.sum())
        pending = range(done, len(self.epochs))
        sums = self._margin_sums({self._upto[i] for i in pending})
        for i in pending:
            upto = self._upto[i]
            ranking = -sums[upto] / max(upto, 1)  # AUM as score("aum") gave it after epoch i
            q["epoch"].append(self.epochs[i])
            q["epoch_auroc"].append(scores.auroc(-self.margins[i].astype(np.float64), self.corrupted))
            q["ranking_auroc"].append(scores.auroc(ranking, self.corrupted))
            q["ranking_precision"].append(scores.precision_at_k(ranking, self.corrupted, k))
        return q

    def _margin_sums(self, counts: set[int]) -> dict[int, np.ndarray]:
        """The margins summed over epochs 1 … c for each c in `counts`: the running sums where
        the tally still holds them, else added up again from the kept margins in the same
        order (so the same float64 figures as the running sums had then)."""
        held = {len(self.epochs): self._m_sum, **({self.turn: self._turn_sum} if self.turn else {}),
                **{i + 1: s for i, s in enumerate(self._early_sum)}}
        out = {c: held[c] for c in counts if c in held}
        missing = sorted(c for c in counts if c not in held)
        if missing:
            start = len(self._early_sum)  # (every missing count is past the early sums)
            total = self._early_sum[-1].copy() if start else np.zeros(self.size)
            for e in range(start, missing[-1]):
                total += self.margins[e].astype(np.float64)
                if e + 1 in missing:
                    out[e + 1] = total.copy()
        return out

    # ---- the scores (higher = more suspect), as engine.runs.scores.per_example ----------
    @property
    def confidence(self) -> np.ndarray:
        return self._p_sum / max(len(self.epochs), 1)

    @property
    def variability(self) -> np.ndarray:
        e = max(len(self.epochs), 1)
        return np.sqrt(np.maximum(self._p_sq / e - (self._p_sum / e) ** 2, 0.0))

    @property
    def correctness(self) -> np.ndarray:
        return self._right / max(len(self.epochs), 1)

    @property
    def scored_epochs(self) -> int:
        """How many epochs the default ranking (AUM) is over: up to the lowest validation loss,
        at least scores.MIN_SCORED (engine.runs.scores.scored_epochs)."""
        n = len(self.epochs)
        return min(max(self.turn or n, scores.MIN_SCORED), n)

    def score(self, name: str = scores.DEFAULT_SCORE) -> np.ndarray:
        e = max(len(self.epochs), 1)
        if name == "aum":
            upto = self.scored_epochs
            if upto == len(self.epochs):
                return -self._m_sum / max(upto, 1)
            if upto == (self.turn or 0):
                return -self._turn_sum / max(upto, 1)
            return -self._early_sum[upto - 1] / upto  # the turn came before MIN_SCORED epochs
        if name == "confidence":
            return -self.confidence
        if name == "variability":
            return self.variability
        if name == "correctness":
            return -self.correctness
        if name == "forgetting":
            return np.where(self._learned, self._flips, e + 1).astype(np.float64)
        raise ValueError(_("score {score}: one of {scores}").format(score=repr(name), scores=", ".join(scores.SCORES)))

    def order(self, name: str = scores.DEFAULT_SCORE) -> np.ndarray:
        """Example numbers, most suspect first."""
        return np.argsort(-self.score(name), kind="mergesort")

    def predicted_at_turn(self) -> np.ndarray:
        """Each example's predicted class at the last scoring epoch (the lowest validation
        loss, at least the MIN_SCORED-th; or the last epoch): often its given label, wrong or
        not — `other_class` is what a relabelled suspect gets."""
        if not self.predicted:
            return self.given.copy()
        return self.predicted[min(self.scored_epochs, len(self.predicted)) - 1].astype(np.int64)

    def other_class(self, rows=None) -> np.ndarray:
        """Per example, the class that beat its given label most often over the scoring epochs
        (engine.runs.scores.other_class; NO_OTHER where the given label led every time): what
        Relabel gives it. `rows`: only those examples (a gallery's page: not all 60,000 a redraw)."""
        rows = np.arange(self.size) if rows is None else np.asarray(rows, np.int64)
        if not self.predicted:
            return np.full(len(rows), scores.NO_OTHER, np.int64)
        upto = self.scored_epochs
        stacked = np.stack([p[rows] for p in self.predicted[:upto]]).astype(np.int64)
        return scores.other_class(stacked, self.given[rows], upto)

    def margin_history(self, example: int) -> np.ndarray:
        return np.array([m[example] for m in self.margins], np.float32)
