"""Per-example dynamics in run folders, the suspects ranking, `main.py suspects` and `clean`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from engine.core.config import ConfigError
from engine.data.bundle import load_data
from engine.experiments.experiment import Experiment, run_single
from engine.runs import scores
from engine.runs.dynamics import read_dynamics
from engine.runs.suspects import read_suspects
from engine.runs.tally import ExampleTally
from tests.helpers import tiny_config

ROOT = Path(__file__).resolve().parents[2]
NOISY = {"data.label_noise": 0.3, "optim.epochs": 5, "model.width": 64}


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    trial = run_single(tiny_config(NOISY), runs_dir=runs)
    return trial.run_dir


def test_every_epoch_writes_each_examples_dynamics_in_the_order_of_the_training_split(noisy_run):
    d = read_dynamics(noisy_run)
    cfg = tiny_config(NOISY)
    data = load_data(cfg.data, cfg.run.seed)
    assert d.epochs == [1, 2, 3, 4, 5]
    assert d.margin.shape == d.probability.shape == d.predicted.shape == (5, 256)
    assert (d.given == data.train_y.numpy()).all() and (d.true == data.train_y_clean.numpy()).all()
    assert (d.corrupted == data.corrupted.numpy()).all() and d.corrupted.sum() == round(0.3 * 256)
    assert (d.positions == np.arange(256)).all()
    # The margin is positive exactly where the given label has the largest logit, i.e. is predicted.
    assert ((d.margin > 0) == (d.predicted == d.given)).mean() > 0.99
    assert ((d.probability > 0) & (d.probability <= 1)).all()
    assert (d.probability[d.margin > 0.1] > 1 / 10).all()  # the top class has at least 1/10
    files = sorted(p.name for p in (Path(noisy_run) / "dynamics").iterdir())
    assert files == ["epoch-0001.safetensors", "epoch-0002.safetensors", "epoch-0003.safetensors",
                     "epoch-0004.safetensors", "epoch-0005.safetensors", "examples.safetensors"]


def test_scores_agree_with_a_reference_auroc_and_with_the_live_tally(noisy_run):
    s = read_suspects(noisy_run)
    d = s.dynamics
    expected = roc_auc_score(d.corrupted, s.ranking.score)
    assert s.ranking.auroc == pytest.approx(expected, abs=1e-9)
    assert s.ranking.auroc > 0.7  # a tiny, 5-epoch run still ranks wrong labels first
    assert s.ranking.upto == s.turn  # AUM over the epochs up to the lowest validation loss
    tally = ExampleTally.of(d, s.val_losses)
    for name in scores.SCORES:
        r = read_suspects(noisy_run, name).ranking
        assert np.allclose(tally.score(name), r.score, atol=1e-6), name
        assert roc_auc_score(d.corrupted, r.score) == pytest.approx(r.auroc, abs=1e-9), name
    # ties count half, as in the reference
    tied = np.array([1.0, 1.0, 0.0, 0.0, 1.0])
    assert scores.auroc(tied, np.array([1, 0, 0, 1, 1], bool)) == pytest.approx(
        roc_auc_score([1, 0, 0, 1, 1], tied))


def test_suspects_json_ranks_most_suspect_first_with_the_detectors_quality(noisy_run):
    out = cli("suspects", noisy_run, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    rows = report["suspects"]
    assert len(rows) == report["train_size"] == 256
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert sorted(r["index"] for r in rows) == list(range(256))
    d = read_dynamics(noisy_run)
    mask = d.corrupted
    by_index = {r["index"]: r for r in rows}
    assert all(by_index[i]["corrupted"] == bool(mask[i]) and by_index[i]["given"] == d.given[i] for i in range(256))
    assert report["k"] == int(mask.sum())
    assert report["auroc"] == pytest.approx(roc_auc_score(mask, [by_index[i]["score"] for i in range(256)]))
    top = [r["corrupted"] for r in rows[:report["k"]]]
    assert report["precision_at_k"] == pytest.approx(sum(top) / len(top))
    assert len(report["by_epoch"]["ranking_auroc"]) == 5
    text = cli("suspects", noisy_run, "--top", 5)
    assert text.returncode == 0 and "AUROC" in text.stdout
    assert len([line for line in text.stdout.splitlines() if line.strip()[:1].isdigit()]) == 5


def test_suspects_refuses_what_it_cannot_rank(noisy_run, tmp_path):
    too_many = cli("suspects", noisy_run, "--top", 257)
    assert too_many.returncode == 2 and "--top = 257" in too_many.stderr and "256" in too_many.stderr
    old = run_single(tiny_config({"run.record_examples": False}), runs_dir=tmp_path).run_dir
    none = cli("suspects", old)
    assert none.returncode == 2 and "recorded no per-example dynamics" in none.stderr
    assert "train it again" in none.stderr and "--set run.record_examples=true" in none.stderr
    # A damaged epoch file is named; the run folder still reads, and is evaluated as before.
    damaged = run_single(tiny_config({"optim.epochs": 2}), runs_dir=tmp_path / "d").run_dir
    (Path(damaged) / "dynamics" / "epoch-0002.safetensors").write_bytes(b"\x00garbage")
    bad = cli("suspects", damaged)
    assert bad.returncode == 2 and "epoch-0002.safetensors" in bad.stderr
    assert cli("evaluate", damaged, "--split", "val", "--json").returncode == 0


def test_clean_trains_the_twin_without_the_top_k_and_prints_its_folder(noisy_run, tmp_path):
    ranked = json.loads(cli("suspects", noisy_run, "--json").stdout)["suspects"]
    out = cli("clean", noisy_run, "--top", 40, "--out", tmp_path)
    assert out.returncode == 0, out.stderr
    twin = Path(out.stdout.strip().splitlines()[-1])
    config = json.loads((twin / "config.json").read_text())
    assert config["data"]["remove"] == sorted(r["index"] for r in ranked[:40])
    assert config["run"]["seed"] == json.loads((Path(noisy_run) / "config.json").read_text())["run"]["seed"]
    summary = json.loads((twin / "summary.json").read_text())
    assert summary["twin_of"] == str(noisy_run) and summary["cleaned"]["top"] == 40
    d = read_dynamics(twin)
    assert d.size == 216 and not set(d.positions) & set(config["data"]["remove"])
    relabelled = cli("clean", noisy_run, "--top", 10, "--relabel", "--out", tmp_path)
    assert relabelled.returncode == 0, relabelled.stderr
    pairs = json.loads((Path(relabelled.stdout.strip().splitlines()[-1]) / "config.json").read_text())["data"]["relabel"]
    assert pairs == sorted([r["index"], r["other"]] for r in ranked[:10] if r["other"] is not None)
    assert read_dynamics(relabelled.stdout.strip().splitlines()[-1]).given[[p for p, _ in pairs]].tolist() == [
        c for _, c in pairs]


def test_clean_refuses_an_unfinished_run_and_too_many(noisy_run, tmp_path):
    from engine.core.control import RunControl
    from tests.helpers import StopAfterSteps

    control = RunControl()
    stopped = run_single(tiny_config({**NOISY, "optim.epochs": 50}), control=control, runs_dir=tmp_path,
                         subscribers=[StopAfterSteps(control, 20)]).run_dir
    out = cli("clean", stopped, "--top", 5)
    assert out.returncode == 2 and "user_stopped" in out.stderr and "main.py suspects" in out.stderr
    too_many = cli("clean", noisy_run, "--top", 256)
    assert too_many.returncode == 2 and "from 1 to 255" in too_many.stderr


def test_removed_and_relabelled_positions_are_checked_against_the_training_split():
    with pytest.raises(ConfigError, match="data.remove"):
        tiny_config({"data.remove": [1, 1]})
    with pytest.raises(ConfigError, match="data.relabel"):
        tiny_config({"data.relabel": [[3]]})
    cfg = tiny_config({"data.remove": [300]})
    with pytest.raises(ConfigError, match=r"0 … 255"):
        load_data(cfg.data, 0)
    cfg = tiny_config({"data.relabel": [[5, 10]]})
    with pytest.raises(ConfigError, match=r"a class in 0 … 9"):
        load_data(cfg.data, 0)


def test_an_experiment_resolves_a_clean_entry_from_the_earlier_trials_folder(tmp_path):
    plan = [{}, {"clean": {"trial": 0, "top": 12}, "run.name": "cleaned"}]
    result = Experiment(tiny_config(NOISY), plan, runs_dir=tmp_path, name="t", kind="tour").run()
    first, twin = result.trials
    expected = sorted(r["index"] for r in read_suspects(first.run_dir).rows(12))
    assert twin.config.data.remove == expected and twin.config.run.name == "cleaned"
    assert json.loads((twin.run_dir / "summary.json").read_text())["twin_of"] == str(first.run_dir)
    record = json.loads((result.path / "experiment.json").read_text())
    assert record["plan"][1] == plan[1]  # resolved when reached, so a resume resolves it again


def test_an_image_folders_suspects_are_its_files(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, level in (("dark", 30), ("light", 220)):
        (tmp_path / "imgs" / name).mkdir(parents=True)
        for i in range(40):
            pixels = np.clip(rng.normal(level, 10, (8, 8)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "imgs" / name / f"{name}{i:02d}.png")
    wrong = []
    for i in range(3):  # light images filed as dark: mislabeled files
        path = tmp_path / "imgs" / "dark" / f"zz_misfiled{i}.png"
        Image.fromarray(np.full((8, 8), 225, np.uint8)).save(path)
        wrong.append(str(path))
    cfg = tiny_config({"data.dataset": "image_folder", "data.path": str(tmp_path / "imgs"), "data.image_size": 8,
                       "data.train_size": 60, "data.val_size": 10, "data.test_size": 13, "optim.epochs": 8})
    folder = run_single(cfg, runs_dir=tmp_path / "runs").run_dir
    report = json.loads(cli("suspects", folder, "--json").stdout)
    files = [r["file"] for r in report["suspects"]]
    assert all(Path(f).is_file() for f in files)
    in_training = [f for f in wrong if f in files]
    assert in_training and set(files[:len(in_training)]) == set(in_training)


def test_a_clean_entry_cleans_the_trial_it_names_with_that_trials_own_settings(tmp_path):
    plan = [{"data.train_size": 200}, {"clean": {"trial": 0, "top": 5}},
            {"clean": {"trial": 1, "top": 5}}]
    result = Experiment(tiny_config(NOISY), plan, runs_dir=tmp_path, name="t").run()
    first, once, twice = result.trials
    assert once.config.data.train_size == twice.config.data.train_size == 200
    assert all(p < 200 for p in once.config.data.remove) and len(once.config.data.remove) == 5
    assert set(once.config.data.remove) < set(twice.config.data.remove)  # a clean of a clean keeps the first's
    assert len(twice.config.data.remove) == 10
    assert read_dynamics(twice.run_dir).size == 190
    assert twice.config.run.name == "run (10 suspects removed)"


def test_a_clean_entry_refuses_a_trial_that_did_not_finish(tmp_path):
    from engine.core.control import RunControl
    from tests.helpers import StopAfterSteps

    control = RunControl()
    plan = [{}, {"clean": {"trial": 0, "top": 5}}]
    result = Experiment(tiny_config({**NOISY, "optim.epochs": 50}), plan, control=control, runs_dir=tmp_path,
                        subscribers=[StopAfterSteps(control, 10)]).run()
    assert len(result.trials) == 1 and result.reason == "user_stopped"  # a stop ends the plan there


def test_positions_are_refused_with_folds_and_every_label_corrupted_has_no_auroc(tmp_path):
    with pytest.raises(ConfigError, match="data.remove.*folds"):
        tiny_config({"data.remove": [1], "data.folds": 3})
    folder = run_single(tiny_config({"data.label_noise": 1.0, "optim.epochs": 2}), runs_dir=tmp_path).run_dir
    out = cli("suspects", folder, "--top", 3)
    assert out.returncode == 0, out.stderr
    assert "AUROC n/a" in out.stdout and "every label was corrupted" in out.stdout
    assert json.loads(cli("suspects", folder, "--json").stdout)["auroc"] is None


def test_the_twin_of_an_experiments_run_goes_beside_the_experiment(tmp_path):
    result = Experiment(tiny_config(NOISY), [{}, {"run.seed": 1}], runs_dir=tmp_path, name="e").run()
    out = cli("clean", result.trials[0].run_dir, "--top", 5)
    assert out.returncode == 0, out.stderr
    twin = Path(out.stdout.strip().splitlines()[-1])
    assert twin.parent == tmp_path  # not inside the experiment's folder, whose members it is not


def test_headless_runs_do_not_convert_their_images(tmp_path):
    from engine.core import events as ev
    from tests.helpers import Recorder

    recorder = Recorder()
    run_single(tiny_config(), runs_dir=tmp_path, subscribers=[recorder])
    (examples,) = recorder.of(ev.TrainingExamples)
    assert examples.images is None and len(examples.given) == 256
    recorder.wants_images = True  # a subscriber that shows them (the window's engine thread) gets them
    run_single(tiny_config(), runs_dir=tmp_path, subscribers=[recorder])
    assert recorder.of(ev.TrainingExamples)[-1].images.shape == (256, 28, 28, 1)


def test_a_gap_in_the_epoch_files_or_values_no_run_writes_are_named(tmp_path):
    import shutil

    folder = run_single(tiny_config({**NOISY, "optim.epochs": 4}), runs_dir=tmp_path / "r").run_dir
    gap = Path(shutil.copytree(folder, tmp_path / "gap"))
    (gap / "dynamics" / "epoch-0002.safetensors").unlink()
    out = cli("suspects", gap)
    assert out.returncode == 2 and "epoch-0002.safetensors: missing" in out.stderr
    last = Path(shutil.copytree(folder, tmp_path / "last"))
    (last / "dynamics" / "epoch-0004.safetensors").unlink()  # the last one: no gap, but fewer than trained
    out = cli("suspects", last)
    assert out.returncode == 2 and "records 3 of the 4 epochs" in out.stderr
    from safetensors.numpy import load_file, save_file

    odd = Path(shutil.copytree(folder, tmp_path / "odd"))
    path = odd / "dynamics" / "epoch-0003.safetensors"
    arrays = load_file(str(path))
    arrays["probability"][:5] = np.float16(900.0)  # bytes that read, but not as a probability
    save_file(arrays, str(path))
    out = cli("suspects", odd)
    assert out.returncode == 2 and "epoch-0003.safetensors" in out.stderr and "probability" in out.stderr


def test_a_run_stopped_after_its_validation_loss_turned_can_be_cleaned(tmp_path):
    from engine.core.control import RunControl
    from tests.helpers import StopAfterSteps

    control = RunControl()
    stopped = run_single(tiny_config({**NOISY, "optim.epochs": 60}), control=control, runs_dir=tmp_path,
                         subscribers=[StopAfterSteps(control, 8 * 20)]).run_dir
    s = read_suspects(stopped)
    assert s.status == "user_stopped" and s.turn < len(s.dynamics.epochs)
    out = cli("clean", stopped, "--top", 5, "--out", tmp_path / "twins")
    assert out.returncode == 0, out.stderr


def test_suspects_piped_into_head_ends_quietly(noisy_run):
    out = subprocess.run(f"{sys.executable} main.py suspects {noisy_run} --top 200 | head -1", shell=True, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() and "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr
