"""Which settings apply, given the others: declared once, for the engine (what it does with
them) and the settings panel (which fields it greys out, and why). No torch, no Qt."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from engine.core.config import GENERATED_DATASETS, TORCHVISION_DATASETS, RegularizationConfig
from engine.core.i18n import N_, _

# A backbone frozen for the whole run: its features of each image are computed once.
FROZEN_MODES = ("random_frozen", "frozen")
# Datasets that come with their own test split: data.test_size does not apply to them.
OFFICIAL_TEST_SPLIT = ("fashion_mnist", "mnist1d", *TORCHVISION_DATASETS)
# Why a setting does not apply, shown as its tooltip: translated where said (_(TEST_SIZE_IGNORED)).
TEST_SIZE_IGNORED = N_("This dataset has an official test split (Fashion-MNIST: 10,000 images; MNIST-1D: 6,000 "
                       "signals), used whole: test size applies to toy data, modular addition and image folders only.")
MODULAR_SIZES = N_("modular_addition: data.train_fraction of the modulus² pairs train, the rest validate (less "
                   "data.test_size, locked for the test).")
AUGMENT_KEYS = tuple(f"regularization.{f.name}" for f in dataclasses.fields(RegularizationConfig)
                     if f.name.startswith("augment_"))
NETWORK_KEYS = ("model.arch", "model.width", "model.depth", "model.batch_norm", "model.activation")
BACKBONE_KEYS = ("model.transfer", "model.backbone_size", "model.weights_file")
FINETUNE_KEYS = ("model.frozen_epochs", "model.backbone_lr_scale")
OWN_NETWORK = N_("Not used: your own network (model.file) replaces the built-in architectures and backbones.")


def features_cached(backbone: str, transfer: str) -> bool:
    """The backbone stays frozen for the whole run, so each image's features are computed once
    (and augmentation is off: an augmented image would need its features again)."""
    return backbone != "none" and transfer in FROZEN_MODES


def not_applicable(value: Callable[[str], Any]) -> dict[str, str | None]:
    """For each setting that may not apply: why not, in the language spoken (None: it applies),
    given `value(key)` of "data.dataset", "model.arch", "model.backbone", "model.transfer" and "model.file"."""
    dataset, backbone, transfer = value("data.dataset"), value("model.backbone"), value("model.transfer")
    own = bool(value("model.file"))
    if own:  # the user's network: arch, width, depth … and the backbone do not apply
        backbone = transfer = "none"
    out: dict[str, str | None] = {
        "data.test_size": _(TEST_SIZE_IGNORED) if dataset in OFFICIAL_TEST_SPLIT else None,
        "data.classes": None if dataset == "fashion_mnist" else _("Only for fashion_mnist."),
        "data.modulus": None if dataset == "modular_addition" else _("Only for modular_addition."),
        "data.train_fraction": None if dataset == "modular_addition" else _("Only for modular_addition."),
        "data.train_size": _(MODULAR_SIZES) if dataset == "modular_addition" else None,
        "data.val_size": _(MODULAR_SIZES) if dataset == "modular_addition" else None,
        "data.file": None if dataset == "python" else _("Only for data.dataset = python."),
        "model.bias": None if value("model.arch") == "mlp" and backbone == "none" else _("Only for the MLP."),
        "model.python_path": None if own else _("Applies with your own network (model.file)."),
        "model.backbone": _(OWN_NETWORK) if own else None}
    for key in NETWORK_KEYS:
        # i18n: {backbone} is a backbone's name (resnet18, mobilenet_v3_small)
        out[key] = _("Not used: the {backbone} backbone and a linear head replace it.").format(
            backbone=backbone) if backbone != "none" else None
    if own:
        out.update({key: _(OWN_NETWORK) for key in (*NETWORK_KEYS, "model.bias")})
    for key in BACKBONE_KEYS:
        out[key] = _("Applies with a backbone (model.backbone).") if backbone == "none" else None
    for key in FINETUNE_KEYS:
        out[key] = None if backbone != "none" and transfer == "finetune" else _("Applies when fine-tuning a backbone.")
    frozen = features_cached(backbone, transfer)
    vectors = dataset in GENERATED_DATASETS
    for key in AUGMENT_KEYS:
        out[key] = _("Off in frozen mode: each image's features are computed once, so an augmented image "
                     "would need them again.") if frozen else (
            _("Images only: these examples are vectors (input noise applies to them).") if vectors
            and key != "regularization.augment_noise" else None)
    return out
