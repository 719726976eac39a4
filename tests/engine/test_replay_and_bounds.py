"""A cleaned twin makes its run's live edits again where the run made them (in an experiment's
plan too, and when whole batches vanish from the twin), and the estimated count of wrong labels
is not trusted where the run had not learned."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch

from engine.core.control import RunControl
from engine.experiments.experiment import Experiment, run_single
from engine.runs.reader import read_run
from engine.training.callbacks import Callback
from tests.helpers import tiny_config

ROOT = Path(__file__).resolve().parents[2]


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def applied(folder) -> list[dict]:
    return [e for e in read_run(folder).events if e.get("event") == "SettingsApplied"]


class EditAt(Callback):
    """A user's live edit, submitted after `step` batches of the experiment's first trial."""

    def __init__(self, control, step, changes):
        self.control, self.step, self.changes, self.runs = control, step, changes, 0

    def on_event(self, event):
        if type(event).__name__ == "RunStarted":
            self.runs += 1

    def on_batch_end(self, trainer, step):
        if self.runs == 1 and step == self.step:
            self.control.submit_settings(self.changes)


def test_a_plans_cleaned_twin_starts_where_the_trial_started_and_replays_its_edit(tmp_path):
    control = RunControl()
    plan = [{"run.name": "orig"}, {"clean": {"trial": 0, "top": 10}, "run.name": "cleaned"}]
    result = Experiment(tiny_config({"data.label_noise": 0.3, "optim.epochs": 3}), plan, control=control,
                        subscribers=[EditAt(control, 12, {"regularization.weight_decay": 0.5})],
                        runs_dir=tmp_path).run()
    first, twin = result.trials
    assert [(e["step"], e["epoch"], e["changes"]) for e in applied(first.run_dir)] == [
        (12, 2, {"regularization.weight_decay": [0.0, 0.5]})]
    config = json.loads((twin.run_dir / "config.json").read_text())
    assert config["regularization"]["weight_decay"] == 0.0  # as trial 0 started, not as it was edited to
    # 10 of 256 removed from batches of 32: no batch vanishes, so the very same step
    assert [(e["step"], e["epoch"], e["changes"]) for e in applied(twin.run_dir)] == [
        (12, 2, {"regularization.weight_decay": [0.0, 0.5]})]
    record = json.loads((result.path / "experiment.json").read_text())
    assert record["trials"][1]["live_edits"].get("regularization.weight_decay") is None
    summary = json.loads((twin.run_dir / "summary.json").read_text())
    assert [e["step"] for e in summary["cleaned"]["replayed_edits"]] == [12]


def test_a_replayed_edit_lands_in_its_epoch_after_the_same_examples_when_batches_vanish(tmp_path):
    """Batches of one example: each removed example empties a batch. The run's edit came
    after 56 batches of epoch 2; the twin's comes in epoch 2, after the kept examples among
    those 56 (and after all 44 of epoch 1)."""
    control = RunControl()
    size, seed = 64, 0
    run = run_single(tiny_config({"data.train_size": size, "optim.batch_size": 1, "optim.epochs": 3,
                                  "data.label_noise": 0.3, "run.seed": seed}),
                     control=control, subscribers=[EditAt(control, 120, {"regularization.weight_decay": 0.5})],
                     runs_dir=tmp_path / "runs").run_dir
    assert [(e["step"], e["epoch"]) for e in applied(run)] == [(120, 2)]
    out = cli("clean", run, "--top", 20, "--out", tmp_path / "twins")
    assert out.returncode == 0, out.stderr
    twin = Path(out.stdout.strip().splitlines()[-1])
    removed = set(json.loads((twin / "config.json").read_text())["data"]["remove"])
    assert len(removed) == 20
    # the run's order of the examples in each epoch (its shuffling generator: seed + 1)
    generator = torch.Generator().manual_seed(seed + 1)
    torch.randperm(size, generator=generator)  # epoch 1
    epoch2 = torch.randperm(size, generator=generator).tolist()
    before = sum(p not in removed for p in epoch2[:56])
    assert [(e["step"], e["epoch"]) for e in applied(twin)] == [((size - 20) + before, 2)]


# ---- the estimate's bound, and a weak ranking said -------------------------------------------
SLOW = {"data.label_noise": 0.1, "optim.epochs": 4, "optim.lr": 2e-5}  # completes, but has not learned


def test_an_estimate_over_half_the_split_is_refused_by_clean_and_by_a_plan(tmp_path):
    run = run_single(tiny_config(SLOW), runs_dir=tmp_path / "runs").run_dir
    listed = json.loads(cli("suspects", run, "--json").stdout)
    estimate, size = listed["estimated_count"], listed["train_size"]
    assert estimate * 2 > size  # what the run's dynamics say: nearly every label "never learned"
    said = cli("suspects", run).stdout
    assert f"warning: the estimate, {estimate:,} of the {size:,} training examples, is more than half" in said
    assert listed["auroc"] < 0.85  # its ranking, against the labels it corrupted on purpose: near chance, said
    assert f"warning: this ranking by aum has an AUROC of {listed['auroc']:.2f} against the labels corrupted" in said
    out = cli("clean", run, "--out", tmp_path / "twins")
    assert out.returncode == 2 and f"--top = 'estimated {estimate:,}' is not allowed" in out.stderr, out.stderr
    assert "had not learned the patterns" in out.stderr
    assert not (tmp_path / "twins").exists()  # nothing trained
    named = cli("clean", run, "--top", 5, "--out", tmp_path / "twins")  # a count the user names still trains
    assert named.returncode == 0, named.stderr
    # the tour's cleaned trial (a plan's clean entry with no count: nobody to ask) takes out half the
    # split at most, and its notes say why
    result = Experiment(tiny_config(SLOW), [{}, {"clean": {"trial": 0}}], runs_dir=tmp_path / "plan").run()
    twin = result.trials[1]
    assert len(twin.config.data.remove) == size // 2
    cleaned = json.loads((twin.run_dir / "summary.json").read_text())["cleaned"]
    assert cleaned["warning"].startswith(f"the estimate, {estimate:,} of the {size:,} training examples")
    assert f"{size // 2:,} were taken out (half the split)" in cleaned["warning"]


def test_a_weaker_score_and_a_low_auroc_are_said_with_what_to_use_instead(tmp_path):
    run = run_single(tiny_config({"data.label_noise": 0.3, "optim.epochs": 4}), runs_dir=tmp_path / "runs").run_dir
    listed = json.loads(cli("suspects", run, "--score", "forgetting", "--json").stdout)
    said = cli("suspects", run, "--score", "forgetting", "--top", 3).stdout
    if listed["auroc"] < 0.85:  # its own AUROC is known (labels corrupted on purpose) and low: that is said
        assert f"warning: this ranking by forgetting has an AUROC of {listed['auroc']:.2f}" in said, said
    else:  # else what the project measured of forgetting
        assert "warning: forgetting finds wrong labels less well than aum: AUROC 0.69 against 0.97" in said, said
    assert "--score aum (the default) ranked them best" in said
    out = cli("clean", run, "--score", "forgetting", "--top", 5, "--out", tmp_path / "twins")
    assert out.returncode == 0 and "warning:" in out.stdout and "--score aum (the default)" in out.stdout
