"""What the logger's calls are given, checked at the call: a clear error naming the argument
(not a shape error deep in torch at the epoch's end)."""

from __future__ import annotations

import math

import numpy as np
import torch


def number(name: str, value) -> float:
    """A figure given to run.epoch(): a number or a one-element tensor (None: not known, NaN)."""
    if value is None:
        return math.nan
    if torch.is_tensor(value):
        if value.numel() != 1:
            raise ValueError(f"run.epoch({name}=...): one number, not a tensor of shape {tuple(value.shape)}")
        return float(value.detach().float().cpu())
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"run.epoch({name}=...): a number, not {type(value).__name__} {value!r}")
    return float(value)


def class_names(classes) -> list[str] | None:
    """ol.init(classes=...): the names, or their number; None where not given."""
    if classes is None:
        return None
    if isinstance(classes, int) and not isinstance(classes, bool):
        if classes < 1:
            raise ValueError(f"ol.init(classes={classes}): the number of classes is at least 1")
        return [str(i) for i in range(classes)]
    if isinstance(classes, (list, tuple)) and classes:
        return [str(c) for c in classes]
    raise ValueError(f"ol.init(classes=...): the class names (a list) or their number, not {classes!r}")


def logits(value, names: list[str] | None) -> tuple[int, int]:
    """(batch size, classes) of run.batch(logits=...)."""
    if not torch.is_tensor(value) or value.dim() != 2:
        shape = tuple(value.shape) if torch.is_tensor(value) else type(value).__name__
        raise ValueError(f"run.batch(logits=...): a tensor [batch, classes], not {shape} "
                         "(the model's output before softmax, one row per example)")
    size, width = value.shape
    if names is not None and width != len(names):
        raise ValueError(f"run.batch(logits=...): {width} columns, but the run's classes name "
                         f"{len(names)} classes ({', '.join(names[:5])}…)")
    return size, width


def targets(value, size: int, width: int) -> None:
    """run.batch(targets=...): one class per example; its range is checked where it is on the
    host (on the GPU that would wait for the device)."""
    if not torch.is_tensor(value) or value.dim() != 1 or value.shape[0] != size:
        shape = tuple(value.shape) if torch.is_tensor(value) else type(value).__name__
        raise ValueError(f"run.batch(targets=...): one class index per example, shape ({size},) "
                         f"as the logits' batch, not {shape}")
    if value.dtype.is_floating_point or value.dtype == torch.bool:
        raise ValueError(f"run.batch(targets=...): class indices (an integer tensor), not {value.dtype}")
    if value.device.type == "cpu" and value.numel():
        low, high = int(value.min()), int(value.max())
        if low < 0 or high >= width:
            raise ValueError(f"run.batch(targets=...): class {low if low < 0 else high} is outside the "
                             f"logits' {width} classes (0 … {width - 1})")


def index(value, size: int) -> torch.Tensor:
    """run.batch(index=...) as a tensor: one integer per example (its range: the run checks it)."""
    if not torch.is_tensor(value):
        value = torch.as_tensor(value)
    if value.dim() != 1 or value.shape[0] != size:
        raise ValueError(f"run.batch(index=...): one dataset index per example, shape ({size},) as the "
                         f"logits' batch, not {tuple(value.shape)}")
    if value.dtype.is_floating_point or value.dtype == torch.bool:
        raise ValueError(f"run.batch(index=...): integer dataset indices, not {value.dtype}")
    return value
