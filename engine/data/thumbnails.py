"""The pixels of a split's examples for a gallery: the training or validation split, or the
locked test split (opening it is recorded, as for its evaluation)."""

from __future__ import annotations

import dataclasses

import torch

from engine.core import events as ev
from engine.core.config import Config
from engine.core.i18n import _
from engine.data.bundle import DataBundle, load_data


def with_images(data: DataBundle, config: Config) -> DataBundle:
    """`data` as a gallery needs it: images. A frozen backbone's run holds its validation
    split as the backbone's cached features; its images are rebuilt from the run's settings
    and seed (the same split), with the run's own locked test split (which stays images),
    so that every opening of the test split is recorded in one place."""
    if data.is_toy or (data.val_x.ndim == 4 and data.train_x.ndim == 4) or (
            data.train_x.ndim == 2 and data.input_shape == tuple(data.train_x.shape[1:])):  # vectors: as they are
        return data
    return dataclasses.replace(load_data(config.data, config.run.seed, "cpu"), test=data.test)


def thumbnails(data: DataBundle, split: str, indices: list[int]) -> ev.Thumbnails:
    """The pixels of examples of a split, as uint8 (H, W, C), for a gallery. Image data only."""
    if split == "test":
        x = data.test.open("gallery of the test evaluation")[0]  # (the reason is recorded, not shown)
    else:
        x = data.train_x if split == "train" else data.val_x
    if data.is_toy:
        raise ValueError(_("thumbnails are for image data; toy points are shown on the decision boundary"))
    if x.ndim == 2 and data.input_shape == tuple(x.shape[1:]):  # (an arrays or python dataset of N×D)
        raise ValueError(_("these examples are vectors, not images: there are no pictures to show"))
    if x.ndim != 4:
        raise ValueError(_("these are a backbone's features, not images: pass the data through with_images()"))
    picked = showable(x[torch.as_tensor(indices, dtype=torch.long, device=x.device)])
    return ev.Thumbnails(split=split, indices=list(indices), shape=tuple(picked.shape[1:]),
                         pixels=[p.numpy().tobytes() for p in picked])


def showable(x: torch.Tensor) -> torch.Tensor:
    """Images N×C×H×W as pixels a picture can show: uint8 N×H×W×C' on the CPU, C' 1 or 3.
    Four channels give their first three (RGBA); any other count but 1 and 3 its channel 0 as
    grey. An image whose values lie outside 0 … 1 (a user's standardized floats: every negative
    pixel was drawn black) is stretched from its own lowest to its highest value; one inside is
    drawn as it is."""
    with torch.no_grad():
        c = x.shape[1]
        x = x[:, :3] if c == 4 else (x if c in (1, 3) else x[:, :1])
        x = x.float()
        low = x.amin(dim=(1, 2, 3), keepdim=True)
        high = x.amax(dim=(1, 2, 3), keepdim=True)
        outside = (low < 0) | (high > 1)
        stretched = (x - low) / (high - low).clamp_min(1e-12)
        x = torch.where(outside, stretched, x).clamp(0, 1)
        return (x * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().contiguous()
