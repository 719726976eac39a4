"""The modular-addition task and its grokking preset, MNIST-1D and the double-descent sweep
([curve] of a preset), and what bad input to them gets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.core.config import ConfigError, curve_section, load_preset
from engine.data.bundle import load_data
from engine.experiments.experiment import run_single

ROOT = Path(__file__).resolve().parents[2]


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_modular_addition_holds_every_pair_once_with_its_sum_as_class():
    cfg = load_preset("grokking").with_updates({"data.modulus": 11, "data.label_noise": 0.0})
    d = load_data(cfg.data, 0)
    x = np.concatenate([d.train_x.numpy(), d.val_x.numpy(), d.test.open("test")[0].numpy()])
    y = np.concatenate([d.train_y.numpy(), d.val_y.numpy(), d.test.open("test")[1].numpy()])
    assert x.shape == (121, 22) and len({tuple(r) for r in x}) == 121  # every pair, once
    a, b = x[:, :11].argmax(1), x[:, 11:].argmax(1)
    assert (x.sum(1) == 2).all() and ((a + b) % 11 == y).all()
    assert len(d.train_y) == round(0.5 * 121) and (d.mean == 0).all() and (d.std == 1).all()


def test_bad_modular_settings_name_the_key():
    with pytest.raises(ConfigError, match="data.modulus"):
        load_preset("grokking").with_updates({"data.modulus": 1})
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ConfigError, match="data.train_fraction"):
            load_preset("grokking").with_updates({"data.train_fraction": bad})
    out = cli("train", "--preset", "grokking", "--set", "data.modulus=1")
    assert out.returncode == 2 and "data.modulus = 1" in out.stderr and "[2, 200]" in out.stderr


def test_grokking_memorizes_the_wrong_labels_then_rejects_them(tmp_path):
    """The preset cut to 160 epochs: the corrupted labels are fitted, then given up while
    validation accuracy climbs to the rule."""
    cfg = load_preset("grokking").with_updates({"optim.epochs": 160, "run.record_examples": False})
    h = run_single(cfg, runs_dir=tmp_path).trainer.history
    fitted = max(m.train_accuracy_corrupted for m in h)
    assert fitted >= 0.9
    first = next(m for m in h if m.train_accuracy_corrupted == fitted)
    assert first.val_accuracy < 0.5  # memorized, not yet generalized
    assert h[-1].val_accuracy >= 0.95 and h[-1].train_accuracy_corrupted <= 0.2


def test_mnist1d_ships_with_its_licence_and_a_fixed_test_split():
    cfg = load_preset("double_descent")
    d = load_data(cfg.data, 0)
    assert d.train_x.shape == (4000, 40) and d.val_x.shape == (6000, 40)
    assert len(d.test.open("test")[1]) == 6000
    assert (ROOT / "resources" / "data" / "mnist1d" / "LICENSE-mnist1d.txt").is_file()
    assert d.corrupted.sum() == 600


def test_a_presets_curve_table_is_its_sweep_and_bad_tables_are_named(tmp_path):
    sweep = curve_section(preset="double_descent")
    assert sweep["over"] == "model.width" and sweep["values"][0] == 8 and sweep["seeds"] == 3
    bad = tmp_path / "bad.toml"
    for table, named in (('[curve]\nover = "model.width"\nvalues = [8]\nstep = 2', "curve.step"),
                         ('[curve]\nover = "model.wide"\nvalues = [8]', "model.wide"),
                         ('[curve]\nover = "model.width"\nvalues = [0, 8]', "model.width"),
                         ('[curve]\nover = "model.width"\nvalues = []', "curve.values")):
        bad.write_text(table + "\n")
        with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
            curve_section(str(bad))
        out = cli("curve", "--config", bad, "--out", tmp_path / "runs")
        assert out.returncode == 2 and named in out.stderr
    out = cli("curve", "--preset", "overfit", "--out", tmp_path / "runs")
    assert out.returncode == 2 and "--over" in out.stderr and "no [curve] sweep" in out.stderr


def test_curve_without_over_runs_the_presets_sweep(tmp_path):
    good = tmp_path / "sweep.toml"
    text = (ROOT / "resources" / "presets" / "double_descent.toml").read_text()
    text = text.replace("epochs = 500", "epochs = 2").replace("values = [8, 16, 32, 47, 64, 128, 256]",
                                                              "values = [4, 8]").replace("seeds = 3", "seeds = 1")
    good.write_text(text)
    out = cli("curve", "--config", good, "--out", tmp_path / "runs")
    assert out.returncode == 0, out.stderr
    assert "2 runs" in out.stdout and "model.width" in out.stdout


def test_an_mse_runs_reports_use_its_loss_and_call_vectors_no_images(tmp_path):
    import json

    cfg = load_preset("grokking").with_updates({"data.modulus": 11, "optim.epochs": 3})
    folder = run_single(cfg, runs_dir=tmp_path).run_dir
    out = cli("evaluate", folder, "--split", "val", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["loss"] < 0.5  # squared error per class, not cross-entropy (~2.4 at chance for 11 classes)
    assert report["image_data"] is False
    # Its outputs are no probabilities: no calibration error, and the report says why.
    assert report["ece"] is None and report["reliability"] == [] and "optim.loss = mse" in report["calibration_note"]


def test_modular_limits_are_named():
    with pytest.raises(ConfigError, match=r"data.modulus = 201"):
        load_preset("grokking").with_updates({"data.modulus": 201})
    cfg = load_preset("grokking").with_updates({"data.modulus": 2, "data.train_fraction": 0.75})
    with pytest.raises(ConfigError, match="data.train_fraction.*to test on"):
        load_data(cfg.data, 0)


def test_curve_names_an_unknown_preset_before_asking_for_a_sweep(tmp_path):
    out = cli("curve", "--preset", "nosuch", "--out", tmp_path)
    assert out.returncode == 2 and "nosuch" in out.stderr and "no [curve] sweep" not in out.stderr
