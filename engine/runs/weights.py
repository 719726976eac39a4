"""Weights as safetensors (no pickle is read or written) and the versions a run records."""

from __future__ import annotations

import os
import platform
from pathlib import Path


class WeightsError(ValueError):
    """A weights file that cannot be loaded into the model; the message says why."""


def versions() -> dict[str, str]:
    from importlib.metadata import version

    import numpy
    import torch

    from engine import __version__

    return {"overfit_lab": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "torchvision": version("torchvision"), "numpy": numpy.__version__,
            "platform": platform.platform()}


def save_weights(state: dict, path: Path, metadata: dict[str, str] | None = None) -> None:
    import torch
    from safetensors.torch import save_file

    tensors = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in state.items()
               if isinstance(v, torch.Tensor)}
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp), metadata=metadata or {})
    os.replace(tmp, path)


def load_weights(model, path: str | Path) -> None:
    """Load a safetensors file into `model`, naming every missing, unexpected or misshapen key."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: weights file not found")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path}: not a safetensors weights file ({exc}); Overfit Lab loads "
                           "only .safetensors files, never pickled checkpoints") from exc
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    misshapen = [f"{k}: file {tuple(tensors[k].shape)}, model {tuple(expected[k].shape)}"
                 for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    problems = []
    if missing:
        problems.append(f"missing keys: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {', '.join(unexpected)}")
    if misshapen:
        problems.append(f"shape mismatches: {'; '.join(misshapen)}")
    if problems:
        raise WeightsError(f"{path}: does not fit this model ({' | '.join(problems)})")
    model.load_state_dict(tensors)
