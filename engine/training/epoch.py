"""One epoch's figures: what its batches add up on the device, and the EpochMetrics event
made of them and the validation pass, read back once per epoch."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from engine.core import events as ev
from engine.data.bundle import DataBundle
from engine.nets.models import layer_norms
from engine.training.evaluate import Evaluation
from engine.training.reports import calibration_error


@dataclasses.dataclass
class EpochTotals:
    """What one epoch's batches add up, kept on the device until the epoch ends.

    Per batch the loop only appends the loss tensor and copies the batch's logits into
    `logits` (a row per training example, each seen once an epoch): one small tensor
    operation a step. At the epoch's end (`finish`) the rows give every example's
    prediction (the hits, and the clean / corrupted split of them) and, where recorded, its
    margin and the probability of its label: per-example dynamics that cost the steps
    nothing more."""
    logits: torch.Tensor  # [examples, classes]: each example's logits in its batch of this epoch
    grads: torch.Tensor
    hits: torch.Tensor | None = None  # bool per training example, by finish()
    losses: list = dataclasses.field(default_factory=list)  # mean loss per batch (tensors)
    sizes: list = dataclasses.field(default_factory=list)  # examples per batch
    penalties: list = dataclasses.field(default_factory=list)  # penalty per batch (tensors)
    grad_samples: int = 0
    seen: int = 0
    seconds: float = 0.0

    @classmethod
    def zeros(cls, examples: int, classes: int, layers: int, device) -> EpochTotals:
        return cls(torch.zeros(examples, classes, device=device), torch.zeros(layers, device=device))

    def add(self, idx: torch.Tensor, loss: torch.Tensor, logits: torch.Tensor, penalty) -> None:
        """One batch: the (detached) `logits` of the examples `idx`."""
        self.logits[idx] = logits
        self.losses.append(loss)
        self.sizes.append(len(idx))
        if penalty is not None:
            self.penalties.append(penalty)
        self.seen += len(idx)

    def finish(self, labels: torch.Tensor) -> None:
        """The epoch is over: each example's hit against the `labels` it was trained on."""
        self.hits = self.logits.argmax(1) == labels

    def loss_sum(self, start: int = 0) -> float:
        """The summed loss of batches `start`.. (a device sync: read at an interval only)."""
        if start >= len(self.losses):
            return 0.0
        sizes = torch.tensor(self.sizes[start:], dtype=torch.float32, device=self.losses[0].device)
        return (torch.stack(self.losses[start:]) * sizes).sum().item()

    def penalty_sum(self) -> float:
        if not self.penalties:
            return 0.0
        sizes = torch.tensor(self.sizes, dtype=torch.float32, device=self.penalties[0].device)
        return (torch.stack(self.penalties) * sizes).sum().item()


F16_MAX = 65000.0  # margins are stored as float16: kept finite


def example_dynamics(epoch: int, t: EpochTotals, labels: torch.Tensor, loss: str = "cross_entropy"
                     ) -> ev.ExampleDynamics:
    """The epoch's per-example figures, from each example's logits in its training batch, as
    numpy (one device read an epoch). The probability of the given label: its softmax; for a
    network trained with squared error against one-hot targets (optim.loss = mse), whose
    outputs are those targets' estimates, the given label's output clipped to [0, 1]."""
    logits, given = t.logits, labels[:, None]
    with torch.no_grad():
        chosen = logits.gather(1, given)
        margin = chosen[:, 0] - logits.scatter(1, given, float("-inf")).amax(1)
        probability = chosen[:, 0].clamp(0, 1) if loss == "mse" else (chosen[:, 0] - logits.logsumexp(1)).exp()
        predicted = logits.argmax(1)
    return ev.ExampleDynamics(
        epoch=epoch, probability=probability.cpu().numpy().astype(np.float16),
        margin=margin.clamp(-F16_MAX, F16_MAX).cpu().numpy().astype(np.float16), predicted=predicted.cpu().numpy().astype(np.int16))


def epoch_metrics(epoch: int, step: int, t: EpochTotals, val: Evaluation, d: DataBundle,
                  layers: dict[str, torch.Tensor], lr: float, improved: bool,
                  has_noise: bool) -> ev.EpochMetrics:
    correct = int(t.hits.sum().item())
    train_loss, train_acc = t.loss_sum() / t.seen, correct / t.seen
    clean_acc = corrupt_acc = None
    if has_noise:
        # Each training example is seen once per epoch, so the noisy / clean counts are exact.
        n_noisy = int(d.corrupted.sum().item())
        hits_noisy = int((t.hits & d.corrupted).sum().item())
        corrupt_acc = hits_noisy / n_noisy
        clean_acc = (correct - hits_noisy) / max(t.seen - n_noisy, 1)
    grads = (t.grads / max(t.grad_samples, 1)).tolist()
    names = list(layers)
    return ev.EpochMetrics(
        epoch=epoch, step=step, train_loss=train_loss, train_accuracy=train_acc,
        val_loss=val.loss, val_accuracy=val.accuracy, accuracy_gap=train_acc - val.accuracy,
        loss_gap=val.loss - train_loss,
        weight_norms=dict(zip(names, layer_norms(list(layers.values())), strict=True)),
        grad_norms=dict(zip(names, grads, strict=True)),
        lr=lr, penalty=t.penalty_sum() / t.seen,
        epoch_time=t.seconds, samples_per_sec=t.seen / max(t.seconds, 1e-9),
        train_accuracy_clean=clean_acc, train_accuracy_corrupted=corrupt_acc, is_best=improved,
        val_ece=calibration_error(val, d.val_y))
