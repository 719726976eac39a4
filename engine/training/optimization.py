"""The optimizer, its parameter groups, and which weights L1 / L2 reach.

A transfer network has two parameter groups: the backbone at optim.lr × backbone_lr_scale
and the head at optim.lr (engine.nets.backbones.TransferNet.param_groups). Each group's
decayed weights shrink at that group's own learning rate, and the learning rate reported
to the user is the head's, optim.lr.
"""

from __future__ import annotations

import torch
from torch import nn

from engine.core.config import OptimConfig, RegularizationConfig
from engine.nets.models import decay_split
from engine.nets.regularizers import decoupled_decay


def build_optimizer(model: nn.Module, o: OptimConfig, backbone_lr_scale: float) -> torch.optim.Optimizer:
    """SGD with momentum or Adam over the model's parameter groups (one for a plain network).

    Every parameter of a transfer network is in its groups, frozen or not: a frozen one has
    no gradient, so the optimizer skips it until it is unfrozen."""
    if hasattr(model, "param_groups"):  # transfer: the backbone at its own learning rate
        params = model.param_groups(o.lr, backbone_lr_scale)
    else:
        params = [p for p in model.parameters() if p.requires_grad]
    if o.optimizer == "sgd":
        return torch.optim.SGD(params, lr=o.lr, momentum=o.momentum)
    return torch.optim.Adam(params, lr=o.lr)


def base_lr(optimizer: torch.optim.Optimizer) -> float:
    """optim.lr as the optimizer holds it: the learning rate of a group at scale 1 (the
    head's in a transfer network, not the backbone's reduced one)."""
    for group in optimizer.param_groups:
        if group.get("lr_scale", 1.0) == 1.0:
            return group["lr"]
    return optimizer.param_groups[-1]["lr"] / optimizer.param_groups[-1]["lr_scale"]


def set_base_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)


class Decay:
    """The weights L1 / L2 apply to, kept in step with what trains: `refresh()` after a
    layer is frozen or unfrozen, or decay_bias_and_norm changes."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, include_bias_and_norm: bool):
        self.model, self.optimizer = model, optimizer
        self.refresh(include_bias_and_norm)

    def refresh(self, include_bias_and_norm: bool) -> None:
        # The penalty's sum runs over the model's own parameter order.
        self.params, _others = decay_split(self.model, include_bias_and_norm)
        decayed = {id(p) for p in self.params}
        self.by_group = [([p for p in g["params"] if id(p) in decayed], g) for g in self.optimizer.param_groups]

    def apply_decoupled(self, reg: RegularizationConfig) -> None:
        """w <- w (1 - lr · wd), each group at its own learning rate."""
        for params, group in self.by_group:
            if params:
                decoupled_decay(reg, params, group["lr"])
