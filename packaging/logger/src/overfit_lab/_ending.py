"""A script's run as its summary tells it: the best epoch (lowest validation loss) and the
final figures, as engine.training.ending names them (the weights a script's run ends with
are its last epoch's)."""

from __future__ import annotations

import math


def best(epochs: list[dict]) -> tuple[int | None, float | None]:
    known = [(e["val_loss"], e["epoch"]) for e in epochs if not math.isnan(e["val_loss"])]
    if not known:
        return None, None
    value, epoch = min(known)
    return epoch, value


def final_metrics(epochs: list[dict]) -> dict:
    if not epochs:
        return {}
    last = epochs[-1]
    accuracies = [e["val_accuracy"] for e in epochs if not math.isnan(e["val_accuracy"])]
    trains = [e["train_accuracy"] for e in epochs if not math.isnan(e["train_accuracy"])]
    return {"weights_epoch": last["epoch"], "epoch": last["epoch"], "train_loss": last["train_loss"],
            "train_accuracy": last["train_accuracy"], "val_loss": last["val_loss"],
            "val_accuracy": last["val_accuracy"], "gap": last["accuracy_gap"],
            "end_epoch": last["epoch"], "end_train_accuracy": last["train_accuracy"],
            "end_val_accuracy": last["val_accuracy"], "end_val_loss": last["val_loss"],
            "end_gap": last["accuracy_gap"], "last_epoch": last["epoch"],
            "last_train_accuracy": last["train_accuracy"], "last_val_accuracy": last["val_accuracy"],
            "last_val_loss": last["val_loss"],
            "max_val_accuracy": max(accuracies) if accuracies else None,
            "max_train_accuracy": max(trains) if trains else None}
