"""A run folder reopened: its settings, its data rebuilt from the seed, its model with
the best or last weights; and a folder's weights evaluated on a split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.core import events as ev
from engine.core.config import Config, ConfigError
from engine.core.i18n import _, integer
from engine.core.user_code import check_file_unchanged
from engine.data.bundle import DataBundle, load_data
from engine.data.folder_changes import folder_changes
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


class SplitChanged(ConfigError):
    """The data rebuilt for a run folder is not the training split its record describes: its
    key names the setting whose data changed (data.path, data.file or data.dataset). Said as
    what changed, not as a setting that is not allowed: the setting is fine, its data moved."""

    def __init__(self, key: str, value, what: str, run: str | Path):
        ConfigError.__init__(self, key, value, what)
        # i18n: {key} = {value} is a setting and its value as written in a settings file
        self.args = (_("{run}'s data ({key} = {value}) changed since it trained: {what}").format(
            run=run, key=key, value=value, what=what),)


def run_data(path: str | Path) -> DataBundle:
    """A run folder's splits, rebuilt from its settings and seed (no weights needed), checked
    against the run's record of its training examples (check_split)."""
    path = require_run_folder(path)
    config = Config.load(path / "config.json")
    if config.data.dataset == "python":  # its examples exist only by running the user's file
        raise ValueError(_("{path}: its examples come from running {file} (data.dataset = python), and opening "
                           "a run folder never runs code; evaluate the run to run it").format(
            path=path, file=config.data.file))
    data = load_data(config.data, config.run.seed, "cpu")
    check_split(path, data, config.data.path, config.data.dataset)
    return data


def check_split(path: str | Path, data: DataBundle, data_path: str = "", dataset: str = "",
                data_file: str = "") -> None:
    """Refuse (SplitChanged) data rebuilt for a run folder whose training examples are not
    those the run recorded (dynamics/examples.safetensors): an image moved, added or removed
    since, so that a position would show or take out another example. Names the files gone,
    moved and new (engine.data.folder_changes); for other data, compares each example's
    source index and the split's fingerprint. A run that recorded no dynamics has nothing
    to compare: it passes. `data_path` / `dataset` / `data_file` (python data): the run's
    settings, named in the refusal."""
    path = Path(path)
    try:
        arrays, _names, files, fingerprint = read_examples(path)
    except NoDynamics:
        return
    key, value = (("data.path", data_path) if data_path else ("data.file", data_file) if data_file
                  else ("data.dataset", dataset))
    back = _("put its files back to open this run, or train it again")
    if files or data.train_files:
        if list(files) != list(data.train_files):
            what = folder_changes(data_path, list(files), list(data.train_files))
            if not what:  # the same files, in another order
                i = next(i for i, (a, b) in enumerate(zip(data.train_files, files, strict=False)) if a != b)
                what = _("training example {number} is {file} now, it was {before}").format(
                    number=integer(i), file=data.train_files[i], before=files[i])
            # i18n: {what} says which files changed; {back} says what to do
            raise SplitChanged(key, value, _("{what} ({then} training images then, {now} now); {back}").format(
                what=what, then=integer(len(files)), now=integer(len(data.train_files)), back=back), path)
    sources = arrays.get("source")
    if sources is not None and not np.array_equal(sources, np.asarray(data.train_indices)):
        now = np.asarray(data.train_indices)
        n = min(len(sources), len(now))
        i = int(np.flatnonzero(sources[:n] != now[:n])[0]) if (sources[:n] != now[:n]).any() else n
        none = _("none")
        raise SplitChanged(key, value, _("training example {number} is example {now} of its source now, {then} "
                                         "when the run trained").format(
            number=integer(i), now=integer(now[i]) if i < len(now) else none,
            then=integer(sources[i]) if i < len(sources) else none), path)
    if fingerprint and fingerprint != data.split_fingerprint:
        raise SplitChanged(key, value, _("the training split's fingerprint is {now}… now, {then}… when the run "
                                         "trained (its data or labels changed)").format(
            now=data.split_fingerprint[:12], then=fingerprint[:12]), path)


def open_run(path: str | Path, weights: str = "best", device: str = "cpu") -> StoredRun:
    """Rebuild a run folder's model and data (the same splits, from its seed) and load
    its `best` or `last` weights. Raises FileNotFoundError, ConfigError (SplitChanged: its
    data changed since it trained) or WeightsError naming what is wrong; nothing in the folder is changed."""
    path = require_run_folder(path)
    config = Config.load(path / "config.json")
    if config.model.file:  # the network's file as it was when the run trained, or nothing is imported
        ran = check_unchanged(read_summary(path).get("model_source", {}), path)
        config.model.file = ran or config.model.file  # (by the path that ran, from any folder)
    if config.data.dataset == "python":  # the data file too: an edited one is refused before it runs
        ran = check_file_unchanged(read_summary(path).get("data_source", {}), path, "data.file", "data file")
        config.data.file = ran or config.data.file
    data = load_data(config.data, config.run.seed, device)
    check_split(path, data, config.data.path, config.data.dataset,  # weights evaluated on other examples: refused
                config.data.file if config.data.dataset == "python" else "")
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
    from engine.runs.reader import not_trained_here, record_evaluation, recorded_evaluation

    path = require_run_folder(path)
    foreign = not_trained_here(path, _("evaluating it"))
    if foreign:
        raise FileNotFoundError(foreign)
    if split == "test":
        known = recorded_evaluation(path, "test")
        if known is not None:
            return known, False
    if weights is None:
        weights = "best" if (path / "best.safetensors").is_file() else "last"
    if not (path / f"{weights}.safetensors").is_file():
        saved = [w for w in ("best", "last") if (path / f"{w}.safetensors").is_file()]
        # i18n: {weights} is "best" or "last", the weights' name as the command line takes it
        raise FileNotFoundError((_("{file}: no {weights} weights saved (this run has: {saved})") if saved else
                                 _("{file}: no {weights} weights saved (the run did not finish an epoch, or was cut "
                                   "off before it could save them)")).format(
            file=path / (weights + ".safetensors"), weights=weights, saved=", ".join(saved)))
    stored = open_run(path, weights)
    report = evaluate_split(stored.model, stored.data, split, weights, stored.config.optim.loss)
    record_evaluation(path, report)
    return report, True
