"""Where a run computes, and what to import ahead so a first run starts at once."""

from __future__ import annotations

import os

import torch

from engine.core.config import ConfigError
from engine.core.i18n import _


def warm_up() -> None:
    """Import now what a first run would otherwise import lazily, in its first second:
    torch builds its optimizers through torch._dynamo (~2 s to import here, with sympy),
    and the test metrics come from torchmetrics. The window calls this on its loader
    thread, after Start is enabled; the command line never needs to."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    import torchmetrics.functional.classification  # noqa: F401


def resolve_device(name: str) -> torch.device:
    # The Linux bundle carries only the CUDA libraries torch needs to import
    # (packaging/rthook_cpu_only.py sets this and hides the GPUs from torch).
    if name == "cuda" and os.environ.get("OVERFIT_LAB_CPU_BUILD") == "1":
        raise ConfigError("run.device", name, _("'cpu' or 'auto': this build of Overfit Lab trains on the CPU "
                                                "(it leaves out the GPU libraries); install it with pip to train on a GPU (README, Install)"))
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("run.device", name, _("'cpu' or 'auto': no CUDA device is available"))
        return torch.device("cuda")
    return torch.device("cpu")
