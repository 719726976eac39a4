"""The README's live move on the grokking preset: started with L2 strength 0, the network
memorizes every wrong label; L2 raised mid-run through RunControl (as the settings panel
does) then makes it give them up and generalize, instead of collapsing to chance (a raise
to the preset's 15 used to shrink the weights 15 % a step and drive every label to 0 %)."""

from __future__ import annotations

from engine.core import events as ev
from engine.core.config import load_preset
from engine.core.control import RunControl
from engine.experiments.experiment import run_single
from engine.training.callbacks import Callback

RAISE_AFTER = 30  # memorized by then: the wrong labels fitted from epoch ~17, validation ~0 %


class RaiseDecay(Callback):
    def __init__(self, control: RunControl, value: float):
        self.control, self.value, self.applied = control, value, []

    def on_event(self, event):
        if isinstance(event, ev.SettingsApplied):
            self.applied.append(event)

    def on_epoch_end(self, trainer, metrics):
        if metrics.epoch == RAISE_AFTER:
            self.control.submit_settings({"regularization.weight_decay": self.value})


def test_raising_l2_after_memorization_generalizes_rather_than_collapsing(tmp_path):
    cfg = load_preset("grokking").with_updates({"regularization.weight_decay": 0.0, "optim.epochs": 190,
                                               "run.record_examples": False})
    control = RunControl()
    raise_ = RaiseDecay(control, 15.0)  # the preset's own strength, as the user typed it
    h = run_single(cfg, control=control, subscribers=[raise_], runs_dir=tmp_path).trainer.history
    at = h[RAISE_AFTER - 1]
    assert at.train_accuracy_corrupted >= 0.95 and at.val_accuracy <= 0.05  # memorized
    (applied,) = raise_.applied
    assert applied.changes == {"regularization.weight_decay": [0.0, 8.0]}  # lr × L2 kept at 0.08
    assert "faster than training can follow" in applied.note
    end = h[-1]
    assert end.val_accuracy >= 0.8 and end.val_accuracy > at.val_accuracy + 0.7  # generalized
    assert end.train_accuracy_corrupted <= 0.25  # the wrong labels given up …
    assert end.train_accuracy_clean >= 0.95  # … the right ones kept: no collapse to chance
