"""Weights as safetensors (no pickle is read or written) and the versions a run records."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from engine.core.i18n import _


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
        raise WeightsError(_("{path}: weights file not found").format(path=path))
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        # i18n: {error} is the safetensors library's own message
        raise WeightsError(_("{path}: not a safetensors weights file ({error}); Overfit Lab loads only .safetensors "
                             "files, never pickled checkpoints").format(path=path, error=exc)) from exc
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    # i18n: {key} is a weight's name in the network (fc1.weight); {file} and {model} are shapes, (64, 784)
    misshapen = [_("{key}: file {file}, model {model}").format(key=k, file=tuple(tensors[k].shape),
                                                              model=tuple(expected[k].shape))
                 for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    problems = []
    if missing:
        problems.append(_("missing keys: {keys}").format(keys=", ".join(missing)))
    if unexpected:
        problems.append(_("unexpected keys: {keys}").format(keys=", ".join(unexpected)))
    if misshapen:
        problems.append(_("shape mismatches: {shapes}").format(shapes="; ".join(misshapen)))
    if problems:
        raise WeightsError(_("{path}: does not fit this model ({problems})").format(path=path,
                                                                                  problems=" | ".join(problems)))
    model.load_state_dict(tensors)
