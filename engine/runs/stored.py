"""A run folder reopened: its settings, its data rebuilt from the seed, its model with
the best or last weights; and a folder's weights evaluated on a split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.core import events as ev
from engine.core.config import Config
from engine.data.bundle import DataBundle, load_data
from engine.nets.models import build_model
from engine.nets.user_model import check_unchanged
from engine.runs.checked import read_summary
from engine.runs.dynamics import NoDynamics, read_examples
from engine.runs.reader import require_run_folder
from engine.runs.weights import load_weights
from engine.training.reports import evaluate_split


@dataclass
class StoredRun:
    """A finished run rebuilt from its folder: settings, data and a model with its weights."""
    path: Path
    config: Config
    data: DataBundle
    model: torch.nn.Module
    weights: str


class SplitChanged(ValueError):
    """The data rebuilt for a run folder is not the training split its record describes."""


def run_data(path: str | Path) -> DataBundle:
    """A run folder's splits, rebuilt from its settings and seed (no weights needed), checked
    against the run's record of its training examples (check_split)."""
    path = require_run_folder(path)
    config = Config.load(path / "config.json")
    data = load_data(config.data, config.run.seed, "cpu")
    check_split(path, data)
    return data


def check_split(path: str | Path, data: DataBundle) -> None:
    """Refuse (SplitChanged) data rebuilt for a run folder whose training examples are not
    those the run recorded (dynamics/examples.safetensors): an image moved, added or removed
    since, so that a position would show or take out another example. Names the first file
    that differs; for other data, compares each example's source index and the split's
    fingerprint. A run that recorded no dynamics has nothing to compare: it passes."""
    path = Path(path)
    try:
        arrays, _, files, fingerprint = read_examples(path)
    except NoDynamics:
        return
    why = f"{path}: the training split rebuilt from the run's settings is not the one it trained on"
    if files or data.train_files:
        for i, (now, was) in enumerate(zip(data.train_files, files, strict=False)):
            if now != was:
                raise SplitChanged(f"{why}: training example {i} is {now}, which was {was} when the run trained "
                                   "(the image folder changed since; put its files back to see this run's images)")
        if len(files) != len(data.train_files):
            raise SplitChanged(f"{why}: it holds {len(data.train_files):,} images, the run trained on "
                               f"{len(files):,} (the image folder changed since)")
    sources = arrays.get("source")
    if sources is not None and not np.array_equal(sources, np.asarray(data.train_indices)):
        n = min(len(sources), len(data.train_indices))
        i = int(np.flatnonzero(sources[:n] != data.train_indices[:n])[0]) if n and (
            sources[:n] != data.train_indices[:n]).any() else n
        raise SplitChanged(f"{why}: training example {i} is example "
                           f"{data.train_indices[i] if i < len(data.train_indices) else 'none'} of its source, "
                           f"{sources[i] if i < len(sources) else 'none'} when the run trained (its data changed since)")
    if fingerprint and fingerprint != data.split_fingerprint:
        raise SplitChanged(f"{why}: its fingerprint is {data.split_fingerprint[:12]}…, {fingerprint[:12]}… when the "
                           "run trained (the data it reads, or the labels, changed since)")


def open_run(path: str | Path, weights: str = "best", device: str = "cpu") -> StoredRun:
    """Rebuild a run folder's model and data (the same splits, from its seed) and load
    its `best` or `last` weights. Raises FileNotFoundError, ConfigError or WeightsError
    naming what is wrong; nothing in the folder is changed."""
    path = require_run_folder(path)
    config = Config.load(path / "config.json")
    if config.model.file:  # the network's file as it was when the run trained, or nothing is imported
        check_unchanged(read_summary(path).get("model_source", {}), path)
    data = load_data(config.data, config.run.seed, device)
    model = build_model(config.model, data.input_shape, data.num_classes,
                        config.regularization.dropout, data.mean, data.std).to(device)
    load_weights(model, path / f"{weights}.safetensors")
    return StoredRun(path, config, data, model, weights)


def evaluate_folder(path: str | Path, split: str = "test", weights: str | None = None
                    ) -> tuple[ev.Evaluated, bool]:
    """Evaluate a run folder's weights on `split`: (report, newly made).

    The test split is evaluated once per run: a folder that records a test evaluation
    returns it unchanged (False). `weights` "best" or "last"; None takes best, or last
    where the run saved no best. A new report is added to the folder (metrics line and
    summary); nothing else in it changes. Raises FileNotFoundError, ConfigError or
    WeightsError naming what is wrong."""
    from engine.runs.reader import record_evaluation, recorded_evaluation

    path = require_run_folder(path)
    if split == "test":
        known = recorded_evaluation(path, "test")
        if known is not None:
            return known, False
    if weights is None:
        weights = "best" if (path / "best.safetensors").is_file() else "last"
    if not (path / f"{weights}.safetensors").is_file():
        saved = [w for w in ("best", "last") if (path / f"{w}.safetensors").is_file()]
        raise FileNotFoundError(f"{path / (weights + '.safetensors')}: no {weights} weights saved"
                                + (f" (this run has: {', '.join(saved)})" if saved else
                                   " (the run did not finish an epoch, or was cut off before it could save them)"))
    stored = open_run(path, weights)
    report = evaluate_split(stored.model, stored.data, split, weights, stored.config.optim.loss)
    record_evaluation(path, report)
    return report, True
