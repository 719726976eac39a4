"""Pretrained backbones that ship with the app, and the network that transfers from them.

Two backbones live in resources/backbones/ as safetensors, each beside its licence and
provenance, and each file's SHA-256 is checked before a weight is read:
  fashion_cnn  a small CNN the project trains itself on Fashion-MNIST's even classes
               (packaging/make_fashion_backbone.py reproduces it from the shipped data), for
               the odd classes with few examples (Yosinski et al. 2014's split task);
  squeezenet   SqueezeNet 1.1 trained on ImageNet (DeepScale's BSD-2 Caffe model, as the
               `ndf` package ships it; packaging/convert_squeezenet.py converts it once), for
               your own image folders.
Nothing is ever downloaded, and no pickle is read.

A TransferNet is input preparation (resize, channel replication, the backbone's own
normalization), the backbone's feature extractor, and a new linear head. How it trains
(`model.transfer`): scratch (all layers trained from random weights), random_frozen (an
untrained frozen backbone: the honest control), frozen (feature extraction: the features
are computed once and cached, only the head trains), finetune (the backbone at a lower
learning rate, its batch-norm statistics frozen; optionally after `model.frozen_epochs`
epochs with it frozen, as fastai's fine_tune)."""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from engine.core.applicability import FROZEN_MODES
from engine.core.config import ConfigError, ModelConfig
from engine.core.files import resources_dir
from engine.core.i18n import _
from engine.data.sources import DataError


@dataclass(frozen=True)
class Backbone:
    name: str
    file: str
    sha256: str
    channels: int  # what the backbone takes
    size: int  # its native input size
    min_size: int
    features: int
    mean: tuple[float, ...]  # per channel, on inputs scaled as `scale` says
    std: tuple[float, ...]
    scale: float  # inputs in [0, 1] are multiplied by this first (Caffe models: 255)
    bgr: bool  # Caffe models take blue, green, red
    about: str


BACKBONES = {
    "fashion_cnn": Backbone(
        "fashion_cnn", "fashion_cnn.safetensors",
        "c86f955f678ee424b8ff0552a55b8eabd11208288e9b64d885bf3cb00ba09fd3", 1, 28, 8, 1152, (0.2860,), (0.3530,), 1.0, False,
        "a small CNN pretrained by this project on Fashion-MNIST's even classes (T-shirt, pullover, coat, "
        "shirt, bag)"),
    "squeezenet": Backbone(
        "squeezenet", "squeezenet1_1.safetensors",
        "d85476094d3bc9738845ed1f225154fd5a022f28e0b9f7d5bfc580e8097dde61", 3, 224, 32, 512, (104.0, 117.0, 123.0), (1.0, 1.0, 1.0), 255.0, True,
        "SqueezeNet 1.1 trained on ImageNet (1.2 M parameters)"),
}


def backbones_dir() -> Path:
    return resources_dir() / "backbones"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_pretrained(spec: Backbone, path: Path | None = None) -> dict[str, torch.Tensor]:
    """The shipped weights of `spec`, after checking the file's SHA-256 (or a user's own
    safetensors file at `path`, which has no hash to check)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    shipped = path is None
    path = backbones_dir() / spec.file if shipped else Path(path)
    if not path.is_file():
        if not shipped:
            raise ConfigError("model.weights_file", str(path), _("a .safetensors file of {backbone} weights that "
                                                                 "exists (or nothing: the shipped weights)").format(backbone=spec.name))
        raise DataError(_("{path}: backbone weights not found (reinstall Overfit Lab: the file ships with it)").format(path=path))
    if shipped and sha256_of(path) != spec.sha256:
        raise DataError(_("{path}: the backbone weights are damaged (their SHA-256 is not the one shipped); "
                          "reinstall Overfit Lab — nothing was trained on them").format(path=path))
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise DataError(_("{path}: not a safetensors weights file ({error})").format(path=path, error=exc)) from exc


class FashionFeatures(nn.Module):
    """Three conv blocks (32, 64, 128 channels), each max-pooled, flattened: 128 × 3 × 3 =
    1,152 features at 28 × 28. Where a feature is matters (a trouser's legs, a sandal's
    straps): global average pooling threw that away and its features transferred worse.
    No batch norm: with it, training from scratch on 50 images did as well as transferring."""

    def __init__(self):
        super().__init__()
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        c_in = 1
        for i, c in enumerate((32, 64, 128), 1):
            layers[f"conv{i}"] = nn.Conv2d(c_in, c, 3, padding=1)
            layers[f"act{i}"] = nn.ReLU()
            layers[f"pool{i}"] = nn.MaxPool2d(2) if i < 3 else nn.AdaptiveMaxPool2d(3)
            c_in = c
        self.body = nn.Sequential(layers)

    def forward(self, x):
        return self.body(x).flatten(1)


class SqueezeFeatures(nn.Module):
    """torchvision's SqueezeNet 1.1 feature extractor and global average pooling: 512 features."""

    def __init__(self):
        super().__init__()
        from torchvision.models import squeezenet1_1

        self.features = squeezenet1_1(weights=None).features

    def forward(self, x):
        return F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)


EXTRACTORS = {"fashion_cnn": FashionFeatures, "squeezenet": SqueezeFeatures}


class Prepare(nn.Module):
    """Inputs in [0, 1], any channel count and size -> what the backbone was trained on."""

    def __init__(self, spec: Backbone, size: int):
        super().__init__()
        self.channels, self.size, self.scale, self.bgr = spec.channels, size, spec.scale, spec.bgr
        self.register_buffer("mean", torch.tensor(spec.mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(spec.std).view(1, -1, 1, 1))

    def forward(self, x):
        if x.shape[1] != self.channels:
            x = x.expand(-1, self.channels, -1, -1) if x.shape[1] == 1 else x.mean(1, keepdim=True)
        if x.shape[-1] != self.size or x.shape[-2] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        if self.bgr:
            x = x.flip(1)
        return (x * self.scale - self.mean) / self.std


class TransferNet(nn.Module):
    def __init__(self, spec: Backbone, size: int, num_classes: int, dropout: float, mode: str):
        super().__init__()
        self.spec, self.mode = spec, mode
        self.prepare = Prepare(spec, size)
        self.backbone = EXTRACTORS[spec.name]()
        self.head = nn.Sequential(OrderedDict(drop=nn.Dropout(dropout), out=nn.Linear(spec.features, num_classes)))
        self.frozen = False

    def features(self, x):
        return self.backbone(self.prepare(x))

    def forward(self, x):
        if x.ndim == 2:  # cached features (frozen mode): the head alone
            return self.head(x)
        return self.head(self.features(x))

    def freeze(self, frozen: bool) -> None:
        self.frozen = frozen
        for p in self.backbone.parameters():
            p.requires_grad_(not frozen)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.mode != "scratch":  # pretrained or frozen: the batch-norm statistics stay as they are
            for m in self.backbone.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def param_groups(self, lr: float, backbone_scale: float) -> list[dict]:
        """The head at the learning rate; a fine-tuned backbone at lr × scale (small steps keep
        the pretrained features)."""
        scale = backbone_scale if self.mode == "finetune" else 1.0
        return [{"params": list(self.backbone.parameters()), "lr": lr * scale, "lr_scale": scale},
                {"params": list(self.head.parameters()), "lr": lr, "lr_scale": 1.0}]


def _listed(names: list[str], most: int) -> str:
    return ", ".join(names[:most]) + (" …" if len(names) > most else "")


def build_transfer(cfg: ModelConfig, input_shape, num_classes: int, dropout: float) -> TransferNet:
    spec = BACKBONES[cfg.backbone]
    if len(input_shape) != 3:
        raise ConfigError("model.backbone", cfg.backbone, _("none: a pretrained CNN needs image data, not 2-D points"))
    size = cfg.backbone_size or spec.size
    if size < spec.min_size:
        raise ConfigError("model.backbone_size", size, _("at least {min_size} for {backbone} (its layers "
                                                         "shrink the image {min_size}-fold before its features); 0 takes its own "
                                                         "{size}").format(min_size=spec.min_size, backbone=spec.name, size=spec.size))
    net = TransferNet(spec, size, num_classes, dropout, cfg.transfer)
    if cfg.transfer in ("frozen", "finetune"):
        state = load_pretrained(spec, Path(cfg.weights_file) if cfg.weights_file else None)
        expected = net.backbone.state_dict()
        missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        # i18n: {key} is a weight's name in the file; {file} and {backbone} are tensor shapes: (64, 3, 3, 3)
        misshapen = [_("{key}: file {file}, {backbone} {expected}").format(
            key=k, file=tuple(state[k].shape), backbone=spec.name, expected=tuple(expected[k].shape))
            for k in expected if k in state and state[k].shape != expected[k].shape]
        if missing or unexpected or misshapen:
            parts = [_("missing keys: {keys}").format(keys=_listed(missing, 6)) if missing else "",
                     _("unexpected keys: {keys}").format(keys=_listed(unexpected, 6)) if unexpected else "",
                     _("shape mismatches: {shapes}").format(shapes="; ".join(misshapen[:4])) if misshapen else ""]
            # i18n: "resnet18 or mobilenet": the other backbones' names
            others = functools.reduce(lambda a, b: _("{first} or {second}").format(first=a, second=b) if a else b,
                                      [b for b in BACKBONES if b != spec.name], "")
            raise ConfigError("model.weights_file", cfg.weights_file or spec.file, _(
                "weights that fit the {backbone} backbone — is the file for another backbone "
                "(model.backbone = {others})? Clear the field for the shipped weights. "
                "({problems})").format(backbone=spec.name, others=others, problems=" | ".join(p for p in parts if p)))
        net.backbone.load_state_dict(state)
    net.freeze(cfg.transfer in FROZEN_MODES or (cfg.transfer == "finetune" and cfg.frozen_epochs > 0))
    return net


@torch.no_grad()
def cached_features(net: TransferNet, x: torch.Tensor, chunk: int = 256, between=None) -> torch.Tensor:
    """The frozen backbone's features of every image, once (eval mode, in chunks)."""
    was = net.training
    net.eval()
    out = []
    for i in range(0, len(x), chunk):
        out.append(net.features(x[i:i + chunk]))
        if between is not None:
            between()
    net.train(was)
    return torch.cat(out) if out else x.new_zeros((0, net.spec.features))
