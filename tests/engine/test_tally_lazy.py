"""The tally's quality figures (how well the ranking finds the labels corrupted on purpose)
are worked out when asked for, not on every epoch's add, and equal what each epoch's
ranking gave then: checked against figures computed from a real run's recorded dynamics."""

from __future__ import annotations

import numpy as np
import pytest

from engine.experiments.experiment import run_single
from engine.runs import scores
from engine.runs.dynamics import read_dynamics
from engine.runs.suspects import read_suspects
from engine.runs.tally import ExampleTally
from tests.helpers import tiny_config


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory):
    """A real run with 30 % of its labels corrupted: its dynamics and validation losses."""
    trial = run_single(tiny_config({"data.label_noise": 0.3, "optim.epochs": 7, "optim.lr": 3e-3}),
                       runs_dir=tmp_path_factory.mktemp("lazy"))
    assert trial.result.reason == "completed"
    s = read_suspects(trial.run_dir)
    return read_dynamics(trial.run_dir), list(s.val_losses)


def expected_quality(d, val_losses) -> dict[str, list]:
    """Each epoch's figures from the whole arrays: the epoch's own margin, and AUM over the
    scoring epochs as they stood after that epoch (margins summed in epoch order)."""
    out = {"epoch": [], "epoch_auroc": [], "ranking_auroc": [], "ranking_precision": []}
    k = int(d.corrupted.sum())
    for i, epoch in enumerate(d.epochs):
        upto = scores.scored_epochs(val_losses[:i + 1], i + 1)
        total = np.zeros(d.size)
        for e in range(upto):
            total += d.margin[e].astype(np.float64)
        ranking = -total / upto
        out["epoch"].append(epoch)
        out["epoch_auroc"].append(scores.auroc(-d.margin[i].astype(np.float64), d.corrupted))
        out["ranking_auroc"].append(scores.auroc(ranking, d.corrupted))
        out["ranking_precision"].append(scores.precision_at_k(ranking, d.corrupted, k))
    return out


def tally_of(d) -> ExampleTally:
    return ExampleTally(d.positions, d.given, d.true, d.corrupted, d.class_names)


def test_quality_read_at_the_end_equals_each_epochs_figures(noisy_run):
    d, losses = noisy_run
    assert d.corrupted_on_purpose and len(d.epochs) == 7
    assert ExampleTally.of(d, losses).quality == expected_quality(d, losses)


def test_quality_read_every_epoch_or_now_and_then_gives_the_same_figures(noisy_run):
    d, losses = noisy_run
    expected = expected_quality(d, losses)
    for asked in ({1, 2, 3, 4, 5, 6, 7}, {2, 6}, {5}):
        t = tally_of(d)
        for i, epoch in enumerate(d.epochs):
            t.add(epoch, d.probability[i], d.margin[i], d.predicted[i], losses[i])
            if epoch in asked:
                assert t.quality == {key: values[:i + 1] for key, values in expected.items()}
        assert t.quality == expected


def test_an_epochs_add_sorts_nothing_until_the_quality_is_asked_for(noisy_run, monkeypatch):
    d, losses = noisy_run
    sorts = []
    real_auroc, real_precision = scores.auroc, scores.precision_at_k
    monkeypatch.setattr(scores, "auroc", lambda *a: sorts.append("auroc") or real_auroc(*a))
    monkeypatch.setattr(scores, "precision_at_k", lambda *a: sorts.append("precision") or real_precision(*a))
    t = tally_of(d)
    for i, epoch in enumerate(d.epochs):
        t.add(epoch, d.probability[i], d.margin[i], d.predicted[i], losses[i])
    assert sorts == []
    assert len(t.quality["epoch"]) == 7 and len(sorts) == 3 * 7
    t.quality  # noqa: B018 - asked again: kept, not worked out again
    assert len(sorts) == 3 * 7


def test_the_turn_is_the_earliest_lowest_validation_loss_so_far(noisy_run):
    d, _ = noisy_run
    losses = [None, 2.0, float("nan"), 1.5, 1.5, 1.7, 1.2, float("inf"), 1.2, 0.9, None][:len(d.epochs)]
    t = tally_of(d)
    for i, epoch in enumerate(d.epochs):
        t.add(epoch, d.probability[i], d.margin[i], d.predicted[i], losses[i])
        assert t.turn == scores.turn_epoch(losses[:i + 1])
        assert t.scored_epochs == scores.scored_epochs(losses[:i + 1], i + 1)


def test_the_run_exercises_a_moving_turn(noisy_run):
    """(The figures above cover rankings over the last epoch, the turn and earlier counts.)"""
    d, losses = noisy_run
    uptos = [scores.scored_epochs(losses[:i + 1], i + 1) for i in range(len(d.epochs))]
    assert len(set(uptos)) >= 5, (uptos, losses)
