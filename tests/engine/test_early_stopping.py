"""Early stopping must follow Keras's EarlyStopping exactly; Keras itself is the oracle."""

import math

import pytest

from engine.core import events as ev
from engine.training.callbacks import BestTracker, Callback, EarlyStopping
from engine.training.evaluate import evaluate
from engine.training.trainer import Trainer
from tests.helpers import Recorder, tiny_config

keras = pytest.importorskip("keras")

SEQUENCES = [
    # (monitor, values per epoch, patience, min_delta)
    ("val_loss", [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9, 1.0], 2, 0.0),
    ("val_loss", [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9, 1.0], 3, 0.0),
    ("val_loss", [1.0, 0.99, 0.985, 0.98, 0.97, 0.5], 2, 0.02),  # small gains do not count
    ("val_loss", [0.5, 0.6, 0.7], 0, 0.0),
    ("val_loss", [0.5, 0.4, 0.3, 0.2, 0.1], 1, 0.0),  # never stops; best is the last
    ("val_loss", [0.5, 0.5, 0.5, 0.5], 2, 0.0),  # equal is not better
    ("val_accuracy", [0.5, 0.6, 0.6, 0.59, 0.7, 0.65, 0.66, 0.64], 2, 0.0),
    ("val_accuracy", [0.5, 0.505, 0.51, 0.6, 0.55], 1, 0.01),
    ("val_loss", [0.9, 0.8, math.nan, 0.85, 0.82, 0.81], 2, 0.0),
]


class FakeModel:
    """Enough of a Keras model for the callback: weights are the epoch they came from."""

    def __init__(self):
        self.epoch = None
        self.stop_training = False
        self.restored = None

    def get_weights(self):
        return self.epoch

    def set_weights(self, weights):
        self.restored = weights


def run_keras(monitor, values, patience, min_delta):
    cb = keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, min_delta=min_delta,
                                       mode="min" if "loss" in monitor else "max",
                                       restore_best_weights=True)
    model = FakeModel()
    cb.set_model(model)
    cb.on_train_begin()
    stopped = None
    for epoch, value in enumerate(values):
        model.epoch = epoch
        cb.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            stopped = epoch
            break
    cb.on_train_end()
    return stopped, model.restored


def run_ours(monitor, values, patience, min_delta):
    """Our two rules, fed as the trainer feeds them: the best-epoch tracker, then early
    stopping told whether the epoch improved. Epochs are 1-based here, Keras's 0-based."""
    tracker, rule = BestTracker(monitor, min_delta), EarlyStopping()
    stopped = None
    for epoch, value in enumerate(values, start=1):
        improved = tracker.update(epoch, value, snapshot=lambda e=epoch: e - 1)
        if rule.update(epoch, improved, patience):
            stopped = epoch - 1
            break
    return stopped, tracker.best_weights


@pytest.mark.parametrize("monitor, values, patience, min_delta", SEQUENCES)
def test_agrees_with_keras(monitor, values, patience, min_delta):
    assert run_ours(monitor, values, patience, min_delta) == run_keras(monitor, values, patience, min_delta)


def test_hand_checked_sequence():
    # val_loss falls to 0.7 at epoch 2, then fails to improve for 2 epochs: stop at epoch 4.
    assert run_ours("val_loss", [1.0, 0.8, 0.7, 0.75, 0.72, 0.71], 2, 0.0) == (4, 2)


def test_trainer_stops_early_and_restores_the_best_epoch(tmp_path):
    cfg = tiny_config({"optim.epochs": 60, "optim.lr": 3e-3, "regularization.early_stopping": True,
                       "regularization.patience": 2, "regularization.restore_best": True})
    rec = Recorder()
    trainer = Trainer(cfg, callbacks=[rec])
    result = trainer.fit()
    assert result.reason == ev.EARLY_STOPPED
    losses = [m.val_loss for m in trainer.history]
    best = min(range(len(losses)), key=losses.__getitem__)
    assert result.best_epoch == best + 1
    assert result.epochs_completed == best + 1 + 2  # patience epochs after the best
    # The early-stopping rule asked the loop to stop, through the trainer's should_stop.
    assert trainer.should_stop
    stopped = rec.of(ev.EarlyStopped)
    assert [(s.epoch, s.best_epoch) for s in stopped] == [(best + 3, best + 1)]
    assert rec.events.index(stopped[0]) < rec.events.index(result)
    # The model now holds the best epoch's weights: its validation loss is the best one.
    val_loss = evaluate(trainer.model, trainer.data.val_x, trainer.data.val_y).loss
    assert val_loss == pytest.approx(losses[best], rel=1e-5)


def test_restore_happens_also_without_an_early_stop():
    cfg = tiny_config({"optim.epochs": 12, "optim.lr": 3e-3, "regularization.early_stopping": True,
                       "regularization.patience": 100})
    trainer = Trainer(cfg)
    result = trainer.fit()
    assert result.reason == ev.COMPLETED
    losses = [m.val_loss for m in trainer.history]
    val_loss = evaluate(trainer.model, trainer.data.val_x, trainer.data.val_y).loss
    assert val_loss == pytest.approx(min(losses), rel=1e-5)
    assert not trainer.should_stop


class StopAfter(Callback):
    """A callback that asks the loop to stop, Keras style, after a given epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, trainer, metrics):
        if metrics.epoch == self.epoch:
            trainer.should_stop = True


def test_any_callback_can_ask_the_loop_to_stop():
    trainer = Trainer(tiny_config({"optim.epochs": 10}), callbacks=[StopAfter(3)])
    result = trainer.fit()
    assert result.reason == ev.EARLY_STOPPED and result.epochs_completed == 3
    assert result.message == "stopped by a callback"


def test_best_epoch_is_tracked_with_early_stopping_off():
    trainer = Trainer(tiny_config({"optim.epochs": 16, "optim.lr": 3e-3}))
    result = trainer.fit()
    losses = [m.val_loss for m in trainer.history]
    assert result.reason == ev.COMPLETED and result.epochs_completed == 16
    assert result.best_epoch == losses.index(min(losses)) + 1
    # An epoch is flagged best exactly when it beats every earlier one (the first always does).
    expected = [i == 0 or loss < min(losses[:i]) for i, loss in enumerate(losses)]
    assert [m.is_best for m in trainer.history] == expected
    assert expected.count(False) >= 1  # 16 epochs at lr 3e-3 overfit: some epochs are worse


def test_final_metrics_describe_the_weights_the_run_ends_with(tmp_path):
    """Early stopping that restores the best epoch: the final metrics are that epoch's, and say
    so; without the restore they are the last epoch's."""
    import json

    from tests.helpers import recorded_trainer

    cfg = tiny_config({"optim.epochs": 60, "optim.lr": 3e-3, "regularization.early_stopping": True,
                       "regularization.patience": 2, "regularization.restore_best": True})
    trainer, writer = recorded_trainer(cfg, tmp_path)
    result = trainer.fit()
    assert result.reason == ev.EARLY_STOPPED and result.best_epoch < result.epochs_completed
    best = trainer.history[result.best_epoch - 1]
    f = result.final_metrics
    assert f["weights_epoch"] == result.best_epoch and isinstance(f["weights_epoch"], int)
    assert (f["val_accuracy"], f["val_loss"], f["train_accuracy"], f["gap"]) == (
        best.val_accuracy, best.val_loss, best.train_accuracy, best.accuracy_gap)
    assert f["last_epoch"] == result.epochs_completed
    assert f["last_val_accuracy"] == trainer.history[-1].val_accuracy
    # The model holds those weights: they give that epoch's validation loss again.
    again = evaluate(trainer.model, trainer.data.val_x, trainer.data.val_y).loss
    assert again == pytest.approx(f["val_loss"], rel=1e-5)
    written = json.loads((writer.path / "summary.json").read_text())["final_metrics"]
    assert written["weights_epoch"] == result.best_epoch and written["val_loss"] == f["val_loss"]

    kept = Trainer(cfg.with_updates({"regularization.restore_best": False})).fit()
    assert kept.reason == ev.EARLY_STOPPED
    assert kept.final_metrics["weights_epoch"] == kept.epochs_completed == kept.final_metrics["last_epoch"]


class StopMidEpoch(Callback):
    """A user's Stop between two epochs' ends (step 3 of the second epoch)."""

    def __init__(self, control):
        self.control = control

    def on_batch_end(self, trainer, step):
        if trainer.epoch == 1 and step == trainer.steps_per_epoch + 3:
            self.control.request_stop()


def test_a_run_stopped_mid_epoch_claims_no_epoch_for_its_weights(tmp_path):
    from engine.core.control import RunControl

    control = RunControl()
    config = tiny_config({"optim.epochs": 5, "data.train_size": 256, "optim.batch_size": 16})
    trainer = Trainer(config, control=control, callbacks=[StopMidEpoch(control)])
    result = trainer.fit()
    assert result.reason == ev.USER_STOPPED and result.epochs_completed == 1
    f = result.final_metrics
    # The weights are 3 steps into epoch 2: epoch 1's figures do not describe them.
    assert f["weights_epoch"] is None and f["weights_step"] == trainer.steps_per_epoch + 3
    assert f["last_epoch"] == 1


class DivergeAfterTwoEpochs(Callback):
    """Makes the loss infinite a few steps into the third epoch (a learning rate gone wrong)."""

    def on_batch_end(self, trainer, step):
        if trainer.epoch == 2 and step == 2 * trainer.steps_per_epoch + 2:
            for p in trainer.model.parameters():
                p.data.fill_(float("inf"))


def test_a_restored_best_that_is_the_last_epoch_is_named_as_the_runs_weights(tmp_path):
    """Diverged mid-epoch after its best (the last completed) epoch: the run ends with that
    epoch's saved weights, not the diverged ones."""
    from engine.runs.reader import ending_weights
    from engine.runs.writer import RunWriter

    config = tiny_config({"optim.epochs": 5, "data.train_size": 256, "optim.batch_size": 16,
                          "regularization.monitor": "val_accuracy", "regularization.min_delta": 0.0})
    writer = RunWriter(tmp_path)
    trainer = Trainer(config, callbacks=[writer, DivergeAfterTwoEpochs()])
    result = trainer.fit()
    assert result.reason == ev.DIVERGED and result.epochs_completed == 2
    f = result.final_metrics
    assert f["weights_epoch"] == result.best_epoch and f["restored_best_epoch"] == result.best_epoch
    assert "weights_step" not in f
    assert ending_weights(writer.path) == "best"
