"""The data a run trains on: a source cut into train / validation / locked test splits,
with label noise, as tensors on the training device.

Small datasets live as tensors on the training device: batches are shuffled index slices.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from engine.core.config import TORCHVISION_DATASETS, TOY_DATASETS, ConfigError, DataConfig
from engine.core.i18n import _, integer, n_
from engine.data.sources import (
    FASHION_CLASSES,
    fashion_mnist,
    first_five,
    load_image_folder,
    load_torchvision,
    make_toy,
    mnist1d,
    modular_addition,
)
from engine.data.splits import (
    LockedSplit,
    check_split_of,
    corrupt_labels,
    split_fingerprint,
    stratified_kfold,
    stratified_order,
    stratified_subset,
)


@dataclass
class DataBundle:
    train_x: torch.Tensor
    train_y: torch.Tensor  # labels the network is trained on (noisy where corrupted)
    train_y_clean: torch.Tensor
    corrupted: torch.Tensor  # bool mask: label replaced
    val_x: torch.Tensor
    val_y: torch.Tensor
    test: LockedSplit
    class_names: list[str]
    input_shape: tuple[int, ...]
    mean: torch.Tensor
    std: torch.Tensor
    is_toy: bool
    train_indices: np.ndarray  # which examples of the source's pool were drawn (recorded with the dynamics)
    val_indices: np.ndarray
    warnings: list[str] = field(default_factory=list)  # e.g. images of a folder left out
    # Each training example's position in the training split before data.remove (0 … n − 1).
    train_positions: np.ndarray | None = None
    train_files: list[str] = field(default_factory=list)  # image_folder: each training example's file
    # sha256 of the training split before data.remove (engine.data.splits.split_fingerprint):
    # recorded with the run's dynamics and in a cleaned twin's data.split_of.
    split_fingerprint: str = ""
    split_size: int = 0  # examples in the training split before data.remove: the twin's shuffle permutes them all
    data_source: dict = field(default_factory=dict)  # data.file as it ran (engine.data.python_data.ran_from)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def sizes_that_fit(cfg: DataConfig, available: int) -> tuple[str, int, str]:
    """(key, value, message) for a folder too small for the sizes asked: names the first
    size that does not fit and suggests sizes that do (60 / 20 / 20 %)."""
    test = max(1, available // 5)
    val = max(1, available // 5)
    train = max(1, available - test - val)
    key = ("data.train_size" if cfg.train_size >= max(cfg.val_size, cfg.test_size)
           else "data.val_size" if cfg.val_size >= cfg.test_size else "data.test_size")
    value = {"data.train_size": cfg.train_size, "data.val_size": cfg.val_size,
             "data.test_size": cfg.test_size}[key]
    return key, value, _(
        "train, validation and test sizes ({train} + {val} + {test}) "
        "that fit the {count} images of {path}; sizes that fit it: "
        "data.train_size = {fit_train}, data.val_size = {fit_val}, data.test_size = {fit_test}").format(
        train=integer(cfg.train_size), val=integer(cfg.val_size), test=integer(cfg.test_size),
        count=integer(available), path=cfg.path, fit_train=train, fit_val=val, fit_test=test)


def load_data(cfg: DataConfig, seed: int, device: torch.device | str = "cpu") -> DataBundle:
    """Build the splits for `cfg`, reproducibly from `seed`, as tensors on `device`."""
    rng = np.random.default_rng([seed, 1])
    warnings: list[str] = []
    pool_files: list[str] = []
    source = {"dataset": cfg.dataset}  # where the pool comes from, for the split's fingerprint
    data_source: dict = {}
    if cfg.dataset in TOY_DATASETS:
        source.update(seed=seed, toy_noise=cfg.toy_noise, size=cfg.train_size + cfg.val_size + cfg.test_size)
        x, y = make_toy(cfg.dataset, cfg.train_size + cfg.val_size + cfg.test_size, cfg.toy_noise, rng)
        pool_x, pool_y = x[: cfg.train_size + cfg.val_size], y[: cfg.train_size + cfg.val_size]
        test_x, test_y = x[cfg.train_size + cfg.val_size:], y[cfg.train_size + cfg.val_size:]
        classes = [f"class {i}" for i in range(int(y.max()) + 1)]
    elif cfg.dataset == "fashion_mnist":
        tx, ty, vx, vy = fashion_mnist()
        pool_x, pool_y, test_x, test_y = tx[:, None], ty.astype(np.int64), vx[:, None], vy.astype(np.int64)
        classes = FASHION_CLASSES
        source.update(classes=cfg.classes)
        if cfg.classes != "all":  # half the classes, relabelled 0..4: a transfer task's source or target
            keep = list(range(0 if cfg.classes == "even" else 1, 10, 2))
            pool_x, pool_y = _only(pool_x, pool_y, keep)
            test_x, test_y = _only(test_x, test_y, keep)
            classes = [FASHION_CLASSES[c] for c in keep]
    elif cfg.dataset == "modular_addition":  # the pairs in a random order: train, validation, test
        x, y = modular_addition(cfg.modulus)
        order = rng.permutation(len(y))
        source.update(seed=seed, modulus=cfg.modulus)
        n_train = round(cfg.train_fraction * len(y))
        n_test = min(cfg.test_size, (len(y) - n_train) // 2)
        if n_train < 1 or n_test < 1 or len(y) - n_train - n_test < 1:
            raise ConfigError("data.train_fraction", cfg.train_fraction,
                              _("a fraction that leaves pairs to train, to validate and to test on ({count} pairs)").format(
                                  count=integer(len(y))))
        if n_test < cfg.test_size:
            warnings.append(_("data.test_size = {size}: {count} pairs locked for the test split, half "
                              "of those not trained on (the other half validate)").format(
                size=integer(cfg.test_size), count=integer(n_test)))
        x, y = x[order], y[order]
        pool_x, pool_y, test_x, test_y = x[:len(y) - n_test], y[:len(y) - n_test], x[len(y) - n_test:], y[len(y) - n_test:]
        cfg = dataclasses.replace(cfg, train_size=n_train, val_size=len(pool_y) - n_train)
        classes = [str(i) for i in range(cfg.modulus)]
    elif cfg.dataset == "mnist1d":  # 16,000 shipped signals: the last 6,000 are the locked test split
        x, y = mnist1d()
        pool_x, pool_y, test_x, test_y = x[:10_000], y[:10_000], x[10_000:], y[10_000:]
        classes = [str(i) for i in range(10)]
    elif cfg.dataset == "image_folder":
        files: list[str] = []
        x, y, classes = load_image_folder(cfg.path, cfg.image_size, cfg.skip_unreadable, warnings, files)
        if cfg.train_size + cfg.val_size + cfg.test_size > len(y):
            raise ConfigError(*sizes_that_fit(cfg, len(y)))
        test_idx = stratified_subset(y, cfg.test_size, rng)
        rest = np.setdiff1d(np.arange(len(y)), test_idx)
        pool_x, pool_y, test_x, test_y = x[rest], y[rest], x[test_idx], y[test_idx]
        pool_files = [files[i] for i in rest]
    elif cfg.dataset in TORCHVISION_DATASETS:
        pool_x, pool_y, test_x, test_y, classes = load_torchvision(cfg.dataset, cfg.path)
    elif cfg.dataset == "arrays":  # the user's .npz / .safetensors file (engine.data.arrays); no code runs
        from engine.data.arrays import load_arrays

        pool_x, pool_y, test_x, test_y, classes = load_arrays(cfg, rng, source)
    elif cfg.dataset == "python":  # datasets from the user's file (engine.data.python_data)
        from engine.data.python_data import load_python, ran_from

        pool_x, pool_y, test_x, test_y, classes = load_python(cfg, rng, source)
        data_source = ran_from(cfg, source)
    else:  # pragma: no cover - guarded by config choices
        raise ConfigError("data.dataset", cfg.dataset, _("a known dataset"))

    if cfg.classes != "all" and cfg.dataset != "fashion_mnist":
        raise ConfigError("data.classes", cfg.classes, _("all (the even / odd halves are Fashion-MNIST's)"))
    if cfg.val_size >= len(pool_y):
        raise ConfigError("data.val_size", cfg.val_size, _("less than the {count} examples available for training and validation").format(
            count=len(pool_y)))
    available = len(pool_y) - cfg.val_size
    if cfg.train_size > available:
        raise ConfigError("data.train_size", cfg.train_size,
                          _("at most {available} ({dataset} has {count} training examples "
                            "and data.val_size = {val} of them are held out for validation)").format(
                              available=available, dataset=cfg.dataset, count=len(pool_y), val=cfg.val_size))
    if cfg.dataset in TOY_DATASETS or cfg.dataset == "modular_addition":  # already in a random order
        val_idx = np.arange(cfg.train_size, cfg.train_size + cfg.val_size)
        train_idx = np.arange(cfg.train_size)
    else:
        val_idx = stratified_subset(pool_y, cfg.val_size, rng)
        rest = np.setdiff1d(np.arange(len(pool_y)), val_idx)
        # A prefix of one stratified order: the 100 examples of a learning curve's smallest
        # run are among the 300 of the next (same seed), each class in proportion.
        train_idx = np.sort(rest[stratified_order(pool_y[rest], rng)[: cfg.train_size]])

    num_classes = len(classes)
    clean = pool_y[train_idx]
    noisy, corrupted = corrupt_labels(clean, cfg.label_noise, num_classes, cfg.label_noise_mode, rng)
    if cfg.folds >= 2:  # cross-validation: the training examples are the pool, one fold validates
        train_idx, val_idx, clean, noisy, corrupted = _fold_split(cfg, seed, train_idx, clean, noisy, corrupted)
    split_files = [Path(pool_files[i]).relative_to(Path(cfg.path).expanduser()).as_posix()
                   for i in train_idx] if pool_files else []
    fingerprint = split_fingerprint(source, train_idx, val_idx, noisy, split_files)
    n_split, notes = len(train_idx), []
    positions = np.arange(n_split)
    full_idx = train_idx
    if cfg.remove or cfg.relabel:
        if cfg.split_of:
            settings = {"run.seed": seed, **{f"data.{f.name}": getattr(cfg, f.name) for f in dataclasses.fields(cfg)}}
            check_split_of(cfg.split_of, fingerprint, settings, split_files, cfg.path)
        else:  # settings of an Overfit Lab before data.split_of: their twins still open
            notes.append(_("data.remove / data.relabel come without data.split_of (settings of an earlier Overfit "
                           "Lab): that their positions index this very training split could not be checked"))
        keep, noisy, corrupted = _cleaned(cfg, n_split, num_classes, clean, noisy, corrupted)
        train_idx, clean, noisy, corrupted, positions = (a[keep] for a in (train_idx, clean, noisy, corrupted, positions))

    def floats(a):
        a = np.asarray(a)
        t = torch.from_numpy(np.array(a))  # a writable copy
        return (t.float() / 255.0 if a.dtype == np.uint8 else t.float()).to(device)

    train_x = floats(pool_x[full_idx])
    dims = (0, 2, 3) if train_x.ndim == 4 else (0,)
    # The whole split's statistics: a cleaned twin normalizes its inputs as the run it cleans did.
    mean, std = train_x.mean(dim=dims).cpu(), train_x.std(dim=dims).cpu()
    if len(positions) < n_split:
        train_x = train_x[torch.as_tensor(positions, device=train_x.device)]
    if cfg.dataset == "modular_addition":  # one-hot numbers, as the grokking papers feed them
        mean, std = torch.zeros_like(mean), torch.ones_like(std)

    def labels(a):
        return torch.from_numpy(np.ascontiguousarray(a)).long().to(device)

    return DataBundle(
        train_x=train_x, train_y=labels(noisy), train_y_clean=labels(clean),
        corrupted=torch.from_numpy(corrupted).to(device),
        val_x=floats(pool_x[val_idx]), val_y=labels(pool_y[val_idx]),
        test=LockedSplit(floats(test_x), labels(test_y)),
        class_names=list(classes), input_shape=tuple(train_x.shape[1:]), mean=mean, std=std,
        is_toy=cfg.dataset in TOY_DATASETS, train_indices=train_idx, val_indices=val_idx,
        train_positions=positions, train_files=[pool_files[i] for i in train_idx] if pool_files else [],
        split_fingerprint=fingerprint, split_size=n_split, data_source=data_source,
        warnings=([n_("left out {count} unreadable image(s): {files}", "left out {count} unreadable image(s): {files}",
                      len(warnings)).format(count=integer(len(warnings)), files=first_five(warnings))]
                  if warnings else []) + notes)


def _cleaned(cfg: DataConfig, n: int, num_classes: int, clean, noisy, corrupted):
    """data.relabel, then data.remove, on the training split's positions: (which positions
    stay, the labels, which labels are now wrong)."""
    noisy, corrupted = noisy.copy(), corrupted.copy()
    for key, positions in (("data.remove", cfg.remove), ("data.relabel", [p for p, _c in cfg.relabel])):
        beyond = [p for p in positions if p >= n]
        if beyond:
            raise ConfigError(key, beyond[0], _("positions in the training split: 0 … {last} ({count} examples)").format(
                last=n - 1, count=integer(n)))
    for p, c in cfg.relabel:
        if c >= num_classes:
            raise ConfigError("data.relabel", [p, c], _("a class in 0 … {last}").format(last=num_classes - 1))
        noisy[p] = c
    if cfg.relabel:
        corrupted = noisy != clean
    if len(cfg.remove) >= n:
        raise ConfigError("data.remove", len(cfg.remove), _("fewer than the {count} training examples").format(count=integer(n)))
    return np.setdiff1d(np.arange(n), np.asarray(cfg.remove, dtype=np.int64)), noisy, corrupted


def _only(x: np.ndarray, y: np.ndarray, keep: list[int]) -> tuple[np.ndarray, np.ndarray]:
    mask = np.isin(y, keep)
    relabel = np.full(int(y.max()) + 1, -1, dtype=np.int64)
    relabel[keep] = np.arange(len(keep))
    return x[mask], relabel[y[mask]]


def _fold_split(cfg: DataConfig, seed: int, pool_idx, clean, noisy, corrupted):
    """Fold `cfg.fold` of `cfg.folds` stratified folds of the training pool validates (on
    its true labels); the other folds train (with their noisy labels, the same in every
    fold). The folds depend on the seed only, so every fold of one seed cuts one partition."""
    try:
        folds = stratified_kfold(clean, cfg.folds, np.random.default_rng([seed, 2]))
    except ValueError:
        smallest = int(np.unique(clean, return_counts=True)[1].min())
        raise ConfigError("data.folds", cfg.folds,
                          _("from 2 to {smallest}: every fold needs an example of each class, and the "
                            "smallest class among the {count} training examples has {smallest}").format(
                              smallest=smallest, count=integer(len(clean)))) from None
    held = folds[cfg.fold]
    keep = np.setdiff1d(np.arange(len(clean)), held)
    return pool_idx[keep], pool_idx[held], clean[keep], noisy[keep], corrupted[keep]


class Batches(list):
    """One epoch's batches (index tensors) and, for each, its index among the epoch's batches
    before any were dropped (`origins`): the run's numbering, which a cleaned twin's replayed
    live edits are keyed on."""

    def __init__(self, batches, origins):
        super().__init__(batches)
        self.origins = list(origins)


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator, device,
                     positions: np.ndarray | None = None) -> Batches:
    """Index tensors for one epoch: a fresh permutation sliced into batches (last one partial).

    `positions`: the training split was cut to these of its `n` examples (data.remove). The
    permutation is still of all `n`, and each batch loses the examples taken out: a cleaned
    twin meets its examples in the batches and order of the run it cleans, without the removed
    (a batch that lost them all is dropped; `origins` keeps the others' places)."""
    perm = torch.randperm(n, generator=generator, device=generator.device)
    if positions is None or len(positions) == n:
        batches = perm.to(device).split(batch_size)
        return Batches(batches, range(len(batches)))
    row = torch.full((n,), -1, dtype=torch.long, device=perm.device)  # position -> row of the cut split
    row[torch.as_tensor(positions, dtype=torch.long, device=perm.device)] = torch.arange(len(positions), device=perm.device)
    kept = [(i, b[b >= 0]) for i, b in enumerate(row[b] for b in perm.split(batch_size))]
    kept = [(i, b) for i, b in kept if len(b)]
    return Batches([b.to(device) for _i, b in kept], [i for i, _b in kept])
