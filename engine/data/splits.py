"""Cutting examples into splits: stratified and nested subsets, k-fold partitions, label
noise, and the locked test split that training never reads."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import torch

from engine.core.i18n import _
from engine.core.values import ConfigError, refuse_changed, split_changed
from engine.data.folder_changes import folder_changes


def stratified_subset(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n indices whose class proportions match `labels` (largest-remainder rounding)."""
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts / counts.sum() * n
    take = np.floor(quota).astype(int)
    for i in np.argsort(-(quota - take))[: n - take.sum()]:
        take[i] += 1
    chosen = []
    for c, k in zip(classes, take, strict=True):
        idx = np.flatnonzero(labels == c)
        chosen.append(rng.permutation(idx)[:k])
    return np.sort(np.concatenate(chosen))


def corrupt_labels(labels: np.ndarray, fraction: float, num_classes: int, mode: str,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Replace round(fraction * n) labels. Returns (new labels, mask of labels that changed).

    mode 'different': each chosen label becomes another class, so exactly that many are wrong.
    mode 'uniform': each chosen label is redrawn uniformly and may, by chance, stay the same.
    """
    n = len(labels)
    k = int(round(fraction * n))
    chosen = rng.choice(n, size=k, replace=False)
    noisy = labels.copy()
    if mode == "different":
        shift = rng.integers(1, num_classes, size=k)
        noisy[chosen] = (labels[chosen] + shift) % num_classes
    else:
        noisy[chosen] = rng.integers(0, num_classes, size=k)
    return noisy, noisy != labels


class LockedSplit:
    """The test split. Training never reads it: `open()` records each access."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor):
        self._x, self._y = x, y
        self.accesses: list[str] = []

    def __len__(self) -> int:
        return len(self._y)

    def open(self, reason: str) -> tuple[torch.Tensor, torch.Tensor]:
        self.accesses.append(reason)
        return self._x, self._y


def stratified_order(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every index once, ordered so that each prefix is a stratified sample.

    Each class's examples are shuffled and given the ranks (j + 1/2) / count, and the
    classes are merged by rank: the first n indices hold each class in proportion (to
    within one example), for every n at once."""
    keys, order = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        keys.append((np.arange(len(idx)) + 0.5) / len(idx))
        order.append(idx)
    keys, order = np.concatenate(keys), np.concatenate(order)
    return order[np.argsort(keys, kind="stable")]


def stratified_kfold(labels: np.ndarray, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """k disjoint folds covering every index, each class spread over the folds as evenly as
    its count allows. Raises ValueError when a class has fewer than k examples."""
    classes, counts = np.unique(labels, return_counts=True)
    if k < 2:
        raise ValueError(_("k-fold needs at least 2 folds, got {folds}").format(folds=k))
    if counts.min() < k:
        raise ValueError(_("{folds} folds need at least {folds} examples of every class; the smallest "
                           "class ({label}) has {count}").format(folds=k, label=classes[counts.argmin()], count=counts.min()))
    folds: list[list[np.ndarray]] = [[] for _fold in range(k)]
    start = 0  # each class continues where the last left off, so fold sizes stay even
    for c in classes:
        idx = rng.permutation(np.flatnonzero(labels == c))
        for j in range(k):
            folds[(start + j) % k].append(idx[j::k])
        start = (start + len(idx)) % k
    return [np.sort(np.concatenate(f)) for f in folds]


def split_fingerprint(source: dict, train_idx, val_idx, labels, files: list[str]) -> str:
    """sha256 of what a training split is: where its examples come from (`source`: the
    dataset, and for data made from the seed, what made it), which of them train and which
    validate, the labels trained on, and an image folder's files (relative to the folder)."""
    h = hashlib.sha256(json.dumps(source, sort_keys=True).encode())
    for a in (train_idx, val_idx, labels):
        h.update(np.ascontiguousarray(a, dtype="<i8").tobytes() + b"|")
    h.update("\n".join(files).encode())
    return h.hexdigest()


def check_split_of(record: dict, fingerprint: str, settings: dict, files: list[str], root: str) -> None:
    """Refuse a training split other than the one data.split_of records (the split whose
    positions data.remove / data.relabel hold): ConfigError naming the setting that changed,
    else the first recorded file now at another position, else the data."""
    if not record or record["fingerprint"] == fingerprint:
        return
    changed = split_changed(record, settings)
    if changed:
        raise refuse_changed(*changed)
    for key, was in sorted(record.get("files", {}).items(), key=lambda kv: int(kv[0])):
        p = int(key)
        now = os.path.join(root, files[p]) if p < len(files) else _("beyond the training split")
        if p >= len(files) or files[p] != was:
            # the named files gone or moved (one file added shifts every position: not the first that differs)
            what = folder_changes(root, list(record["files"].values()), files, every=False) or _(
                "training example {position} is {now} now, it was {was}").format(
                position=p, now=now, was=os.path.join(root, was))
            raise ConfigError("data.path", root, _(
                "the image folder as it was when data.remove / data.relabel's positions were chosen: {changes} "
                "(the folder changed since; put its files back, or train the run again and clean that one)").format(
                changes=what))
    raise ConfigError("data.split_of", _("fingerprint {fingerprint}…").format(fingerprint=record["fingerprint"][:12]), _(
        "the training split these settings build now (fingerprint {fingerprint}…): the data they read "
        "changed since data.remove / data.relabel's positions were chosen (files added, moved or removed?); "
        "train the run again and clean that one").format(fingerprint=fingerprint[:12]))
