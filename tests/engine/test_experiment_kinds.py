"""Cross-validation, learning curves, twin runs, the remedy tour and resuming experiments."""

import json

import numpy as np
import pytest

from engine.core import events as ev
from engine.core.config import ConfigError, load_preset
from engine.data.bundle import load_data
from engine.experiments.experiment import EXPERIMENT_FILE, Experiment, run_single
from engine.experiments.plans import (
    REMEDY_PRESETS,
    curve_plan,
    cv_plan,
    differences,
    tour_plan,
    twin_config,
)
from engine.runs.aggregate import Outcome, band, by_value
from engine.runs.reader import list_runs, read_run
from tests.engine.test_experiments import DataSeen
from tests.helpers import Recorder, StopAtRun, tiny_config


# ---- folds ----------------------------------------------------------------------------------
def test_cv_folds_partition_the_training_pool_stratified_and_keep_the_test_split_out():
    cfg = tiny_config({"data.train_size": 300, "data.folds": 5})
    pool = load_data(cfg.data.__class__(**{**cfg.data.__dict__, "folds": 0}), seed=0)
    folds = [load_data(cfg.with_updates({"data.fold": i}).data, seed=0) for i in range(5)]
    held = [set(d.val_indices.tolist()) for d in folds]
    # Disjoint validation folds covering the pool exactly once.
    assert sum(len(h) for h in held) == 300
    assert set().union(*held) == set(pool.train_indices.tolist())
    for i, d in enumerate(folds):
        assert not held[i] & set(d.train_indices.tolist())  # never trained on what validates it
        assert len(d.train_indices) + len(d.val_indices) == 300
        counts = np.bincount(d.val_y.numpy(), minlength=10)
        assert counts.min() == counts.max() == 6  # 30 per class, 6 per class per fold
        # The locked test split is the same in every fold, and never part of the pool.
        assert len(d.test) == len(pool.test)


def test_cv_validates_on_true_labels_and_keeps_each_examples_noise_across_folds():
    cfg = tiny_config({"data.train_size": 200, "data.folds": 4, "data.label_noise": 0.3})
    a, b = (load_data(cfg.with_updates({"data.fold": i}).data, seed=0) for i in (0, 1))
    assert a.corrupted.any()
    # An example trained on in both folds has the same (possibly noisy) label in both.
    common = np.intersect1d(a.train_indices, b.train_indices)
    ia = {v: i for i, v in enumerate(a.train_indices)}
    ib = {v: i for i, v in enumerate(b.train_indices)}
    assert len(common) > 50  # 4 folds: two training sets share half the pool
    assert a.train_y[[ia[v] for v in common]].tolist() == b.train_y[[ib[v] for v in common]].tolist()
    # Validation labels are the clean ones.
    clean_pool = load_data(cfg.with_updates({"data.folds": 0, "data.label_noise": 0.0}).data, seed=0)
    lookup = dict(zip(clean_pool.train_indices.tolist(), clean_pool.train_y.tolist(), strict=True))
    assert [lookup[v] for v in a.val_indices.tolist()] == a.val_y.tolist()


@pytest.mark.parametrize("updates, key, text", [
    ({"data.folds": 1}, "data.folds", "at least 2"),
    ({"data.folds": 3, "data.fold": 3}, "data.fold", "[0, 2]"),
])
def test_bad_fold_settings_name_the_key(updates, key, text):
    with pytest.raises(ConfigError) as info:
        tiny_config(updates)
    assert info.value.key == key and text in str(info.value)


def test_more_folds_than_the_smallest_class_names_folds_and_the_limit():
    cfg = tiny_config({"data.train_size": 100, "data.folds": 11})
    with pytest.raises(ConfigError) as info:
        load_data(cfg.data, seed=0)
    assert info.value.key == "data.folds" and "from 2 to 10" in str(info.value)
    with pytest.raises(ConfigError, match="folds = 1 .*at least 2"):
        cv_plan(1)


def test_a_cv_experiment_runs_every_fold_and_stop_keeps_the_finished_ones(tmp_path):
    rec, seen = Recorder(), DataSeen()
    result = Experiment(tiny_config({"data.train_size": 120}), cv_plan(3), subscribers=[rec, seen],
                        runs_dir=tmp_path, name="cv", kind="cv", meta={"folds": 3}).run()
    assert result.reason == ev.COMPLETED and len(result.trials) == 3
    started = rec.of(ev.ExperimentStarted)[0]
    assert started.kind == "cv" and started.meta == {"folds": 3}
    vals = [set(d.val_indices.tolist()) for d in seen.data]
    assert len(vals) == 3 and all(len(v) == 40 for v in vals)
    assert not (vals[0] & vals[1]) and not (vals[1] & vals[2])
    record = json.loads((result.path / EXPERIMENT_FILE).read_text())
    assert record["kind"] == "cv" and [t["status"] for t in record["trials"]] == [ev.COMPLETED] * 3


# ---- learning curves -------------------------------------------------------------------------
def test_training_subsets_of_one_seed_are_nested_and_stratified():
    sizes = [100, 300, 1000]
    sets = {n: load_data(tiny_config({"data.train_size": n}).data, seed=3) for n in sizes}
    for small, big in zip(sizes, sizes[1:], strict=False):
        assert set(sets[small].train_indices) <= set(sets[big].train_indices)
    for n, d in sets.items():
        counts = np.bincount(d.train_y_clean.numpy(), minlength=10)
        assert counts.max() - counts.min() <= 1 and counts.sum() == n
    # The validation split does not depend on the training size.
    assert np.array_equal(sets[100].val_indices, sets[1000].val_indices)


def test_curve_plan_checks_the_key_and_values():
    plan = curve_plan("data.train_size", [100, 300], [0, 1])
    assert plan == [{"data.train_size": 100, "run.seed": 0}, {"data.train_size": 100, "run.seed": 1},
                    {"data.train_size": 300, "run.seed": 0}, {"data.train_size": 300, "run.seed": 1}]
    with pytest.raises(ConfigError, match="data.train_size = 0"):
        curve_plan("data.train_size", [0, 100], [0])
    with pytest.raises(ConfigError, match="data.nope"):
        curve_plan("data.nope", [1], [0])


def test_band_and_grouping_of_runs_of_different_lengths():
    epochs, mean, sd, count = band([([1, 2, 3], [0.5, 0.6, 0.7]), ([1, 2], [0.7, 0.8])])
    assert epochs.tolist() == [1, 2, 3] and count.tolist() == [2, 2, 1]
    assert mean.tolist() == pytest.approx([0.6, 0.7, 0.7])
    assert sd[0] == pytest.approx(np.std([0.5, 0.7], ddof=1)) and sd[2] == 0
    o = Outcome(val_accuracy=0.5, best_val_accuracy=0.6, train_accuracy=0.9, gap=0.4, val_loss=1.0, epoch=3)
    rows = by_value([(100, o), (300, o), (100, Outcome(0.7, 0.8, 0.9, 0.2, 1.0, 3))])
    assert [(v, n) for v, _, n in rows] == [(100, 2), (300, 1)]
    assert rows[0][1]["val_accuracy"][0] == pytest.approx(0.6)


# ---- twins -------------------------------------------------------------------------------------
def _curves(trial):
    return [(m.train_loss, m.val_loss, m.train_accuracy, m.val_accuracy) for m in trial.trainer.history]


def test_twins_with_no_change_produce_identical_curves(tmp_path):
    reference = tiny_config({"regularization.augment_translate": True, "run.seed": 7})
    a = run_single(reference, runs_dir=tmp_path)
    twin = twin_config(read_config(a.run_dir), reference.with_updates({"run.seed": 99}))
    assert twin.run.seed == 7  # the twin takes the reference's seed, whatever the panel says
    b = run_single(twin, runs_dir=tmp_path, notes={"twin_of": str(a.run_dir)})
    assert _curves(a) == _curves(b)
    ra, rb = read_run(a.run_dir), read_run(b.run_dir)
    assert [e["val_loss"] for e in ra.epochs] == [e["val_loss"] for e in rb.epochs]
    assert rb.summary["twin_of"] == str(a.run_dir)


def test_a_twin_shares_initial_weights_and_data_order_and_differs_by_its_change():
    reference = tiny_config({"run.seed": 5, "optim.epochs": 1})
    twin = twin_config(reference, reference.with_updates({"regularization.dropout": 0.5}))
    assert differences(reference, twin) == {"regularization.dropout": 0.5}
    from engine.training.trainer import Trainer

    t1, t2 = Trainer(reference), Trainer(twin)
    t1.prepare(), t2.prepare()
    for (k, v1), (_, v2) in zip(t1.model.state_dict().items(), t2.model.state_dict().items(), strict=True):
        assert np.array_equal(v1.numpy(), v2.numpy()), k
    assert [b.tolist() for b in _first_batches(t1)] == [b.tolist() for b in _first_batches(t2)]


def _first_batches(trainer):
    from engine.data.bundle import shuffled_batches

    return shuffled_batches(len(trainer.data.train_y), 64, trainer.shuffle_gen, "cpu")[:3]


def read_config(run_dir):
    from engine.core.config import Config

    return Config.from_dict(json.loads((run_dir / "config.json").read_text()))


# ---- the tour ----------------------------------------------------------------------------------
def test_the_tour_is_overfit_then_each_remedy_as_its_twin():
    base, plan = tour_plan()
    assert base.run.name == "overfit" and plan[0] == {"run.name": "overfit"}
    assert [p["run.name"] for p in plan[1:]] == [*REMEDY_PRESETS, "cleaned"]
    assert plan[-1]["clean"] == {"trial": 0}  # overfit without its suspects, resolved when reached
    for name, changes in zip(REMEDY_PRESETS, plan[1:-1], strict=True):
        # Each remedy preset is overfit plus its remedy: same data, model, optimizer, seed.
        assert not any(k.startswith(("data.", "model.", "optim.")) for k in changes), (name, changes)
        assert base.with_updates(changes).to_dict() == load_preset(name).to_dict()


# ---- resume --------------------------------------------------------------------------------------
def test_resume_keeps_finished_trials_and_runs_the_rest(tmp_path):
    from engine.core.control import RunControl

    control = RunControl()
    first = Experiment(tiny_config(), cv_plan(3), control=control, subscribers=[StopAtRun(control, 2)],
                       runs_dir=tmp_path, name="cv", kind="cv", meta={"folds": 3}).run()
    assert first.reason == ev.USER_STOPPED
    kept_dir = first.trials[0].run_dir
    rec = Recorder()
    again = Experiment.resume(first.path, subscribers=[rec])
    assert again.kind == "cv" and again.meta == {"folds": 3}
    result = again.run()
    assert result.reason == ev.COMPLETED and result.path == first.path
    finished = rec.of(ev.TrialFinished)
    assert [f.kept for f in finished] == [True, False, False]
    assert finished[0].run_dir == str(kept_dir)
    assert len(rec.of(ev.RunStarted)) == 2  # only the unfinished folds trained
    record = json.loads((first.path / EXPERIMENT_FILE).read_text())
    assert record["status"] == ev.COMPLETED
    assert [t["status"] for t in record["trials"]] == [ev.COMPLETED] * 3
    assert record["trials"][0]["run_dir"] == kept_dir.name
    assert record["trials"][1]["abandoned"]  # the stopped fold's folder is kept, not reused
    assert len(list_runs(first.path)) == 4


def test_resume_of_something_else_names_the_folder(tmp_path):
    with pytest.raises(ConfigError, match=str(tmp_path)):
        Experiment.resume(tmp_path)
