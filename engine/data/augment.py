"""Batched data augmentation on the training device: an independent random draw per example."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from engine.core.config import RegularizationConfig


def augmentation_active(reg: RegularizationConfig, is_toy: bool) -> bool:
    if is_toy:
        return reg.augment_noise
    return any((reg.augment_hflip, reg.augment_rotate, reg.augment_translate, reg.augment_noise,
                reg.augment_erase))


def augment(x: torch.Tensor, reg: RegularizationConfig, generator: torch.Generator) -> torch.Tensor:
    """Augment a batch with an independent random draw per example.

    Images [B, C, H, W] in [0, 1]: flip, rotation + translation (one affine resample),
    random erasing, Gaussian noise. Vectors [B, D] (toy data): Gaussian noise only.
    """
    b = x.shape[0]
    dev = x.device

    def uniform(*shape):
        return torch.rand(*shape, generator=generator, device=dev)

    if x.ndim == 4:
        if reg.augment_hflip:
            flip = uniform(b) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        rotate = reg.augment_rotate and reg.rotate_degrees > 0
        translate = reg.augment_translate and reg.translate_fraction > 0
        if rotate or translate:
            angle = (uniform(b) * 2 - 1) * math.radians(reg.rotate_degrees) if rotate else torch.zeros(b, device=dev)
            # affine_grid works in [-1, 1] coordinates: a shift of f image widths is 2f.
            shift = (uniform(b, 2) * 2 - 1) * 2 * reg.translate_fraction if translate else torch.zeros(b, 2, device=dev)
            cos, sin = torch.cos(angle), torch.sin(angle)
            theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                                 torch.stack([sin, cos, shift[:, 1]], 1)], 1)
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        if reg.augment_erase:
            h, w = x.shape[-2:]
            area = 0.02 + uniform(b) * max(reg.erase_fraction - 0.02, 0.0)
            log_ratio = (uniform(b) * 2 - 1) * math.log(3.0)
            ratio = torch.exp(log_ratio)
            eh = (torch.sqrt(area * ratio) * h).clamp(1, h)
            ew = (torch.sqrt(area / ratio) * w).clamp(1, w)
            top = uniform(b) * (h - eh)
            left = uniform(b) * (w - ew)
            rows = torch.arange(h, device=dev)[None, :, None]
            cols = torch.arange(w, device=dev)[None, None, :]
            box = ((rows >= top[:, None, None]) & (rows < (top + eh)[:, None, None])
                   & (cols >= left[:, None, None]) & (cols < (left + ew)[:, None, None]))
            apply = (uniform(b) < 0.5)[:, None, None]
            x = x.masked_fill((box & apply)[:, None], 0.0)
    if reg.augment_noise and reg.noise_std > 0:
        noise = torch.randn(x.shape, generator=generator, device=dev)
        x = x + noise * reg.noise_std
    return x
