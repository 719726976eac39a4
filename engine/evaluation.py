"""Evaluation outside the training loop: any model on any split.

The loop (validation each epoch), the window, the command line and experiments all call
these. The locked test split is opened only by `evaluate_test`, and the opening is
recorded on the split.
"""

from __future__ import annotations

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
    predictions: torch.Tensor  # predicted class per example


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
    preds = []
    try:
        for start in range(0, len(y), EVAL_BATCH):
            if between_chunks is not None and between_chunks():
                raise EvaluationStopped
            logits = model(x[start:start + EVAL_BATCH])
            loss_sum += F.cross_entropy(logits, y[start:start + EVAL_BATCH], reduction="sum")
            preds.append(logits.argmax(1))
    finally:
        model.train(was_training)
    pred = torch.cat(preds)
    return Evaluation(loss_sum.item() / len(y), (pred == y).float().mean().item(), pred)


def classification_report(pred: torch.Tensor, y: torch.Tensor, class_names: list[str], loss: float,
                          accuracy: float, weights: str) -> ev.TestEvaluated:
    """Per-class precision / recall / F1, support and the confusion matrix (torchmetrics)."""
    from torchmetrics.functional.classification import (
        multiclass_confusion_matrix,
        multiclass_f1_score,
        multiclass_precision,
        multiclass_recall,
    )

    k = len(class_names)
    kw = dict(num_classes=k, average=None, zero_division=0)
    return ev.TestEvaluated(
        accuracy=accuracy, loss=loss, class_names=list(class_names),
        precision=multiclass_precision(pred, y, **kw).tolist(),
        recall=multiclass_recall(pred, y, **kw).tolist(),
        f1=multiclass_f1_score(pred, y, **kw).tolist(),
        support=torch.bincount(y, minlength=k).tolist(),
        confusion_matrix=multiclass_confusion_matrix(pred, y, num_classes=k).tolist(),
        macro_f1=multiclass_f1_score(pred, y, num_classes=k, average="macro", zero_division=0).item(),
        weights=weights)


def evaluate_test(model: torch.nn.Module, data: DataBundle, weights: str) -> ev.TestEvaluated:
    """The one evaluation on the locked test split (its opening is recorded)."""
    x, y = data.test.open("final evaluation")
    result = evaluate(model, x, y)
    return classification_report(result.predictions, y, data.class_names, result.loss,
                                 result.accuracy, weights)


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


def evaluate_test_of_folder(path: str | Path) -> tuple[ev.TestEvaluated, bool]:
    """The locked test split's evaluation of a run folder, once: (report, newly made).

    A folder that already records one returns it unchanged; otherwise its best weights
    (last, if it has no best) are evaluated and the result is added to the folder."""
    from engine.runs import record_test, recorded_test

    path = require_run_folder(path)
    known = recorded_test(path)
    if known is not None:
        return known, False
    weights = "best" if (path / "best.safetensors").is_file() else "last"
    if not (path / f"{weights}.safetensors").is_file():
        raise FileNotFoundError(f"{path}: no weights saved (the run did not finish an epoch, "
                                "or was cut off before it could save them)")
    stored = open_run(path, weights)
    report = evaluate_test(stored.model, stored.data, weights)
    record_test(path, report)
    return report, True
