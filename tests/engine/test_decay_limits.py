"""Decoupled weight decay with optim.lr × regularization.weight_decay ≥ 1 multiplies every
weight by 1 − lr·wd ≤ 0 each step: refused before training, clamped when a live edit would
reach it (and the SettingsApplied event says why)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine.core import events as ev
from engine.core.config import Config, ConfigError
from engine.core.control import RunControl
from engine.training.callbacks import Callback
from engine.training.trainer import Trainer
from tests.helpers import Recorder, tiny_config

ROOT = Path(__file__).resolve().parents[2]


def test_a_settings_file_with_lr_times_decay_at_one_is_refused_naming_both(tmp_path):
    path = tmp_path / "wipe.toml"
    path.write_text('[regularization]\nweight_decay = 20.0\nweight_decay_mode = "decoupled"\n'
                    '[optim]\nlr = 0.05\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Config.load(path).check_trainable()  # read (an old run folder opens), refused where a run starts
    text = str(caught.value)
    assert caught.value.key == "regularization.weight_decay" and "optim.lr = 0.05" in text and "below 1 / optim.lr = 20" in text
    # As an L2 penalty the same pair is a gradient term, not a multiplier: allowed.
    path.write_text(path.read_text(encoding="utf-8").replace('"decoupled"', '"l2_penalty"'), encoding="utf-8")
    assert Config.load(path).regularization.weight_decay == 20.0
    assert Config().with_updates({"optim.lr": 0.05, "regularization.weight_decay": 19.9}).optim.lr == 0.05


def test_the_command_line_refuses_it_before_training():
    out = subprocess.run([sys.executable, "main.py", "train", "--preset", "grokking",
                          "--set", "regularization.weight_decay=100"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    assert "regularization.weight_decay = 100.0" in out.stderr and "optim.lr = 0.01" in out.stderr
    assert "epoch" not in out.stdout  # nothing trained


class EditAfterEpoch(Callback):
    def __init__(self, control, epoch, updates):
        self.control, self.epoch, self.updates = control, epoch, updates

    def on_epoch_end(self, trainer, metrics):
        if metrics.epoch == self.epoch:
            self.control.submit_settings(self.updates)


@pytest.mark.parametrize(("start", "edit", "clamped", "why"), [
    ({"optim.lr": 0.02, "regularization.weight_decay": 1.0}, {"regularization.weight_decay": 100.0},
     ("regularization.weight_decay", 4.0), "zeroes or flips them all"),  # 0.08 / 0.02
    ({"optim.lr": 1e-3, "regularization.weight_decay": 10.0}, {"optim.lr": 0.5},
     ("optim.lr", 0.008), "zeroes or flips them all"),  # only the learning rate moved: it is clamped
    ({"optim.lr": 1e-2}, {"regularization.weight_decay": 15.0},  # grokking's collapsing raise
     ("regularization.weight_decay", 8.0), "faster than training can follow"),
])
def test_a_live_edit_that_would_wipe_the_weights_is_clamped_and_says_why(start, edit, clamped, why):
    control, seen = RunControl(), Recorder()
    cfg = tiny_config({**start, "optim.epochs": 3, "regularization.weight_decay_mode": "decoupled"})
    trainer = Trainer(cfg, control, [seen, EditAfterEpoch(control, 1, edit)])
    result = trainer.fit()
    assert result.reason == ev.COMPLETED, result.message
    (applied,) = seen.of(ev.SettingsApplied)
    key, value = clamped
    assert applied.changes[key][1] == pytest.approx(value) and trainer.config.get(key) == pytest.approx(value)
    assert f"{key} {edit[key]:g} clamped to {value:g}" in applied.note and why in applied.note
    norms = [w.detach().norm().item() for w in trainer.weights]  # shrunk hard, never zeroed
    assert all(n > 0 and torch.isfinite(torch.tensor(n)) for n in norms)


def test_an_edit_below_the_limit_is_applied_as_given():
    control, seen = RunControl(), Recorder()
    cfg = tiny_config({"optim.epochs": 2, "optim.lr": 0.02})
    Trainer(cfg, control, [seen, EditAfterEpoch(control, 1, {"regularization.weight_decay": 3.0})]).fit()
    (applied,) = seen.of(ev.SettingsApplied)
    assert applied.changes == {"regularization.weight_decay": [0.0, 3.0]} and applied.note == ""


def test_a_run_that_started_above_the_live_limit_may_lower_its_decay_freely():
    """The grokking preset starts at lr × wd = 0.15; lowering it to 12 is applied as given."""
    control, seen = RunControl(), Recorder()
    cfg = tiny_config({"optim.epochs": 2, "optim.lr": 0.01, "regularization.weight_decay": 15.0})
    Trainer(cfg, control, [seen, EditAfterEpoch(control, 1, {"regularization.weight_decay": 12.0})]).fit()
    (applied,) = seen.of(ev.SettingsApplied)
    assert applied.changes == {"regularization.weight_decay": [15.0, 12.0]} and applied.note == ""
