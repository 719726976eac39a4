"""One epoch's figures: what its batches add up on the device, and the EpochMetrics event
made of them and the validation pass, read back once per epoch."""

from __future__ import annotations

import dataclasses

import torch

from engine.core import events as ev
from engine.data.bundle import DataBundle
from engine.nets.models import layer_norms
from engine.training.evaluate import Evaluation
from engine.training.reports import calibration_error


@dataclasses.dataclass
class EpochTotals:
    """What one epoch's batches add up, kept on the device until the epoch ends."""
    loss: torch.Tensor
    correct: torch.Tensor
    correct_corrupted: torch.Tensor
    penalty: torch.Tensor
    grads: torch.Tensor
    grad_samples: int = 0
    seen: int = 0
    seconds: float = 0.0

    @classmethod
    def zeros(cls, layers: int, device) -> EpochTotals:
        z = torch.zeros((), device=device)
        return cls(z.clone(), z.clone(), z.clone(), z.clone(), torch.zeros(layers, device=device))


def epoch_metrics(epoch: int, step: int, t: EpochTotals, val: Evaluation, d: DataBundle,
                  layers: dict[str, torch.Tensor], lr: float, improved: bool,
                  has_noise: bool) -> ev.EpochMetrics:
    train_loss, train_acc = t.loss.item() / t.seen, t.correct.item() / t.seen
    clean_acc = corrupt_acc = None
    if has_noise:
        # Each training example is seen once per epoch, so the noisy / clean counts are exact.
        n_noisy = int(d.corrupted.sum().item())
        hits_noisy = t.correct_corrupted.item()
        corrupt_acc = hits_noisy / n_noisy
        clean_acc = (t.correct.item() - hits_noisy) / max(t.seen - n_noisy, 1)
    grads = (t.grads / max(t.grad_samples, 1)).tolist()
    names = list(layers)
    return ev.EpochMetrics(
        epoch=epoch, step=step, train_loss=train_loss, train_accuracy=train_acc,
        val_loss=val.loss, val_accuracy=val.accuracy, accuracy_gap=train_acc - val.accuracy,
        loss_gap=val.loss - train_loss,
        weight_norms=dict(zip(names, layer_norms(list(layers.values())), strict=True)),
        grad_norms=dict(zip(names, grads, strict=True)),
        lr=lr, penalty=t.penalty.item() / t.seen,
        epoch_time=t.seconds, samples_per_sec=t.seen / max(t.seconds, 1e-9),
        train_accuracy_clean=clean_acc, train_accuracy_corrupted=corrupt_acc, is_best=improved,
        val_ece=calibration_error(val, d.val_y))
