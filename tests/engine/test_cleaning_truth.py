"""A cleaned twin that tells the truth: it makes the run's live edits again, takes out as many
as the run's own dynamics estimate (never the number corrupted on purpose), relabels only to
a class that really differs, and is compared with the run on the command line."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.core.control import RunControl
from engine.experiments.cleaning import default_count
from engine.experiments.experiment import Experiment, run_single
from engine.runs import scores
from engine.runs.dynamics import read_dynamics
from engine.runs.reader import read_run
from engine.runs.suspects import read_suspects
from engine.training.callbacks import Callback
from tests.helpers import tiny_config

ROOT = Path(__file__).resolve().parents[2]
# 256 training images (8 batches of 32 an epoch), 77 labels wrong; a small validation split
NOISY = {"data.label_noise": 0.3, "optim.epochs": 5, "model.width": 64, "data.val_size": 40}
EDITS = {13: {"regularization.weight_decay": 0.01}, 24: {"optim.lr": 0.002}}  # after step: the edit


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


class EditAt(Callback):
    """The user's live edits: each submitted after the step it is keyed by, as the window's
    settings panel submits them while the run trains."""

    def __init__(self, control, edits):
        self.control, self.edits = control, dict(edits)

    def on_batch_end(self, trainer, step):
        if step in self.edits:
            self.control.submit_settings(self.edits.pop(step))


@pytest.fixture(scope="module")
def edited_run(tmp_path_factory):
    """A noisy run whose weight decay was raised in epoch 2 and learning rate changed at the
    start of epoch 4, with a recorded test evaluation."""
    control = RunControl()
    trial = run_single(tiny_config(NOISY), control=control, runs_dir=tmp_path_factory.mktemp("runs"),
                       subscribers=[EditAt(control, EDITS)])
    assert cli("evaluate", trial.run_dir, "--split", "test").returncode == 0
    return trial.run_dir


def applied(folder) -> list[dict]:
    return [e for e in read_run(folder).events if e.get("event") == "SettingsApplied"]


def twin_of(out) -> Path:
    assert out.returncode == 0, out.stderr
    return Path(out.stdout.strip().splitlines()[-1])


def test_the_twin_makes_the_runs_live_edits_again_at_the_same_point_of_the_same_epoch(edited_run, tmp_path):
    original = applied(edited_run)
    assert [(e["step"], e["epoch"]) for e in original] == [(13, 2), (24, 4)]
    out = cli("clean", edited_run, "--top", 40, "--out", tmp_path)
    twin = twin_of(out)
    config = json.loads((twin / "config.json").read_text())
    assert config["regularization"]["weight_decay"] == 0.0 and config["optim"]["lr"] == 1e-3  # as the run started
    # the twin's batches are the run's without the removed examples (40 of 256 from batches of 32:
    # none loses all its examples), so the very same steps; batches that vanish are in
    # tests/engine/test_replay_and_bounds.py
    assert [(e["step"], e["epoch"], e["changes"]) for e in applied(twin)] == [
        (13, 2, {"regularization.weight_decay": [0.0, 0.01]}),
        (24, 4, {"optim.lr": [1e-3, 0.002]})]
    assert "regularization.weight_decay 0.0 -> 0.01" in out.stdout and "epoch 2 (step 13)" in out.stdout
    summary = json.loads((twin / "summary.json").read_text())
    assert [e["step"] for e in summary["cleaned"]["replayed_edits"]] == [13, 24]
    # a relabelled twin has as many batches: the very same steps
    same = twin_of(cli("clean", edited_run, "--top", 10, "--relabel", "--out", tmp_path))
    assert [(e["step"], e["epoch"]) for e in applied(same)] == [(13, 2), (24, 4)]


def test_clean_compares_the_twin_with_the_run_and_says_when_validation_cannot_tell(edited_run, tmp_path):
    out = cli("clean", edited_run, "--top", 20, "--out", tmp_path)
    twin = twin_of(out)
    best = [max(e["val_accuracy"] for e in read_run(f).epochs) for f in (edited_run, twin)]
    lowest = [min(e["val_loss"] for e in read_run(f).epochs) for f in (edited_run, twin)]
    line = re.search(r"best validation accuracy: run ([\d.]+)%, twin ([\d.]+)% .*lowest validation loss: run "
                     r"([\d.]+), twin ([\d.]+)", out.stdout)
    assert line, out.stdout
    assert [float(line[1]), float(line[2])] == [round(a * 100, 1) for a in best]
    assert [float(line[3]), float(line[4])] == [round(v, 4) for v in lowest]
    p = sum(best) / 2
    se = math.sqrt(p * (1 - p) / 40)
    if abs(best[1] - best[0]) < 2 * se:
        assert f"cannot tell them apart: 40 examples give each accuracy a standard error of {se * 100:.1f}" in out.stdout
    else:
        assert f"{abs(best[1] - best[0]) / se:.1f} standard errors" in out.stdout
    # the run's test evaluation is reported as recorded; the twin's test split is never opened
    test = json.loads((edited_run / "summary.json").read_text())["test"]["accuracy"]
    assert f"the run's recorded test evaluation: accuracy {test:.1%}" in out.stdout
    assert "test" not in json.loads((twin / "summary.json").read_text())
    assert not any(e.get("event") == "Evaluated" for e in read_run(twin).events)


def test_without_top_clean_takes_out_an_estimate_from_the_dynamics_not_the_truth(edited_run, tmp_path):
    s = read_suspects(edited_run)
    d = s.dynamics
    estimate = scores.estimated_count(d.predicted, d.given, s.val_losses)
    never = int((~(d.predicted[:s.scored_epochs] == d.given).any(axis=0)).sum())
    assert estimate == never and 0 < estimate < d.size
    d.corrupted[:] = False  # what a user would know: nothing
    assert default_count(s) == estimate
    truth = int(read_dynamics(edited_run).corrupted.sum())
    listed = cli("suspects", edited_run, "--top", 3)
    assert f"how many look mislabeled: estimated {estimate:,} from the run's dynamics (truth: {truth:,}" in listed.stdout
    assert json.loads(cli("suspects", edited_run, "--json").stdout)["estimated_count"] == estimate
    out = cli("clean", edited_run, "--out", tmp_path)
    twin = twin_of(out)
    assert f"estimated {estimate:,} from the run's dynamics (truth: {truth:,} corrupted on purpose" in out.stdout
    config = json.loads((twin / "config.json").read_text())
    assert len(config["data"]["remove"]) == estimate
    assert json.loads((twin / "summary.json").read_text())["cleaned"]["estimated"] is True


def test_the_tours_cleaned_entry_takes_the_same_estimate(tmp_path):
    plan = [{}, {"clean": {"trial": 0}, "run.name": "cleaned"}]
    result = Experiment(tiny_config(NOISY), plan, runs_dir=tmp_path, name="t", kind="tour").run()
    first, twin = result.trials
    s = read_suspects(first.run_dir)
    estimate = scores.estimated_count(s.dynamics.predicted, s.dynamics.given, s.val_losses)
    assert len(twin.config.data.remove) == estimate
    assert twin.config.data.remove == sorted(r["index"] for r in s.rows(estimate))


def test_relabel_gives_the_class_that_beat_the_label_and_counts_only_real_changes(edited_run, tmp_path):
    s = read_suspects(edited_run)
    d = s.dynamics
    top = 150
    ranked = s.rows(top)
    out = cli("clean", edited_run, "--top", top, "--relabel", "--out", tmp_path)
    twin = twin_of(out)
    pairs = json.loads((twin / "config.json").read_text())["data"]["relabel"]
    given = dict(zip(d.positions.tolist(), d.given.tolist(), strict=True))
    assert pairs and all(c != given[i] for i, c in pairs)  # every relabelled example really changes
    # the class is the one that beat the label most often over the scoring epochs
    upto = s.scored_epochs
    for i, c in pairs:
        row = int(np.flatnonzero(d.positions == i)[0])
        beat = d.predicted[:upto, row][d.predicted[:upto, row] != d.given[row]]
        counts = np.bincount(beat, minlength=len(d.class_names))
        assert counts[c] == counts.max() > 0
    kept = [r for r in ranked if r["other"] is None]
    assert len(pairs) == top - len(kept)
    assert f"{len(pairs):,} of them get a new label" in out.stdout and f"{len(kept):,} keep theirs" in out.stdout
    summary = json.loads((twin / "summary.json").read_text())
    assert summary["cleaned"]["changed"] == len(pairs) and summary["cleaned"]["top"] == top
    assert f"({len(pairs):,} suspects relabelled)" in json.loads((twin / "config.json").read_text())["run"]["name"]
    # the twin trains on those labels
    twin_d = read_dynamics(twin)
    assert twin_d.given[[p for p, _ in pairs]].tolist() == [c for _, c in pairs]


def test_clean_and_train_share_the_console_without_importing_each_other():
    import grimp

    graph = grimp.build_graph("engine")
    assert graph.find_shortest_chain(importer="engine.cli.example_commands", imported="engine.cli.main") is None
    assert graph.find_shortest_chain(importer="engine.cli.main", imported="engine.cli.example_commands")

