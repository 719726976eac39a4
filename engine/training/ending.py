"""What a run's final metrics say: the epoch whose weights the model holds at the end (the
last one, or the best one put back), its figures, and the run's extremes."""

from __future__ import annotations

from engine.core import events as ev


def final_metrics(history: list[ev.EpochMetrics], best_epoch: int | None, restored: bool,
                  step: int | None = None) -> dict:
    """`weights_epoch` is the epoch whose weights the run ends with; train_loss, train_accuracy,
    val_loss, val_accuracy and gap (and their end_* twins) are that epoch's, so a table of
    final metrics describes the model that is saved and evaluated. last_* are the last
    epoch's, max_* the best of any epoch.

    `step`: the step the run ended at. A run stopped off an epoch's end (a user's stop
    mid-epoch or mid-validation) holds weights that no epoch's figures describe: its
    weights_epoch is None and weights_step says where they are from; the figures stay the
    last epoch's."""
    if not history:
        return {}
    last = history[-1]
    ending = last
    if restored and best_epoch is not None and 1 <= best_epoch <= len(history):
        ending = history[best_epoch - 1]
    final = {"weights_epoch": ending.epoch, "epoch": ending.epoch,
             "train_loss": ending.train_loss, "train_accuracy": ending.train_accuracy,
             "val_loss": ending.val_loss, "val_accuracy": ending.val_accuracy, "gap": ending.accuracy_gap,
             "end_epoch": ending.epoch, "end_train_accuracy": ending.train_accuracy,
             "end_val_accuracy": ending.val_accuracy, "end_val_loss": ending.val_loss,
             "end_gap": ending.accuracy_gap,
             "last_epoch": last.epoch, "last_train_accuracy": last.train_accuracy,
             "last_val_accuracy": last.val_accuracy, "last_val_loss": last.val_loss,
             "max_val_accuracy": max(m.val_accuracy for m in history),
             "max_train_accuracy": max(m.train_accuracy for m in history)}
    if not restored and step is not None and step > last.step:
        final["weights_epoch"] = None
        final["weights_step"] = step
    if restored:  # also where the best epoch was the last: the weights are its saved ones
        final["restored_best_epoch"] = ending.epoch
        final["best_val_loss"], final["best_val_accuracy"] = ending.val_loss, ending.val_accuracy
    return final
