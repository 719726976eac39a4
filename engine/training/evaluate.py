"""A model's loss, accuracy and probabilities on a split, in eval mode and in chunks; the
decision boundary of a 2-D toy set. The loop validates with these each epoch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engine.core import events as ev
from engine.data.bundle import DataBundle

EVAL_BATCH = 512  # also how often a pause or stop is honoured while validating


BOUNDARY_RESOLUTION = 64


class EvaluationStopped(Exception):
    """`between_chunks` asked to stop before the evaluation finished."""


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float
    probabilities: torch.Tensor  # softmax per example, [N, classes]
    loss_kind: str = "cross_entropy"  # optim.loss: an mse run's "probabilities" are normalized outputs

    @property
    def calibrated(self) -> bool:
        """Whether the probabilities are a softmax whose calibration means something."""
        return self.loss_kind != "mse"

    @property
    def predictions(self) -> torch.Tensor:
        return self.probabilities.argmax(1)


def data_loss(logits: torch.Tensor, y: torch.Tensor, kind: str = "cross_entropy",
              reduction: str = "mean") -> torch.Tensor:
    """optim.loss: cross-entropy, or the squared error against one-hot targets (averaged over
    the classes, so that an example's loss does not grow with their number)."""
    if kind == "mse":
        per_example = (logits - F.one_hot(y, logits.shape[1]).to(logits.dtype)).pow(2).mean(1)
        return per_example.sum() if reduction == "sum" else per_example.mean()
    return F.cross_entropy(logits, y, reduction=reduction)


def output_probabilities(logits: torch.Tensor, loss: str = "cross_entropy") -> torch.Tensor:
    """What the network says of each class: the softmax of its logits; for a network trained
    with squared error against one-hot targets, its outputs clipped at 0 and normalized (a
    softmax of outputs near 0 and 1 is near uniform over many classes). Those are no
    probabilities either: no calibration error is computed for them (reports.calibration_error)."""
    if loss == "mse":
        p = logits.clamp(min=0)
        return p / p.sum(1, keepdim=True).clamp_min(1e-12)
    return torch.softmax(logits, 1)


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
             between_chunks: Callable[[], bool] | None = None, loss: str = "cross_entropy") -> Evaluation:
    """Mean loss (`loss`: optim.loss), accuracy and predictions with the model in eval mode, in
    chunks of EVAL_BATCH. `between_chunks` is called before each chunk; True stops the
    evaluation (EvaluationStopped), as a pause or stop between training batches would."""
    was_training = model.training
    model.eval()
    device = x.device
    loss_sum = torch.zeros((), device=device)
    probs = []
    try:
        for start in range(0, len(y), EVAL_BATCH):
            if between_chunks is not None and between_chunks():
                raise EvaluationStopped
            logits = model(x[start:start + EVAL_BATCH])
            loss_sum += data_loss(logits, y[start:start + EVAL_BATCH], loss, reduction="sum")
            probs.append(output_probabilities(logits, loss))
    finally:
        model.train(was_training)
    prob = torch.cat(probs)
    return Evaluation(loss_sum.item() / len(y), (prob.argmax(1) == y).float().mean().item(), prob, loss)


@torch.no_grad()
def decision_boundary(model: torch.nn.Module, data: DataBundle, epoch: int,
                      resolution: int = BOUNDARY_RESOLUTION) -> ev.DecisionBoundary:
    """The predicted class and its confidence over a grid covering 2-D toy data."""
    pts = torch.cat([data.train_x, data.val_x])
    lo, hi = pts.min(0).values, pts.max(0).values
    pad = (hi - lo) * 0.1
    lo, hi = (lo - pad).tolist(), (hi + pad).tolist()
    xs = torch.linspace(lo[0], hi[0], resolution, device=pts.device)
    ys = torch.linspace(lo[1], hi[1], resolution, device=pts.device)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    was_training = model.training
    model.eval()
    probs = torch.softmax(model(torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)), 1)
    model.train(was_training)
    conf, cls = probs.max(1)
    r = resolution
    return ev.DecisionBoundary(epoch=epoch, x_range=(lo[0], hi[0]), y_range=(lo[1], hi[1]),
                               resolution=r, classes=cls.reshape(r, r).tolist(),
                               confidence=conf.reshape(r, r).tolist())
