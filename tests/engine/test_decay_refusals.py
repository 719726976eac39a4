"""optim.lr × weight_decay ≥ 1 (decoupled) is refused where a run starts, not where a config is
read: a search's trial that crosses it is a refused trial told to the search, a curve that
would cross it is refused before its first run, a space whose every draw crosses it before the
study starts, and an old run folder that trained with such a pair still opens."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch

from engine.core import events as ev
from engine.experiments.experiment import Experiment
from tests.helpers import tiny_config

ROOT = Path(__file__).resolve().parents[2]


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_a_generator_plans_trial_that_crosses_the_limit_is_a_refused_trial_and_the_next_runs():
    torch.set_num_threads(1)
    told = []

    def plan():
        for decay in (0.1, 3.0, 0.2):
            finished = yield {"regularization.weight_decay": decay}
            told.append(finished.result)

    base = tiny_config({"optim.lr": 0.5, "optim.epochs": 1, "data.train_size": 64, "data.val_size": 64})
    result = Experiment(base, plan()).run()
    assert [r.reason for r in told] == [ev.COMPLETED, ev.FAILED, ev.COMPLETED]
    assert told[1].bad_input
    assert "regularization.weight_decay = 3.0" in told[1].message and "optim.lr = 0.5" in told[1].message
    assert result.reason == ev.COMPLETED and len(result.trials) == 3


def test_a_curve_whose_value_crosses_the_limit_is_refused_before_any_run(tmp_path):
    out = tmp_path / "runs"
    done = cli("curve", "--preset", "overfit", "--set", "optim.lr=0.1", "--set", "data.train_size=64",
               "--over", "regularization.weight_decay=0,5,20", "--seeds", "1", "--out", out)
    assert done.returncode == 2, done.stderr
    assert "regularization.weight_decay = 20" in done.stderr and "optim.lr = 0.1" in done.stderr
    assert "run 3 of the plan" in done.stderr
    assert not out.exists() or not any(out.rglob("metrics.jsonl"))  # nothing trained


def test_a_search_space_whose_every_draw_crosses_the_limit_is_refused_before_the_study(tmp_path):
    settings = tmp_path / "s.toml"
    settings.write_text('[optim]\nlr = 0.5\n[search.params."regularization.weight_decay"]\nlow = 2.0\nhigh = 10.0\n')
    done = cli("search", "--config", settings, "--trials", "2", "--out", tmp_path / "runs")
    assert done.returncode == 2, done.stderr
    assert "search.regularization.weight_decay" in done.stderr and "every trial would be refused" in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("metrics.jsonl"))


def test_an_old_run_folder_with_the_pair_opens_and_training_it_again_is_refused(tmp_path):
    out = tmp_path / "runs"
    done = cli("train", "--preset", "overfit", "--set", "data.train_size=64", "--set", "data.val_size=64",
               "--set", "optim.epochs=1", "--set", "run.device='cpu'", "--out", out)
    assert done.returncode == 0, done.stderr
    run = Path(done.stdout.strip().splitlines()[-1])
    config = json.loads((run / "config.json").read_text())
    config["optim"]["lr"], config["regularization"]["weight_decay"] = 0.5, 3.0  # as trained before the check
    (run / "config.json").write_text(json.dumps(config))
    evaluated = cli("evaluate", run)
    assert evaluated.returncode == 0, evaluated.stderr
    again = cli("train", "--config", run / "config.json", "--out", out)
    assert again.returncode == 2, again.stderr
    assert "regularization.weight_decay = 3.0" in again.stderr and "optim.lr = 0.5" in again.stderr
