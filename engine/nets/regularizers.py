"""What the loop adds to each step: the L1 / L2 penalty, decoupled weight decay, and the
check that ends a run within one step of a non-finite loss."""

from __future__ import annotations

import math

import torch

from engine.core.config import RegularizationConfig


class Diverged(Exception):
    """The loss became NaN or infinite."""


def weight_penalty(reg: RegularizationConfig, params: list[torch.Tensor]) -> torch.Tensor | None:
    """L2 as a penalty, (wd / 2)·Σw², and L1, l1·Σ|w|, over the decayed parameters."""
    penalty = None
    if reg.weight_decay > 0 and reg.weight_decay_mode == "l2_penalty":
        # Its gradient is wd * w. Under plain SGD (no momentum) that is the same step as
        # decoupled decay; with momentum it is accumulated with the other gradients, and
        # under Adam it is rescaled per weight, so the two modes then train differently.
        penalty = 0.5 * reg.weight_decay * sum(p.pow(2).sum() for p in params)
    if reg.l1 > 0:
        l1 = reg.l1 * sum(p.abs().sum() for p in params)
        penalty = l1 if penalty is None else penalty + l1
    return penalty


def decoupled_decay(reg: RegularizationConfig, params: list[torch.Tensor], lr: float) -> None:
    """AdamW's decoupled decay, applied to any optimizer: w <- w (1 - lr * wd)."""
    if reg.weight_decay > 0 and reg.weight_decay_mode == "decoupled":
        with torch.no_grad():
            torch._foreach_mul_(params, 1.0 - lr * reg.weight_decay)


class FiniteCheck:
    """Finds a non-finite loss within one step: `check()` returns (value, step) of one.

    On CPU reading the loss costs nothing. On a GPU a read is a sync, so the flag is copied
    to pinned memory without blocking and checked one step later. (It returns what it found
    rather than calling back into the trainer: no reference cycle keeps a finished trainer.)"""

    def __init__(self, device: torch.device):
        self.device = device
        self._pending = None
        if device.type == "cuda":
            self._flags = [torch.zeros((), dtype=torch.bool).pin_memory() for _ in range(2)]

    def check(self, loss: torch.Tensor, step: int) -> tuple[float, int] | None:
        if self.device.type != "cuda":
            value = loss.item()
            return None if math.isfinite(value) else (value, step)
        found = None
        if self._pending is not None:
            done, flag, pending_step = self._pending
            done.synchronize()
            if flag.item():
                found = (float("nan"), pending_step)
        flag = self._flags[step % 2]
        flag.copy_(~torch.isfinite(loss.detach()), non_blocking=True)
        done = torch.cuda.Event()
        done.record()
        self._pending = (done, flag, step)
        return found
