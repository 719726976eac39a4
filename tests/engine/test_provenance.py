"""Runs follow files and source indices, not positions: a cleaned twin's positions are refused
on another split (naming the setting or the file), an image folder changed after a run is
named before its images are shown or a twin is built, the twin is the run minus the removed
examples (same batches, same normalization), and a failed dynamics write stops recording
while training goes on."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from engine.experiments.experiment import Experiment, run_single
from tests.helpers import tiny_config

ROOT = Path(__file__).resolve().parents[2]
NOISY = {"data.label_noise": 0.3, "optim.epochs": 4, "model.width": 32}


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def image_folder(root: Path) -> list[Path]:
    """Dark and light PNGs, and three light images misfiled as dark (returned)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, level in (("dark", 30), ("light", 220)):
        (root / name).mkdir(parents=True)
        for i in range(40):
            pixels = np.clip(rng.normal(level, 10, (8, 8)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{name}{i:02d}.png")
    wrong = [root / "dark" / f"zz_misfiled{i}.png" for i in range(3)]
    for path in wrong:
        Image.fromarray(np.full((8, 8), 225, np.uint8)).save(path)
    return wrong


def image_settings(folder: Path, out: Path) -> Path:
    cfg = tiny_config({"data.dataset": "image_folder", "data.path": str(folder), "data.image_size": 8,
                       "data.train_size": 60, "data.val_size": 10, "data.test_size": 13, "optim.epochs": 8})
    return cfg.save(out)


@pytest.fixture(scope="module")
def run_and_twin(tmp_path_factory):
    """A noisy Fashion-MNIST run trained from the command line, and its twin cleaned by `clean`."""
    root = tmp_path_factory.mktemp("provenance")
    base = tiny_config(NOISY).save(root / "noisy.toml")
    out = cli("train", "--config", base, "--out", root / "runs")
    assert out.returncode == 0, out.stderr
    run = Path(out.stdout.strip().splitlines()[-1])
    out = cli("clean", run, "--top", 20, "--out", root / "twins")
    assert out.returncode == 0, out.stderr
    return run, Path(out.stdout.strip().splitlines()[-1])


def test_a_twins_settings_refuse_another_split_naming_the_setting(run_and_twin, tmp_path):
    run, twin = run_and_twin
    config = json.loads((twin / "config.json").read_text())
    record = config["data"]["split_of"]
    assert len(record["fingerprint"]) == 64 and record["settings"]["run.seed"] == 0
    assert record["settings"]["data.train_size"] == 256 and len(config["data"]["remove"]) == 20
    examples = load_file(str(run / "dynamics" / "examples.safetensors"))
    assert examples["source"].dtype == np.int64 and len(examples["source"]) == 256

    # Another seed: data.remove would take out 20 other examples; refused, naming the seed.
    out = cli("train", "--config", twin / "config.json", "--set", "run.seed=1", "--out", tmp_path)
    assert out.returncode == 2
    assert "run.seed = 1 is not allowed: 0 with data.remove" in out.stderr
    out = cli("curve", "--config", twin / "config.json", "--over", "data.train_size=300", "--seeds", 2,
              "--out", tmp_path)
    assert out.returncode == 2 and "data.train_size = 300 is not allowed: 256 with data.remove" in out.stderr
    out = cli("train", "--config", twin / "config.json", "--set", "data.label_noise=0.2", "--out", tmp_path)
    assert out.returncode == 2 and "data.label_noise = 0.2" in out.stderr
    assert not list(tmp_path.glob("*/config.json"))  # nothing trained


def test_a_twin_is_the_run_minus_the_removed_examples(monkeypatch, tmp_path):
    import engine.training.trainer as trainer_module

    seen: list[list[list[int]]] = []  # per epoch of each run: its batches as positions of the split
    real = trainer_module.shuffled_batches

    def watched(n, batch_size, generator, device, positions=None):
        batches = real(n, batch_size, generator, device, positions)
        rows = np.arange(n) if positions is None else np.asarray(positions)
        seen.append([rows[b.numpy()].tolist() for b in batches])
        return batches

    monkeypatch.setattr(trainer_module, "shuffled_batches", watched)
    plan = [{}, {"clean": {"trial": 0, "top": 40}}]
    first, twin = Experiment(tiny_config(NOISY), plan, runs_dir=tmp_path).run().trials
    removed = set(twin.config.data.remove)
    assert len(removed) == 40 and len(seen) == 8
    for epoch in range(4):
        original, cleaned = seen[epoch], seen[4 + epoch]
        assert cleaned == [kept for b in original if (kept := [p for p in b if p not in removed])]
    assert set().union(*map(set, seen[4])) == set(range(256)) - removed
    # The inputs are normalized with the statistics of the whole split, as the run's were.
    a, b = (load_file(str(t.run_dir / "last.safetensors")) for t in (first, twin))
    means = [k for k in a if k.endswith("mean")]
    assert means and all(np.array_equal(a[k], b[k]) and np.array_equal(a[k[:-4] + "std"], b[k[:-4] + "std"])
                         for k in means)
    # The twin's record: the positions kept, their source indices, the run's split fingerprint.
    run_record = load_file(str(first.run_dir / "dynamics" / "examples.safetensors"))
    twin_record = load_file(str(twin.run_dir / "dynamics" / "examples.safetensors"))
    kept = np.array(sorted(set(range(256)) - removed))
    assert np.array_equal(twin_record["position"], kept)
    assert np.array_equal(twin_record["source"], run_record["source"][kept])


def test_settings_of_an_earlier_version_without_split_of_still_train_with_a_warning(run_and_twin, tmp_path):
    _, twin = run_and_twin
    config = json.loads((twin / "config.json").read_text())
    del config["data"]["split_of"]
    (tmp_path / "old.json").write_text(json.dumps(config))
    out = cli("train", "--config", tmp_path / "old.json", "--set", "optim.epochs=1", "--out", tmp_path / "runs")
    assert out.returncode == 0, out.stderr
    summary = json.loads((Path(out.stdout.strip().splitlines()[-1]) / "summary.json").read_text())
    assert any("without data.split_of" in w for w in summary["warnings"])


def test_an_image_folder_changed_after_the_run_is_named_before_a_twin_or_its_images(tmp_path):
    from engine.runs.stored import SplitChanged, run_data

    folder = tmp_path / "imgs"
    image_folder(folder)
    out = cli("train", "--config", image_settings(folder, tmp_path / "imgs.toml"), "--out", tmp_path / "runs")
    assert out.returncode == 0, out.stderr
    run = Path(out.stdout.strip().splitlines()[-1])
    listed = json.loads(cli("suspects", run, "--json").stdout)["suspects"]
    assert run_data(run).train_files == [r["file"] for r in sorted(listed, key=lambda r: r["index"])]
    top = [r["file"] for r in listed[:3]]

    # The user files the most suspect image where it belongs.
    moved = Path(top[0])
    shutil.move(moved, folder / ("light" if moved.parent.name == "dark" else "dark") / moved.name)
    gone = f"{moved.parent.name}/{moved.name} is gone"
    with pytest.raises(SplitChanged, match=f"changed since it trained: {gone}"):
        run_data(run)
    out = cli("evaluate", run, "--split", "val")  # its weights are not evaluated on other images either
    assert out.returncode == 2 and f"data.path = {folder})" in out.stderr and gone in out.stderr
    out = cli("clean", run, "--top", 3, "--out", tmp_path / "twins")
    assert out.returncode == 2
    assert "data.path" in out.stderr and gone in out.stderr, out.stderr
    assert not (tmp_path / "twins").exists()
    # The suspects are still listed from the run's record: the files it trained on.
    again = json.loads(cli("suspects", run, "--json").stdout)["suspects"]
    assert [r["file"] for r in again[:3]] == top


def test_a_failed_dynamics_write_stops_recording_and_the_run_trains_on(monkeypatch, tmp_path):
    real = os.replace

    def disk_full_at_epoch_2(src, dst):  # (epoch files are renamed into place, synced only at the end)
        if str(src).endswith("epoch-0002.safetensors.tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", disk_full_at_epoch_2)
    trial = run_single(tiny_config({"optim.epochs": 3}), runs_dir=tmp_path)
    assert trial.result.reason == "completed" and trial.result.epochs_completed == 3
    files = sorted(p.name for p in (trial.run_dir / "dynamics").iterdir())
    assert files == ["epoch-0001.safetensors", "examples.safetensors"]  # no temporary file, no epoch 3
    summary = json.loads((trial.run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert any("per-example dynamics stopped: writing epoch 2" in w and "No space left" in w
               for w in summary["warnings"])
