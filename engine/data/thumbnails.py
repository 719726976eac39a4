"""The pixels of a split's examples for a gallery: the validation split, or the locked
test split (opening it is recorded, as for its evaluation)."""

from __future__ import annotations

import torch

from engine.core import events as ev
from engine.data.bundle import DataBundle


def thumbnails(data: DataBundle, split: str, indices: list[int]) -> ev.Thumbnails:
    """The pixels of examples of a split, as uint8 (H, W, C), for a gallery. Image data only."""
    if split == "test":
        x, _ = data.test.open("gallery of the test evaluation")
    else:
        x = data.val_x
    if x.ndim != 4:
        raise ValueError("thumbnails are for image data; toy points are shown on the decision boundary")
    picked = (x[torch.as_tensor(indices, dtype=torch.long, device=x.device)].clamp(0, 1) * 255).round()
    picked = picked.to(torch.uint8).permute(0, 2, 3, 1).cpu().contiguous()
    return ev.Thumbnails(split=split, indices=list(indices), shape=tuple(picked.shape[1:]),
                         pixels=[p.numpy().tobytes() for p in picked])
