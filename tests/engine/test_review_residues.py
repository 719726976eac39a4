"""What the last review left: a clamp back to the run's own value is no edit a twin makes
again; an arrays file is hashed without Python 3.11's hashlib.file_digest (the app supports 3.10)."""

from __future__ import annotations

import hashlib

import numpy as np

from engine.core.control import RunControl
from engine.experiments.experiment import run_single
from engine.runs.suspects import read_suspects
from tests.engine.test_decay_limits import EditAfterEpoch
from tests.helpers import tiny_config


def test_a_raise_clamped_back_to_the_runs_own_value_is_not_an_edit_to_make_again(tmp_path):
    control = RunControl()
    cfg = tiny_config({"optim.epochs": 3, "optim.lr": 0.01, "regularization.weight_decay": 15.0,
                       "regularization.weight_decay_mode": "decoupled", "data.label_noise": 0.3})
    trial = run_single(cfg, control=control, runs_dir=tmp_path,
                       subscribers=[EditAfterEpoch(control, 1, {"regularization.weight_decay": 30.0})])
    assert trial.result.reason == "completed", trial.result.message
    events = [e for e in (trial.run_dir / "metrics.jsonl").read_text().splitlines() if "SettingsApplied" in e]
    assert events  # the clamp was told (with its note) ...
    assert read_suspects(trial.run_dir).edits == []  # ... but changed nothing: no edit for a twin


def test_an_arrays_run_trains_where_hashlib_has_no_file_digest(tmp_path, monkeypatch):
    monkeypatch.delattr(hashlib, "file_digest", raising=False)  # as on Python 3.10
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "t.npz", x=rng.normal(size=(90, 4)).astype(np.float32), y=np.arange(90) % 3)
    cfg = tiny_config({"data.dataset": "arrays", "data.path": str(tmp_path / "t.npz"), "data.train_size": 40,
                       "data.val_size": 20, "data.test_size": 20, "optim.epochs": 1})
    trial = run_single(cfg, runs_dir=tmp_path / "runs")
    assert trial.result.reason == "completed", trial.result.message
