"""`main.py cv | curve | tour | resume`, as a user types them."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.core import events as ev
from engine.runs.reader import list_runs, read_run
from tests.engine.test_cli import ROOT, cli

TINY = ["--set", "data.train_size=200", "--set", "data.val_size=200", "--set", "model.width=16",
        "--set", "optim.epochs=2"]


def test_cv_prints_each_fold_and_the_mean_and_writes_an_experiment(tmp_path):
    proc = cli("cv", "--preset", "overfit", "--folds", "3", *TINY, "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.count("data.folds=3, data.fold=") == 3 and "mean ± sd over 3 folds" in out
    folder = Path(out.strip().splitlines()[-1])
    record = json.loads((folder / "experiment.json").read_text())
    assert record["kind"] == "cv" and record["status"] == ev.COMPLETED
    assert sorted(read_run(p).config["data"]["fold"] for p in list_runs(folder)) == [0, 1, 2]


@pytest.mark.parametrize("args, text", [
    (["--folds", "1"], "folds = 1 is not allowed: at least 2"),
    (["--folds", "30", "--set", "data.train_size=200"], "data.folds = 30 is not allowed: from 2 to 20"),
])
def test_cv_bad_folds_exit_2_naming_folds_and_the_limit(tmp_path, args, text):
    proc = cli("cv", "--preset", "overfit", *args, "--out", str(tmp_path))
    assert proc.returncode == 2 and text in proc.stderr


def test_curve_prints_a_row_per_value(tmp_path):
    proc = cli("curve", "--preset", "overfit", *TINY, "--over", "data.train_size=50,100", "--seeds", "2",
               "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines() if line.strip().startswith(("50 ", "100 "))]
    assert [r[0] for r in rows] == ["50", "100"] and all(r[1] == "2" for r in rows)
    bad = cli("curve", "--over", "data.train_size", "--out", str(tmp_path))
    assert bad.returncode == 2 and "over" in bad.stderr


def test_tour_runs_overfit_and_each_remedy_and_prints_their_effects(tmp_path):
    proc = cli("tour", *TINY[:6], "--set", "optim.epochs=1", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout.split("val acc Δ")[-1]
    for name in ("overfit", "dropout", "weight_decay", "augmentation", "early_stopping", "all_remedies", "cleaned"):
        assert f"\n{name} " in table
    assert "Δ: against overfit" in table
    folder = Path(proc.stdout.strip().splitlines()[-1])
    runs = {read_run(p).config["run"]["name"]: read_run(p).config for p in list_runs(folder)}
    assert {c["run"]["seed"] for c in runs.values()} == {0} and len(runs) == 7  # twins: one seed for all
    # one epoch: overfit has not learned, so its estimate (most of the 200) is cut to half the split, said in
    # the cleaned run's notes (an estimate, never the number corrupted on purpose)
    cleaned = next(p for p in list_runs(folder) if read_run(p).config["run"]["name"] == "cleaned")
    assert len(runs["cleaned"]["data"]["remove"]) == 100
    assert "(half the split)" in read_run(cleaned).summary["cleaned"]["warning"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_an_experiment_killed_mid_run_resumes_keeping_finished_runs(tmp_path):
    proc = subprocess.Popen([sys.executable, "main.py", "cv", "--folds", "3", *TINY[:-2],
                             "--set", "optim.epochs=60", "--out", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 180
    record = {}
    while time.time() < deadline:  # wait until the first fold has finished and the second trains
        folders = [p for p in tmp_path.iterdir() if (p / "experiment.json").is_file()]
        if folders:
            try:
                record = json.loads((folders[0] / "experiment.json").read_text())
            except json.JSONDecodeError:
                record = {}
            if len(record.get("trials", [])) == 2 and (tmp_path / folders[0] / record["trials"][1]["run_dir"]
                                                       / "metrics.jsonl").is_file():
                break
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    folder = folders[0]
    first = record["trials"][0]["run_dir"]
    assert record["trials"][0]["status"] == ev.COMPLETED
    resumed = cli("resume", str(folder))
    assert resumed.returncode == 0, resumed.stderr
    assert "(kept from before)" in resumed.stdout and resumed.stdout.count("kept from before") == 1
    after = json.loads((folder / "experiment.json").read_text())
    assert after["status"] == ev.COMPLETED and after["trials"][0]["run_dir"] == first
    assert [t["status"] for t in after["trials"]] == [ev.COMPLETED] * 3
    killed = after["trials"][1]["abandoned"]
    assert killed and read_run(folder / killed[0]).status == "incomplete"  # kept on disk, marked
    assert "mean ± sd over 3 folds" in resumed.stdout
