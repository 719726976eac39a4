"""Typed run settings, declared once.

Every field carries its help text, its allowed values and whether it may change while a
run is live. The help text doubles as the tooltip in the window; the constraints drive
both validation here and the ranges of the window's widgets.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import tomli_w

from engine.core.files import atomic_write_text, resources_dir
from engine.core.i18n import _, integer, n_
from engine.core.values import (  # (ConfigError: imported from here by the rest too)
    ConfigError,
    check_value,
    decoupled_decay_error,
    refuse_changed,
    split_changed,
    split_keys,
)

SCHEMA_VERSION = 1

TOY_DATASETS = ("moons", "circles", "spirals", "xor", "blobs")
TORCHVISION_DATASETS = ("mnist", "kmnist", "fashion_mnist_folder", "cifar10", "cifar100")
GENERATED_DATASETS = ("modular_addition", "mnist1d")  # vectors, made from the seed or shipped
DATASETS = ("fashion_mnist", *TOY_DATASETS, *GENERATED_DATASETS, "image_folder", *TORCHVISION_DATASETS, "arrays", "python")


def setting(default: Any, help: str, *, choices: tuple | None = None, min: float | None = None,
            max: float | None = None, min_exclusive: bool = False, max_exclusive: bool = False,
            live: bool = False, factory: bool = False, search: tuple | bool | None = None,
            hidden: bool = False):
    """Declare a field: its default, a one-line help text and its constraints.

    `live` fields may change between two steps of a running training run. `search`: a
    number's range in the default search space, (low, high, log scale); True offers a
    choice or switch to searches (its values: its choices, or false / true). `hidden`
    fields are not on the settings panel (a cleaned twin's lists of examples).
    """
    meta = dict(help=help, choices=choices, min=min, max=max, min_exclusive=min_exclusive,
                max_exclusive=max_exclusive, live=live, search=search, hidden=hidden)
    if factory:
        return field(default_factory=default, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class DataConfig:
    dataset: str = setting("fashion_mnist", "Which data to learn: Fashion-MNIST (shipped), a 2-D toy set, modular addition (a + b mod p, the grokking task), MNIST-1D (shipped; 40-number signals of 10 digits, the double-descent task), your own image folder, or a torchvision dataset already on disk; arrays: your .npz / .safetensors file (data.path); python: your own datasets (data.file).", choices=DATASETS)
    path: str = setting("", "Folder holding the data for image_folder (one sub-folder per class) or for a torchvision dataset on disk; for arrays, the .npz or .safetensors file (arrays x, y, optionally x_test, y_test, classes).")
    file: str = setting("", "data.dataset = python: PATH/my_data.py:NAME, a function (or class) returning a map-style torch dataset of (input, label) items, or a (train, test) pair of them.")
    train_size: int = setting(1000, "Training examples used (a stratified subset). Fewer examples make memorizing easier than learning.", min=1)
    val_size: int = setting(5000, "Examples held out from training to measure generalization each epoch.", min=1)
    test_size: int = setting(2000, "Examples locked away for one final evaluation, for datasets without an official test split.", min=1)
    label_noise: float = setting(0.0, "Fraction of training labels replaced at random. A network that fits them is memorizing noise, not learning patterns.", min=0.0, max=1.0)
    label_noise_mode: str = setting("different", "'different': a corrupted label is always another class; 'uniform': drawn uniformly, so it may keep its class (random-label experiments).", choices=("different", "uniform"))
    toy_noise: float = setting(0.2, "Noise added to the 2-D toy points: more noise makes the boundary harder to learn and easier to overfit.", min=0.0, max=5.0)
    modulus: int = setting(97, "modular_addition: the p of a + b mod p. Its p² pairs are the data; each pair is two one-hot numbers, its class the sum mod p. At most 200 (40,000 pairs of 400 numbers).", min=2, max=200)
    train_fraction: float = setting(0.5, "modular_addition: the fraction of the p² pairs trained on (the rest validate, and data.test_size of them are locked as the test split). Less data makes memorizing easier than finding the rule.", min=0.0, max=1.0, min_exclusive=True, max_exclusive=True)
    image_size: int = setting(28, "Side length images from a folder are resized to.", min=4, max=256)
    classes: str = setting("all", "Which Fashion-MNIST classes: all ten; even (T-shirt, pullover, coat, shirt, bag: the source task the fashion_cnn backbone was pretrained on) or odd (trouser, dress, sandal, sneaker, ankle boot: its transfer target).", choices=("all", "even", "odd"))
    folds: int = setting(0, "Cross-validation: 0 keeps one fixed validation split; k ≥ 2 cuts the training examples into k stratified folds, trains on k − 1 and validates on fold `data.fold` (a cross-validation runs every fold and reports mean ± sd).", min=0, max=100)
    fold: int = setting(0, "Which fold is held out for validation when data.folds ≥ 2 (0 … folds − 1).", min=0, max=99)
    skip_unreadable: bool = setting(True, "Leave out images of a folder that cannot be read, naming them in a warning; off: refuse the folder.")
    remove: list = setting(list, "Positions in the training split (0 … its size − 1, as `main.py suspects` prints them) of examples left out: a run cleaned of its suspects.", factory=True, hidden=True)
    relabel: list = setting(list, "[position, class] pairs: training examples given another label (a run whose suspects were relabelled to the class predicted).", factory=True, hidden=True)
    split_of: dict = setting(dict, "The training split data.remove / data.relabel index: its fingerprint, the settings that built it and the files of the examples they name (a split that differs is refused).", factory=True, hidden=True)


@dataclass
class ModelConfig:
    arch: str = setting("mlp", "Network: a fully connected MLP, a small CNN, or a small ResNet with skip connections.", choices=("mlp", "cnn", "resnet"))
    width: int = setting(512, "Units per hidden layer (MLP) or channels of the first convolution (CNN, ResNet). Bigger networks memorize more easily.", min=1, max=8192, search=(16, 1024, True))
    depth: int = setting(2, "Hidden layers (MLP), convolution blocks (CNN) or residual blocks (ResNet). A simpler architecture has less room to memorize.", min=1, max=16)
    batch_norm: bool = setting(False, "Normalize activations after each hidden layer; speeds training and regularizes a little.", search=True)
    activation: str = setting("relu", "Non-linearity between layers. square (x²): the grokking papers' choice for modular arithmetic.", choices=("relu", "tanh", "gelu", "square"), search=True)
    bias: bool = setting(True, "Biases in the MLP's layers. Off for modular arithmetic, as in the grokking papers: every weight is then decayed by L2.")
    backbone: str = setting("none", "Transfer learning: start from a CNN trained on other data (shipped with the app, never downloaded). fashion_cnn: pretrained on Fashion-MNIST's even classes (use data.classes = odd); squeezenet: SqueezeNet 1.1 trained on ImageNet (for your own images). Replaces arch, width and depth with the backbone and a new linear head.", choices=("none", "fashion_cnn", "squeezenet"))
    transfer: str = setting("finetune", "How the backbone trains. scratch: its architecture from random weights; random_frozen: random weights, frozen (the honest control); frozen: pretrained and frozen, features computed once, only the head trains (feature extraction); finetune: pretrained, trained at a lower learning rate so large early updates do not wreck what it learned.", choices=("scratch", "random_frozen", "frozen", "finetune"))
    frozen_epochs: int = setting(0, "finetune: train the head alone for this many epochs first, then the whole network (fastai's fine_tune): a random head's large gradients never reach the pretrained layers.", min=0, max=10000)
    backbone_lr_scale: float = setting(0.1, "finetune: the backbone's learning rate as a fraction of optim.lr. Small steps protect the pretrained features.", min=0.0, max=1.0, min_exclusive=True)
    backbone_size: int = setting(0, "Side length images are resized to for the backbone; 0: its own (28 for fashion_cnn, 224 for squeezenet). Smaller is faster.", min=0, max=512)
    weights_file: str = setting("", "A safetensors file of backbone weights to use instead of the shipped ones (the keys must fit the backbone).")
    file: str = setting("", "Your own network: PATH/my_net.py:NAME or package.module:NAME, a class or function returning a torch nn.Module (given input_shape and num_classes where its signature asks). Replaces arch, width, depth, batch norm, activation, bias and backbone; dropout sets p of its own dropout layers.")
    python_path: str = setting("", "Folders added to Python's import path for model.file (separated by the system's path separator): for package.module:NAME, or a file that imports its own modules.")
    kwargs: dict = setting(dict, "Keyword arguments for model.file's class or function: a [model.kwargs] table (hidden = 256).", factory=True, hidden=True)


@dataclass
class RegularizationConfig:
    dropout: float = setting(0.0, "Dropout: each hidden unit is zeroed with this probability during training, so no unit can rely on another to memorize an example.", min=0.0, max=1.0, max_exclusive=True, live=True, search=(0.0, 0.7, False))
    weight_decay: float = setting(0.0, "L2 strength: pulls every weight towards zero, favouring smooth functions that cannot bend around every noisy point, so the network overfits less. Decoupled: optim.lr × strength must stay below 1 (each step multiplies the weights by 1 − their product), and a live raise is kept to at most 0.08 (an 8 % shrink a step).", min=0.0, max=100.0, live=True, search=(1e-3, 10.0, True))
    weight_decay_mode: str = setting("decoupled", "'decoupled': shrink weights after each step (AdamW style); 'l2_penalty': add (strength/2)·Σw² to the loss.", choices=("decoupled", "l2_penalty"), live=True)
    decay_bias_and_norm: bool = setting(False, "Also apply L2 and L1 to biases and batch-norm parameters (usually left off: they do not cause overfitting).", live=True)
    l1: float = setting(0.0, "L1 strength: adds strength·Σ|w| to the loss, driving unneeded weights to zero: a sparser network has less room to memorize.", min=0.0, max=10.0, live=True)
    augment_hflip: bool = setting(False, "Flip each training image left-right with probability 1/2: the network sees more varied examples than it can memorize.", live=True)
    augment_rotate: bool = setting(False, "Rotate each training image by a random angle, so the network must learn shapes rather than memorize exact pixels.", live=True)
    rotate_degrees: float = setting(15.0, "Largest rotation angle, in degrees.", min=0.0, max=180.0, live=True)
    augment_translate: bool = setting(False, "Shift each training image by a random offset, so no exact pixel position can be memorized.", live=True)
    translate_fraction: float = setting(0.1, "Largest shift, as a fraction of the image size.", min=0.0, max=0.5, live=True)
    augment_noise: bool = setting(False, "Add Gaussian noise to each training input, so no exact input can be memorized (applies to toy data too).", live=True)
    noise_std: float = setting(0.1, "Standard deviation of the input noise.", min=0.0, max=5.0, live=True)
    augment_erase: bool = setting(False, "Blank a random rectangle of each training image (random erasing), so no single region decides the class.", live=True)
    erase_fraction: float = setting(0.2, "Largest erased area, as a fraction of the image.", min=0.0, max=1.0, min_exclusive=True, live=True)
    early_stopping: bool = setting(False, "Stop when the validation metric has not improved for `patience` epochs: training past that point only memorizes.", live=True)
    patience: int = setting(5, "Epochs without improvement before early stopping stops the run.", min=0, max=10000, live=True)
    min_delta: float = setting(0.0, "Smallest change of the monitored metric that counts as an improvement.", min=0.0, live=True)
    monitor: str = setting("val_loss", "Metric early stopping watches and the best checkpoint is chosen by.", choices=("val_loss", "val_accuracy"), live=True)
    restore_best: bool = setting(True, "At the end of the run, put back the weights of the best epoch.", live=True)


@dataclass
class OptimConfig:
    optimizer: str = setting("adam", "Optimizer. Adam adapts the step per weight; SGD with momentum is the classic.", choices=("sgd", "adam"), search=True)
    lr: float = setting(1e-3, "Learning rate: the step size. Too large and the loss diverges.", min=0.0, min_exclusive=True, max=100.0, live=True, search=(1e-4, 1e-1, True))
    momentum: float = setting(0.9, "Momentum for SGD.", min=0.0, max=1.0, max_exclusive=True)
    batch_size: int = setting(64, "Examples per optimization step.", min=1, max=65536)
    epochs: int = setting(40, "Passes over the training set.", min=1, max=100000)
    loss: str = setting("cross_entropy", "The data loss: cross-entropy, or mse (squared error against one-hot targets, as in the grokking papers).", choices=("cross_entropy", "mse"))


@dataclass
class RunConfig:
    seed: int = setting(0, "Random seed: the same seed and settings give the same run.", min=0, max=2**31 - 1)
    device: str = setting("auto", "Where to train: 'auto' takes a GPU when one is present.", choices=("auto", "cpu", "cuda"))
    name: str = setting("", "Label for the run folder and the plots' legends.")
    record_examples: bool = setting(True, "Record every training example's margin, probability of its label and prediction each epoch (from its training forward pass): the Examples tab's data map and suspects, and `main.py suspects`. About 6 bytes per example an epoch.")


@dataclass
class Config:
    schema_version: int = setting(SCHEMA_VERSION, "Version of this settings format.")
    data: DataConfig = setting(DataConfig, "Data settings.", factory=True)
    model: ModelConfig = setting(ModelConfig, "Model settings.", factory=True)
    regularization: RegularizationConfig = setting(RegularizationConfig, "Regularization settings.", factory=True)
    optim: OptimConfig = setting(OptimConfig, "Optimizer settings.", factory=True)
    run: RunConfig = setting(RunConfig, "Run settings.", factory=True)

    # ---- conversions -------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> Config:
        if not isinstance(raw, dict):
            raise ConfigError(_("(top level)"), raw, _("a table of sections"))
        version = raw.get("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ConfigError("schema_version", version, _("a positive integer"))
        if version > SCHEMA_VERSION:
            raise ConfigError("schema_version", version, _("at most {version}; this file was written by a newer Overfit Lab").format(version=SCHEMA_VERSION))
        sections = {}
        for name, value in raw.items():
            if name in ("schema_version", "search", "curve", "lesson"):  # read by their commands (engine.core.lessons)
                continue
            section_cls = SECTIONS.get(name)
            if section_cls is None:
                raise ConfigError(name, value, _("a known section: {sections}").format(sections=", ".join(SECTIONS)))
            if not isinstance(value, dict):
                raise ConfigError(name, value, _("a table of settings"))
            sections[name] = _section_from_dict(name, section_cls, value)
        cfg = cls(schema_version=SCHEMA_VERSION, **sections)
        cfg.validate()
        return cfg

    def validate(self) -> Config:
        for name in SECTIONS:
            section = getattr(self, name)
            for f in dataclasses.fields(section):
                check_value(f"{name}.{f.name}", f, getattr(section, f.name))
        d = self.data
        if d.folds == 1:
            raise ConfigError("data.folds", 1, _("0 (a fixed validation split) or at least 2 folds"))
        if d.folds >= 2 and d.fold >= d.folds:
            raise ConfigError("data.fold", d.fold, _("in [0, {last}] (data.folds = {folds})").format(last=d.folds - 1, folds=d.folds))
        if d.folds >= 2 and (d.remove or d.relabel):
            key = "data.remove" if d.remove else "data.relabel"
            count = len(getattr(d, key.split(".")[1]))
            raise ConfigError(key, n_("{count} example", "{count} examples", count).format(count=integer(count)), _(
                "none with data.folds ≥ 2: its positions are of one training split, and each fold trains on "
                "another; cross-validate the run's settings without them, or clean a run of one fixed split"))
        changed = split_changed(d.split_of, self.split_settings()) if d.remove or d.relabel else None
        if changed:
            raise refuse_changed(*changed)
        return self

    def check_trainable(self) -> Config:
        """Refuse what may be read but not trained: optim.lr × weight_decay ≥ 1 in decoupled mode.
        Checked where a run starts (trainer, plan, Start), so an old run folder still opens."""
        bad_decay = decoupled_decay_error(self.optim.lr, self.regularization.weight_decay, self.regularization.weight_decay_mode)
        if bad_decay:
            raise bad_decay
        return self

    def split_settings(self) -> dict[str, Any]:
        """The settings that build this config's training split, as data.split_of records them."""
        return {k: self.get(k) for k in split_keys(self.data.dataset, self.data.dataset in TOY_DATASETS)}

    def copy(self) -> Config:
        return Config.from_dict(self.to_dict())

    def get(self, key: str) -> Any:
        section, name = split_key(key)
        return getattr(getattr(self, section), name)

    def with_updates(self, updates: dict[str, Any]) -> Config:
        """A validated copy with `{"section.key": value}` replaced."""
        raw = self.to_dict()
        for key, value in updates.items():
            if key.startswith("model.kwargs."):  # one keyword argument of model.file, into [model.kwargs]
                key, value = "model.kwargs", {**raw["model"].get("kwargs", {}), key.removeprefix("model.kwargs."): value}
            section, name = split_key(key)
            raw[section][name] = value
        return Config.from_dict(raw)

    def with_overrides(self, assignments: list[str]) -> Config:
        """Apply command-line style `section.key=value` strings; values are TOML literals."""
        updates = {}
        for text in assignments:
            if "=" not in text:
                raise ConfigError(text, text, _("section.key=value"))
            key, literal = text.split("=", 1)
            updates[key.strip()] = parse_literal(literal.strip())
        return self.with_updates(updates)

    # ---- files ------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Config:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(_("(file)"), str(path), _("a readable settings file ({error})").format(error=exc.strerror)) from exc
        except UnicodeDecodeError:
            raise ConfigError(_("(file)"), str(path), _("a settings file of text (this one holds binary data)")) from None
        try:
            if path.suffix.lower() == ".json":
                raw = json.loads(text)
            else:
                raw = tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:  # nesting: recursion
            # i18n: {format} is TOML or JSON
            raise ConfigError(_("(file)"), str(path), _("valid {format} ({error})").format(format=path.suffix.lstrip(".").upper() or "TOML", error=exc)) from exc
        return cls.from_dict(raw)

    def dumps(self, fmt: str = "toml") -> str:
        data = self.to_dict()
        if fmt == "json":
            return json.dumps(data, indent=2) + "\n"
        return tomli_w.dumps(data)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        fmt = "json" if path.suffix.lower() == ".json" else "toml"
        atomic_write_text(path, self.dumps(fmt))
        return path


SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "model": ModelConfig,
    "regularization": RegularizationConfig,
    "optim": OptimConfig,
    "run": RunConfig,
}


HIDDEN_KEYS = tuple(f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)
                    if f.metadata.get("hidden"))


def split_key(key: str) -> tuple[str, str]:
    section, name = key.partition(".")[::2]
    cls = SECTIONS.get(section)
    if cls is None or not name:
        raise ConfigError(key, None, _("a key of the form section.name with section one of {sections}").format(sections=", ".join(SECTIONS)))
    if name not in {f.name for f in dataclasses.fields(cls)}:
        raise ConfigError(key, None, _("a known key of [{section}]: {keys}").format(section=section, keys=", ".join(f.name for f in dataclasses.fields(cls))))
    return section, name


def field_info(key: str) -> dataclasses.Field:
    section, name = split_key(key)
    return next(f for f in dataclasses.fields(SECTIONS[section]) if f.name == name)


def live_keys() -> list[str]:
    """Keys that may change while a run is live."""
    return [f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)
            if f.metadata.get("live")]


def parse_literal(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text  # a bare word is a string: dataset=moons


def _section_from_dict(name: str, cls: type, raw: dict):
    known = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key, value in raw.items():
        f = known.get(key)
        if f is None:
            raise ConfigError(f"{name}.{key}", value, _("a known key of [{section}]: {keys}").format(section=name, keys=", ".join(known)))
        values[key] = check_value(f"{name}.{key}", f, value)
    return cls(**values)


def presets_dir() -> Path:
    return resources_dir() / "presets"


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.toml"))


def load_preset(name: str) -> Config:
    path = presets_dir() / f"{name}.toml"
    if not path.is_file():
        raise ConfigError("preset", name, _("one of {choices}").format(choices=", ".join(preset_names())))
    return Config.load(path)


def preset_description(name: str) -> str:
    """The comment at the top of a preset's file: what it demonstrates, what to look at."""
    path = presets_dir() / f"{name}.toml"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# "))
    return " ".join(lines)


def _table(name: str, config_file: str | None, preset: str | None):
    """A table of a settings file or preset that is not settings ([search], [curve]), or None."""
    path = Path(config_file) if config_file else presets_dir() / f"{preset or 'overfit'}.toml"
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, json.JSONDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None  # resolve() names what is wrong with the file
    return raw.get(name) if isinstance(raw, dict) else None


def search_section(config_file: str | None = None, preset: str | None = None) -> dict | None:
    """The `[search]` table of a settings file or preset, if it has one."""
    return _table("search", config_file, preset)


CURVE_KEYS = {"over": str, "values": list, "seeds": int}


def curve_section(config_file: str | None = None, preset: str | None = None) -> dict | None:
    """The `[curve]` table of a settings file or preset — a sweep of its own: `over` (the
    setting), `values`, `seeds` — checked, each problem named; None where there is none."""
    table = _table("curve", config_file, preset)
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError("curve", table, _("a table: over = \"section.key\", values = [...], seeds = N"))
    for key in table:
        if key not in CURVE_KEYS:
            raise ConfigError(f"curve.{key}", table[key], _("a key of [curve]: {keys}").format(keys=", ".join(CURVE_KEYS)))
    for key, kind in CURVE_KEYS.items():
        value = table.get(key, 3 if key == "seeds" else None)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"curve.{key}", value, {"over": _("a setting's name, e.g. \"model.width\""), "values": _(
                "a list of that setting's values"), "seeds": _("a whole number of seeds per value")}[key])
    field_info(table["over"])  # a known setting, or ConfigError naming it
    values = [check_value(table["over"], field_info(table["over"]), v) for v in table["values"]]
    if not values:
        raise ConfigError("curve.values", values, _("at least one value"))
    if table.get("seeds", 3) < 1:
        raise ConfigError("curve.seeds", table["seeds"], _("at least 1"))
    return {"over": table["over"], "values": values, "seeds": table.get("seeds", 3)}


def resolve(config_file: str | None = None, preset: str | None = None,
            overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """A file or a preset (default `overfit`), then `section.key=value` overrides: every command line's settings."""
    cfg = Config.load(config_file) if config_file else load_preset(preset or "overfit")
    from engine.core.lessons import refuse_locked  # a lesson's locks hold against --set
    return refuse_locked(config_file, cfg.with_overrides(list(overrides)) if overrides else cfg)
