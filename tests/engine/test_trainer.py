import threading
import time

import pytest

from engine.core import events as ev
from engine.core.config import ConfigError
from engine.core.control import RunControl
from engine.nets.models import weight_layers
from engine.training.callbacks import Callback
from engine.training.evaluate import evaluate
from engine.training.trainer import Trainer
from tests.helpers import Recorder, recorded_trainer, tiny_config


def test_events_describe_the_run():
    rec = Recorder()
    trainer = Trainer(tiny_config(), callbacks=[rec])
    result = trainer.fit()
    started = rec.of(ev.RunStarted)[0]
    assert started.layer_names == ["fc1", "fc2", "out"]
    assert started.steps_per_epoch == 8 and started.device == "cpu"
    assert started.parameter_count == sum(p.numel() for p in trainer.model.parameters())
    epochs = rec.of(ev.EpochMetrics)
    assert [e.epoch for e in epochs] == [1, 2]
    e = epochs[-1]
    assert e.accuracy_gap == pytest.approx(e.train_accuracy - e.val_accuracy)
    assert e.loss_gap == pytest.approx(e.val_loss - e.train_loss)
    assert rec.events[-1] == result and result.reason == ev.COMPLETED
    assert result.epochs_completed == 2 and result.step == 16
    # Calibration each epoch: the final epoch's value is the trained model's on validation.
    from engine.training.reports import calibration_error

    direct = calibration_error(evaluate(trainer.model, trainer.data.val_x, trainer.data.val_y), trainer.data.val_y)
    assert 0 < e.val_ece < 1 and e.val_ece == pytest.approx(direct, abs=1e-6)


def test_two_runs_with_the_same_seed_are_identical():
    def losses(seed):
        trainer = Trainer(tiny_config({"run.seed": seed, "regularization.dropout": 0.3,
                                       "regularization.augment_noise": True}))
        trainer.fit()
        return [(m.train_loss, m.val_loss) for m in trainer.history]

    assert losses(7) == losses(7)
    assert losses(7) != losses(8)


class SubmitAt(Callback):
    def __init__(self, step, updates):
        self.step, self.updates = step, updates

    def on_batch_end(self, trainer, step):
        if step == self.step:
            trainer.control.submit_settings(self.updates)


def test_live_setting_lands_at_the_next_batch_and_is_recorded(tmp_path):
    rec = Recorder()
    updates = {"regularization.dropout": 0.4, "optim.lr": 0.01, "regularization.weight_decay": 0.1}
    trainer, writer = recorded_trainer(tiny_config(), tmp_path, callbacks=[SubmitAt(3, updates), rec])
    trainer.fit()
    applied = rec.of(ev.SettingsApplied)
    assert len(applied) == 1
    assert applied[0].step == 3  # after 3 batches, before the 4th
    assert applied[0].changes["regularization.dropout"] == [0.0, 0.4]
    assert applied[0].changes["optim.lr"] == [0.001, 0.01]
    assert applied[0].changes["regularization.weight_decay"] == [0.0, 0.1]
    assert trainer.config.regularization.weight_decay == 0.1
    drops = [m.p for m in trainer.model.modules() if type(m).__name__ == "Dropout"]
    assert drops and all(p == 0.4 for p in drops)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.01
    assert rec.of(ev.EpochMetrics)[-1].lr == 0.01
    written = (writer.path / "metrics.jsonl").read_text()
    assert '"event": "SettingsApplied"' in written and '"step": 3' in written


def test_settings_that_cannot_change_live_are_refused_at_once():
    control = RunControl()
    with pytest.raises(ConfigError, match="model.arch.*restart the run"):
        control.submit_settings({"model.arch": "cnn"})
    with pytest.raises(ConfigError, match=r"regularization\.dropout = 1\.5"):
        control.submit_settings({"regularization.dropout": 1.5})
    control.submit_settings({"regularization.dropout": 0.1})
    control.submit_settings({"regularization.dropout": 0.2})  # the latest wins
    assert control.take_settings() == {"regularization.dropout": 0.2}


class PauseAt(Callback):
    """Pauses at step `step`; tells the test when the loop has gone idle, and counts every
    batch that ends after that (there must be none)."""

    def __init__(self, control, step):
        self.control, self.step = control, step
        self.idle = threading.Event()
        self.batches_after_pause = 0

    def on_event(self, event):
        if isinstance(event, ev.Paused):
            self.idle.set()

    def on_batch_end(self, trainer, step):
        if self.idle.is_set():
            self.batches_after_pause += 1
        if step == self.step:
            self.control.pause()


def test_pause_blocks_and_stop_while_paused_ends_user_stopped():
    control = RunControl()
    rec = Recorder()
    pause = PauseAt(control, 5)
    trainer = Trainer(tiny_config({"optim.epochs": 1000}), control=control, callbacks=[rec, pause])
    thread = threading.Thread(target=trainer.fit)
    thread.start()
    assert pause.idle.wait(30)
    assert rec.of(ev.Paused)[0].step == 5
    thread.join(0.3)  # the loop stays blocked in the pause
    assert thread.is_alive()
    control.request_stop()
    thread.join(10)
    assert not thread.is_alive()
    assert trainer.result.reason == ev.USER_STOPPED
    assert trainer.step == 5 and pause.batches_after_pause == 0  # no progress while paused
    assert not rec.of(ev.Resumed)


class _PauseAtEpochEnd(Callback):
    """Asks for a pause on the last batch of epoch 1: the next chance is the validation."""

    def __init__(self, control, steps_per_epoch):
        self.control, self.steps = control, steps_per_epoch

    def on_batch_end(self, trainer, step):
        if step == self.steps:
            self.control.pause()


def test_pause_and_stop_are_honoured_during_validation_too():
    control = RunControl()
    rec = Recorder()
    cfg = tiny_config({"data.val_size": 1500, "optim.epochs": 5})  # three validation chunks
    trainer = Trainer(cfg, control=control, callbacks=[rec, _PauseAtEpochEnd(control, 8)])
    thread = threading.Thread(target=trainer.fit)
    thread.start()
    deadline = time.time() + 30
    while not rec.of(ev.Paused) and time.time() < deadline:
        time.sleep(0.01)
    paused = rec.of(ev.Paused)[0]
    assert paused.step == 8 and not rec.of(ev.EpochMetrics)  # paused inside epoch 1's validation
    control.request_stop()
    thread.join(10)
    assert trainer.result.reason == ev.USER_STOPPED and "during validation" in trainer.result.message
    assert trainer.result.epochs_completed == 0 and trainer.history == []


def test_resume_continues_from_where_it_paused():
    control = RunControl()
    rec = Recorder()
    trainer = Trainer(tiny_config({"optim.epochs": 3}), control=control, callbacks=[rec])
    control.pause()  # paused before the first batch
    thread = threading.Thread(target=trainer.fit)
    thread.start()
    deadline = time.time() + 30
    while not rec.of(ev.Paused) and time.time() < deadline:
        time.sleep(0.01)
    assert trainer.step == 0
    control.resume()
    thread.join(30)
    assert trainer.result.reason == ev.COMPLETED and trainer.step == 24
    assert len(rec.of(ev.Resumed)) == 1


def test_huge_learning_rate_diverges_within_one_step():
    trainer = Trainer(tiny_config({"optim.lr": 100.0, "optim.optimizer": "sgd", "optim.epochs": 5}))
    result = trainer.fit()
    assert result.reason == ev.DIVERGED
    assert f"at step {result.step + 1}" in result.message and "optim.lr = 100" in result.message
    assert result.epochs_completed == 0 and trainer.history == []


class BlowUpAfter(Callback):
    """Once `epochs` epochs have completed, makes the weights infinite, as a diverging step would."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, trainer, metrics):
        if metrics.epoch == self.epochs:
            import torch

            with torch.no_grad():
                for w in weight_layers(trainer.model).values():
                    w.fill_(float("inf"))


def test_a_run_that_diverges_later_ends_with_its_best_epochs_weights(tmp_path):
    cfg = tiny_config({"optim.epochs": 20})
    trainer, writer = recorded_trainer(cfg, tmp_path, callbacks=[BlowUpAfter(3)])
    result = trainer.fit()
    assert result.reason == ev.DIVERGED and result.epochs_completed == 3
    assert f"at step {3 * 8 + 1}" in result.message
    assert len(trainer.history) == 3 and result.best_epoch in (1, 2, 3)
    for w in weight_layers(trainer.model).values():
        assert w.isfinite().all()
    best = trainer.history[result.best_epoch - 1]
    # The weights put back are the best epoch's: they give its validation loss again.
    again = evaluate(trainer.model, trainer.data.val_x, trainer.data.val_y).loss
    assert again == pytest.approx(best.val_loss, rel=1e-5)
    assert (writer.path / "best.safetensors").is_file()


class Boom(Callback):
    def on_batch_end(self, trainer, step):
        if step == 2:
            raise RuntimeError("shape mismatch in layer fc2")


def test_an_exception_ends_the_run_as_failed_with_traceback(tmp_path):
    rec = Recorder()
    trainer, writer = recorded_trainer(tiny_config(), tmp_path, callbacks=[Boom(), rec])
    result = trainer.fit()
    assert result.reason == ev.FAILED
    assert "RuntimeError: shape mismatch in layer fc2" in result.message
    assert "Traceback" in result.traceback and "in on_batch_end" in result.traceback
    assert rec.events[-1] is result
    from engine.runs.reader import read_run

    assert read_run(writer.path).status == ev.FAILED


def test_bad_data_before_the_run_still_reports_failed(tmp_path):
    rec = Recorder()
    cfg = tiny_config({"data.dataset": "image_folder", "data.path": str(tmp_path / "missing")})
    result = Trainer(cfg, callbacks=[rec]).fit()
    assert result.reason == ev.FAILED and "missing: folder not found" in result.message
    assert result.bad_input and result.traceback is None
    assert rec.events == [result]


def test_step_metrics_are_coalesced(monkeypatch):
    """At most one StepMetrics per STEP_EVENT_INTERVAL, on a fake clock that advances 10 ms
    each time the loop reads it (about once a step)."""
    import types

    from engine.training import trainer as trainer_module

    clock = [0.0]

    def tick():
        clock[0] += 0.01
        return clock[0]

    monkeypatch.setattr(trainer_module, "time", types.SimpleNamespace(perf_counter=tick))
    rec = Recorder()
    trainer = Trainer(tiny_config({"data.train_size": 2048, "optim.batch_size": 8, "optim.epochs": 1}),
                      callbacks=[rec])
    trainer.fit()
    steps = rec.of(ev.StepMetrics)
    assert trainer.step == 256
    per_event = round(trainer_module.STEP_EVENT_INTERVAL / 0.01)  # steps between events on this clock
    expected = 256 / per_event  # ~13 at 200 ms: not one per step
    assert expected * 0.8 <= len(steps) <= expected * 1.2
    assert all(b.step - a.step >= per_event - 1 for a, b in zip(steps, steps[1:], strict=False))
    assert all(s.epoch == 1 and 0 < s.epoch_fraction <= 1 for s in steps)
    assert all(s.train_loss > 0 for s in steps)
