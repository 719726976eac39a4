"""Which TensorBoard tags are a run's train and validation curves: tags are read as words
(split, metric, granularity), so `Loss/train` + `Loss/val` (torch's tutorial), `train_loss` +
`val_loss` (Lightning), `train/epoch_loss` + `validation/epoch_loss` (Keras's train/ and
validation/ folders) and `train/loss` + `eval/loss` (the Hugging Face Trainer) pair up.
Where two tags could be the same curve (`Loss/val` and `Loss/test`, logged as often), the
pairing is ambiguous: the caller asks (the window's dialog, the command line's --pair)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TRAIN_WORDS = {"train", "training"}
VAL_WORDS = {"val", "valid", "validation", "eval", "evaluation", "test", "dev"}
EPOCH_WORDS = {"epoch"}  # an epoch's aggregate (Keras's epoch_loss, Lightning's train_loss_epoch)
STEP_WORDS = {"step", "batch"}  # per-step values (Lightning's train_loss_step, Keras's batch_loss)
ALIASES = {"acc": "accuracy"}
LINKS = {"vs", "versus", "and"}  # "Training vs. Validation Loss": the metric is the loss
LR_METRICS = {"lr", "learning rate"}
# a run's bookkeeping, not a curve of its fit (the Hugging Face Trainer's timings; Lightning's hparams)
NOT_CURVES = {"runtime", "samples per second", "steps per second", "total flos", "hp metric"}
KNOWN = {"loss": ("train_loss", "val_loss"), "accuracy": ("train_accuracy", "val_accuracy")}


@dataclass(frozen=True)
class TagWords:
    split: str | None  # "train", "val" or None
    metric: str  # "" for bookkeeping (the epoch counter)
    granularity: int  # 2: per epoch, 1: not said, 0: per step
    tokens: tuple = ()


def words(tag: str) -> TagWords:
    tokens = [t for t in re.split(r"[/_\-.\s:]+", tag.lower()) if t]
    splits = _splits(tokens)
    if len(splits) > 1 and "/" in tag:  # "Training vs. Validation Loss/Validation": the last part says
        splits = _splits(words(tag.rsplit("/", 1)[1]).tokens) or splits
    granularity = 2 if EPOCH_WORDS & set(tokens) else 0 if STEP_WORDS & set(tokens) else 1
    rest = [ALIASES.get(t, t) for t in tokens
            if t not in TRAIN_WORDS | VAL_WORDS | EPOCH_WORDS | STEP_WORDS | LINKS]
    return TagWords(splits.pop() if len(splits) == 1 else None, " ".join(rest), granularity, tuple(tokens))


def _splits(tokens) -> set[str]:
    return {"train" for t in tokens if t in TRAIN_WORDS} | {"val" for t in tokens if t in VAL_WORDS}


def is_lr(tag: str) -> bool:
    metric = words(tag).metric
    return metric in LR_METRICS or metric.startswith("lr ")  # Lightning's LearningRateMonitor: lr-SGD


def columns(metric: str) -> tuple[str, str]:
    """The epoch line's keys for a metric's train and validation values."""
    name = re.sub(r"\W+", "_", metric).strip("_") or "value"
    return KNOWN.get(metric, (f"train_{name}", f"val_{name}"))


@dataclass
class Pairing:
    """A run's curves: metric -> (train tag or None, validation tag or None)."""
    pairs: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    ambiguous: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # metric -> side -> tags
    unpaired: list[str] = field(default_factory=list)  # tags shown nowhere
    lr: str | None = None

    def to_record(self) -> dict:
        return {"pairs": {m: list(p) for m, p in self.pairs.items()},
                "ambiguous": self.ambiguous, "unpaired": self.unpaired, "lr": self.lr}


def _best(candidates: list[str], counts: dict[str, int]) -> tuple[str | None, list[str]]:
    """The one tag among `candidates`, or (None, the tied tags) where two rank the same."""
    if not candidates:
        return None, []
    ranked = sorted(candidates, key=lambda t: (words(t).granularity, counts[t]), reverse=True)
    top = (words(ranked[0]).granularity, counts[ranked[0]])
    tied = [t for t in ranked if (words(t).granularity, counts[t]) == top]
    return (ranked[0], []) if len(tied) == 1 else (None, tied)


def pair_tags(counts: dict[str, int], chosen: dict[str, str] | None = None) -> Pairing:
    """Pair a run's scalar tags (tag -> number of points). `chosen`: train tag -> validation
    tag, pairs the user picked (they replace what the words would pair for their metric)."""
    result = Pairing()
    by_metric: dict[str, dict[str, list[str]]] = {}
    for tag in sorted(counts):
        w = words(tag)
        if is_lr(tag):
            if result.lr is None or counts[tag] > counts[result.lr]:
                result.lr = tag
        elif w.metric and w.split and w.metric not in NOT_CURVES:
            by_metric.setdefault(w.metric, {"train": [], "val": []})[w.split].append(tag)
    for train_tag, val_tag in (chosen or {}).items():
        metric = next((m for m in (words(train_tag).metric, words(val_tag).metric) if m in KNOWN),
                      words(train_tag).metric or train_tag)
        for sides in by_metric.values():  # the chosen tags are this pair's, not another metric's
            for side in sides.values():
                side[:] = [t for t in side if t not in (train_tag, val_tag)]
        by_metric[metric] = {"train": [train_tag], "val": [val_tag]}
    for metric, sides in by_metric.items():
        train, train_tied = _best(sides["train"], counts)
        val, val_tied = _best(sides["val"], counts)
        if train_tied or val_tied:
            result.ambiguous[metric] = {s: tied for s, tied in (("train", train_tied), ("val", val_tied)) if tied}
        if train or val:
            result.pairs[metric] = (train, val)
    used = {t for pair in result.pairs.values() for t in pair if t} | {result.lr}
    result.unpaired = sorted(t for t in counts if t not in used and words(t).metric)  # "" : the epoch counter
    return result
