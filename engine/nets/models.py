"""MLP, small CNN and small ResNet, each with named layers, dropout and optional batch norm.

Layer names (`fc1`, `conv2`, `block1.conv_a`, `out`) are what the weight-norm plots show.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from engine.core.config import ModelConfig
from engine.core.i18n import _


class Square(nn.Module):
    """x²: the activation of the grokking papers' modular-arithmetic networks."""

    def forward(self, x):
        return x * x


ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "square": Square}


class InputNorm(nn.Module):
    """Standardizes inputs with the training set's mean and std, kept with the weights."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.clone().float())
        self.register_buffer("std", std.clone().float().clamp_min(1e-6))

    def forward(self, x):
        return (x - self.mean) / self.std


def _norm_shape(input_shape: tuple[int, ...]) -> tuple[int, ...]:
    # Per-channel statistics for images [C, H, W], per-feature for vectors [D].
    return (input_shape[0], 1, 1) if len(input_shape) == 3 else (input_shape[0],)


class MLP(nn.Module):
    def __init__(self, input_shape, num_classes, cfg: ModelConfig, dropout: float):
        super().__init__()
        in_features = 1
        for s in input_shape:
            in_features *= s
        act = ACTIVATIONS[cfg.activation]
        layers: OrderedDict[str, nn.Module] = OrderedDict(flatten=nn.Flatten())
        width_in = in_features
        for i in range(1, cfg.depth + 1):
            layers[f"fc{i}"] = nn.Linear(width_in, cfg.width, bias=cfg.bias)
            if cfg.batch_norm:
                layers[f"bn{i}"] = nn.BatchNorm1d(cfg.width)
            layers[f"act{i}"] = act()
            layers[f"drop{i}"] = nn.Dropout(dropout)
            width_in = cfg.width
        layers["out"] = nn.Linear(width_in, num_classes, bias=cfg.bias)
        self.body = nn.Sequential(layers)

    def forward(self, x):
        return self.body(x)


class CNN(nn.Module):
    """`depth` blocks of conv -> (bn) -> act -> 2x2 max-pool, channels doubling, then fc1, out."""

    def __init__(self, input_shape, num_classes, cfg: ModelConfig, dropout: float):
        super().__init__()
        if len(input_shape) != 3:
            raise ValueError(_("model.arch = 'cnn' needs image data; use 'mlp' for 2-D toy data"))
        channels, size = input_shape[0], input_shape[1]
        act = ACTIVATIONS[cfg.activation]
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        c_in, c_out = channels, cfg.width
        for i in range(1, cfg.depth + 1):
            layers[f"conv{i}"] = nn.Conv2d(c_in, c_out, 3, padding=1)
            if cfg.batch_norm:
                layers[f"bn{i}"] = nn.BatchNorm2d(c_out)
            layers[f"act{i}"] = act()
            if size >= 4:
                layers[f"pool{i}"] = nn.MaxPool2d(2)
                size //= 2
            c_in, c_out = c_out, min(c_out * 2, 1024)
        layers["flatten"] = nn.Flatten()
        layers["drop_fc"] = nn.Dropout(dropout)
        layers["fc1"] = nn.Linear(c_in * size * size, 128)
        layers["act_fc"] = act()
        layers["drop_out"] = nn.Dropout(dropout)
        layers["out"] = nn.Linear(128, num_classes)
        self.body = nn.Sequential(layers)

    def forward(self, x):
        return self.body(x)


class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out, stride, batch_norm, act):
        super().__init__()
        self.conv_a = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=not batch_norm)
        self.bn_a = nn.BatchNorm2d(c_out) if batch_norm else nn.Identity()
        self.conv_b = nn.Conv2d(c_out, c_out, 3, padding=1, bias=not batch_norm)
        self.bn_b = nn.BatchNorm2d(c_out) if batch_norm else nn.Identity()
        self.act = act()
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)

    def forward(self, x):
        y = self.act(self.bn_a(self.conv_a(x)))
        y = self.bn_b(self.conv_b(y))
        return self.act(y + self.shortcut(x))  # the skip connection


class ResNet(nn.Module):
    def __init__(self, input_shape, num_classes, cfg: ModelConfig, dropout: float):
        super().__init__()
        if len(input_shape) != 3:
            raise ValueError(_("model.arch = 'resnet' needs image data; use 'mlp' for 2-D toy data"))
        act = ACTIVATIONS[cfg.activation]
        width = max(4, cfg.width)
        self.stem = nn.Conv2d(input_shape[0], width, 3, padding=1, bias=not cfg.batch_norm)
        self.stem_bn = nn.BatchNorm2d(width) if cfg.batch_norm else nn.Identity()
        self.stem_act = act()
        blocks: OrderedDict[str, nn.Module] = OrderedDict()
        c = width
        for i in range(1, cfg.depth + 1):
            stride = 2 if i > 1 and i % 2 == 0 else 1  # downsample every second block
            c_out = c * 2 if stride == 2 else c
            blocks[f"block{i}"] = ResidualBlock(c, c_out, stride, cfg.batch_norm, act)
            c = c_out
        self.blocks = nn.Sequential(blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.stem_act(self.stem_bn(self.stem(x)))
        x = self.pool(self.blocks(x)).flatten(1)
        return self.out(self.drop(x))


class Network(nn.Module):
    """Input standardization followed by one of the architectures."""

    def __init__(self, net: nn.Module, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.input_norm = InputNorm(mean, std)
        self.net = net

    def forward(self, x):
        return self.net(self.input_norm(x))


class UserNetwork(Network):
    """Input standardization followed by the user's own network (model.file). `source`: its
    file, SHA-256 and repr, for the run folder; `warnings`: what the run should say about it."""

    def __init__(self, net: nn.Module, mean: torch.Tensor, std: torch.Tensor, source: dict, warnings: list[str]):
        super().__init__(net, mean, std)
        self.source = source
        self.warnings = warnings


ARCHITECTURES = {"mlp": MLP, "cnn": CNN, "resnet": ResNet}


def build_model(cfg: ModelConfig, input_shape, num_classes: int, dropout: float,
                mean: torch.Tensor | None = None, std: torch.Tensor | None = None) -> nn.Module:
    if cfg.file:  # the user's own network (engine.nets.user_model), checked on one probe batch
        from engine.nets.user_model import build_user_net

        net, source, warnings = build_user_net(cfg, tuple(input_shape), num_classes, dropout)
    elif cfg.backbone != "none":  # transfer learning: a shipped backbone and a new head
        from engine.nets.backbones import build_transfer

        return build_transfer(cfg, input_shape, num_classes, dropout)
    shape = _norm_shape(tuple(input_shape))
    mean = torch.zeros(shape) if mean is None else mean.reshape(shape)
    std = torch.ones(shape) if std is None else std.reshape(shape)
    if cfg.file:
        return UserNetwork(net, mean, std, source, warnings)
    return Network(ARCHITECTURES[cfg.arch](tuple(input_shape), num_classes, cfg, dropout), mean, std)


def weight_layers(model: nn.Module) -> OrderedDict[str, nn.Parameter]:
    """Readable layer name -> weight tensor, for every linear and convolution layer (of a
    user's network: every layer with a weight matrix, under the names its file gives them)."""
    named = OrderedDict()
    if isinstance(model, UserNetwork):
        for name, module in model.net.named_modules():
            weight = getattr(module, "weight", None)
            if isinstance(weight, nn.Parameter) and weight.ndim >= 2:
                named[name or "net"] = weight
        return named
    for name, module in model.named_modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            short = (name.removeprefix("net.").removeprefix("body.").removeprefix("blocks.")
                     .replace("backbone.body.", "backbone.").replace("backbone.features.", "backbone."))
            named[short] = module.weight
    return named


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def set_dropout(model: nn.Module, p: float) -> None:
    """Write a new dropout probability into the live modules."""
    for m in model.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):  # Dropout, Dropout2d, AlphaDropout, …
            m.p = float(p)


def decay_split(model: nn.Module, include_bias_and_norm: bool):
    """Parameters that L1 / L2 apply to, and the rest (biases and norm parameters)."""
    decay, no_decay = [], []
    for p in model.parameters():
        if not p.requires_grad:
            continue
        (decay if (p.ndim >= 2 or include_bias_and_norm) else no_decay).append(p)
    return decay, no_decay


def layer_norms(tensors: list[torch.Tensor]) -> list[float]:
    """L2 norm of each tensor, computed in one batched call and read back once."""
    if not tensors:
        return []
    return torch.stack(torch._foreach_norm(tensors)).tolist()
