"""Evaluation outside the training loop: any model on any split.

The loop (validation each epoch), the window, the command line and experiments all call
these. The locked test split is opened only by `evaluate_split(..., "test")`, and the
opening is recorded on the split.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from engine import events as ev
from engine.config import Config
from engine.data import DataBundle, load_data
from engine.models import build_model
from engine.runs import load_weights, require_run_folder

EVAL_BATCH = 512  # also how often a pause or stop is honoured while validating
BOUNDARY_RESOLUTION = 64


class EvaluationStopped(Exception):
    """`between_chunks` asked to stop before the evaluation finished."""


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float
    probabilities: torch.Tensor  # softmax per example, [N, classes]

    @property
    def predictions(self) -> torch.Tensor:
        return self.probabilities.argmax(1)


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
             between_chunks: Callable[[], bool] | None = None) -> Evaluation:
    """Mean loss, accuracy and predictions with the model in eval mode, in chunks of
    EVAL_BATCH. `between_chunks` is called before each chunk; True stops the evaluation
    (EvaluationStopped), as a pause or stop between training batches would."""
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
            loss_sum += F.cross_entropy(logits, y[start:start + EVAL_BATCH], reduction="sum")
            probs.append(torch.softmax(logits, 1))
    finally:
        model.train(was_training)
    prob = torch.cat(probs)
    return Evaluation(loss_sum.item() / len(y), (prob.argmax(1) == y).float().mean().item(), prob)


CALIBRATION_BINS = 15


def classification_report(result: Evaluation, y: torch.Tensor, class_names: list[str], split: str,
                          weights: str) -> ev.Evaluated:
    """Per-class precision / recall / F1, support, the confusion matrix and the expected
    calibration error, from torchmetrics."""
    from torchmetrics.functional.classification import (
        multiclass_confusion_matrix,
        multiclass_f1_score,
        multiclass_precision,
        multiclass_recall,
    )

    pred, k = result.predictions, len(class_names)
    kw = dict(num_classes=k, average=None, zero_division=0)
    return ev.Evaluated(
        split=split, weights=weights, accuracy=result.accuracy, loss=result.loss,
        class_names=list(class_names),
        precision=multiclass_precision(pred, y, **kw).tolist(),
        recall=multiclass_recall(pred, y, **kw).tolist(),
        f1=multiclass_f1_score(pred, y, **kw).tolist(),
        support=torch.bincount(y, minlength=k).tolist(),
        confusion_matrix=multiclass_confusion_matrix(pred, y, num_classes=k).tolist(),
        macro_f1=multiclass_f1_score(pred, y, num_classes=k, average="macro", zero_division=0).item(),
        ece=calibration_error(result, y), reliability=reliability_bins(result, y),
        pr_curves=precision_recall_curves(result, y), errors=confident_errors(result, y))


def calibration_error(result: Evaluation, y: torch.Tensor) -> float:
    """Expected calibration error (torchmetrics, CALIBRATION_BINS equal bins of confidence)."""
    from torchmetrics.functional.classification import multiclass_calibration_error

    return multiclass_calibration_error(result.probabilities, y, num_classes=result.probabilities.shape[1],
                                        n_bins=CALIBRATION_BINS, norm="l1").item()


def reliability_bins(result: Evaluation, y: torch.Tensor) -> list[list[float]]:
    """For each of CALIBRATION_BINS equal bins of confidence that holds examples: the mean
    confidence, the accuracy and the count (a reliability diagram's points)."""
    conf, pred = result.probabilities.max(1)
    hits = (pred == y).float()
    bins = (conf * CALIBRATION_BINS).long().clamp(max=CALIBRATION_BINS - 1)
    count = torch.bincount(bins, minlength=CALIBRATION_BINS).float()
    conf_sum = torch.bincount(bins, weights=conf, minlength=CALIBRATION_BINS)
    hit_sum = torch.bincount(bins, weights=hits, minlength=CALIBRATION_BINS)
    return [[(conf_sum[b] / count[b]).item(), (hit_sum[b] / count[b]).item(), int(count[b])]
            for b in range(CALIBRATION_BINS) if count[b] > 0]


PR_THRESHOLDS = 20
GALLERY_LIMIT = 500  # misclassified examples a report lists, most confident first


def confident_errors(result: Evaluation, y: torch.Tensor) -> list[list]:
    """[index, true class, predicted class, confidence] of each misclassified example, the
    most confident first: where an overfit network is surest and wrong."""
    conf, pred = result.probabilities.max(1)
    wrong = torch.nonzero(pred != y).flatten()
    order = wrong[torch.argsort(conf[wrong], descending=True)][:GALLERY_LIMIT]
    return [[int(i), int(y[i]), int(pred[i]), float(conf[i])] for i in order]


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


def precision_recall_curves(result: Evaluation, y: torch.Tensor) -> list[list[list[float]]]:
    """Per class, one-vs-rest precision and recall at PR_THRESHOLDS binned thresholds
    (torchmetrics)."""
    from torchmetrics.functional.classification import multiclass_precision_recall_curve

    k = result.probabilities.shape[1]
    precision, recall, _ = multiclass_precision_recall_curve(result.probabilities, y, num_classes=k,
                                                             thresholds=PR_THRESHOLDS)
    # Where a threshold passes no example, precision is 0/0: taken as 1, as scikit-learn does.
    precision = torch.nan_to_num(precision, nan=1.0)
    return [[precision[c].tolist(), recall[c].tolist()] for c in range(k)]


def evaluate_split(model: torch.nn.Module, data: DataBundle, split: str, weights: str) -> ev.Evaluated:
    """The report on the validation split, or on the locked test split (the opening is
    recorded on the split; evaluating the test split once per run is the caller's rule)."""
    if split == "test":
        x, y = data.test.open("final evaluation")
    elif split == "val":
        x, y = data.val_x, data.val_y
    else:
        raise ValueError(f"split {split!r}: 'val' or 'test'")
    report = classification_report(evaluate(model, x, y), y, data.class_names, split, weights)
    points = x[[e[0] for e in report.errors]].cpu().tolist() if data.is_toy and report.errors else []
    return dataclasses.replace(report, image_data=not data.is_toy, error_points=points)


def evaluate_test(model: torch.nn.Module, data: DataBundle, weights: str) -> ev.Evaluated:
    """The one evaluation on the locked test split."""
    return evaluate_split(model, data, "test", weights)


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


@dataclass
class StoredRun:
    """A finished run rebuilt from its folder: settings, data and a model with its weights."""
    path: Path
    config: Config
    data: DataBundle
    model: torch.nn.Module
    weights: str


def run_data(path: str | Path) -> DataBundle:
    """A run folder's splits, rebuilt from its settings and seed (no weights needed)."""
    config = Config.load(require_run_folder(path) / "config.json")
    return load_data(config.data, config.run.seed, "cpu")


def open_run(path: str | Path, weights: str = "best", device: str = "cpu") -> StoredRun:
    """Rebuild a run folder's model and data (the same splits, from its seed) and load
    its `best` or `last` weights. Raises FileNotFoundError, ConfigError or WeightsError
    naming what is wrong; nothing in the folder is changed."""
    path = require_run_folder(path)
    config = Config.load(path / "config.json")
    data = load_data(config.data, config.run.seed, device)
    model = build_model(config.model, data.input_shape, data.num_classes,
                        config.regularization.dropout, data.mean, data.std).to(device)
    load_weights(model, path / f"{weights}.safetensors")
    return StoredRun(path, config, data, model, weights)


def evaluate_folder(path: str | Path, split: str = "test", weights: str | None = None
                    ) -> tuple[ev.Evaluated, bool]:
    """Evaluate a run folder's weights on `split`: (report, newly made).

    The test split is evaluated once per run: a folder that records a test evaluation
    returns it unchanged (False). `weights` "best" or "last"; None takes best, or last
    where the run saved no best. A new report is added to the folder (metrics line and
    summary); nothing else in it changes. Raises FileNotFoundError, ConfigError or
    WeightsError naming what is wrong."""
    from engine.runs import record_evaluation, recorded_evaluation

    path = require_run_folder(path)
    if split == "test":
        known = recorded_evaluation(path, "test")
        if known is not None:
            return known, False
    if weights is None:
        weights = "best" if (path / "best.safetensors").is_file() else "last"
    if not (path / f"{weights}.safetensors").is_file():
        saved = [w for w in ("best", "last") if (path / f"{w}.safetensors").is_file()]
        raise FileNotFoundError(f"{path / (weights + '.safetensors')}: no {weights} weights saved"
                                + (f" (this run has: {', '.join(saved)})" if saved else
                                   " (the run did not finish an epoch, or was cut off before it could save them)"))
    stored = open_run(path, weights)
    report = evaluate_split(stored.model, stored.data, split, weights)
    record_evaluation(path, report)
    return report, True
