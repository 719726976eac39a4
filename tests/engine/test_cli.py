import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.runs.reader import list_runs, read_run

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "main.py", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


TINY = ["--set", "data.train_size=200", "--set", "data.val_size=200", "--set", "model.width=16",
        "--set", "optim.epochs=2"]


def test_train_writes_a_run_folder_and_prints_its_path(tmp_path):
    proc = cli("train", "--preset", "overfit", *TINY, "--out", str(tmp_path), "--evaluate-test")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    run_dir = Path(lines[-1])
    assert run_dir.parent == tmp_path and run_dir.is_dir()
    assert sum(line.startswith("epoch ") for line in lines) == 2
    assert "precision" in proc.stdout
    run = read_run(run_dir)
    assert run.status == "completed" and "test" in run.summary


def test_bad_config_exits_2_naming_the_key(tmp_path):
    proc = cli("train", "--preset", "overfit", "--set", "regularization.dropout=1.5", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "regularization.dropout = 1.5" in proc.stderr
    assert list_runs(tmp_path) == []
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"optim": {"batch_size": 0}}))
    proc = cli("train", "--config", str(bad), "--out", str(tmp_path))
    assert proc.returncode == 2 and "optim.batch_size = 0" in proc.stderr


def test_divergence_exits_3(tmp_path):
    proc = cli("train", "--preset", "overfit", *TINY, "--set", "optim.lr=100.0", "--set",
               'optim.optimizer="sgd"', "--out", str(tmp_path))
    assert proc.returncode == 3, proc.stderr
    assert "diverged" in proc.stderr


def test_missing_user_folder_is_bad_input_exit_2_naming_the_path(tmp_path):
    proc = cli("train", "--preset", "overfit", "--set", "data.dataset=image_folder", "--set",
               f'data.path="{tmp_path / "nope"}"', "--out", str(tmp_path))
    assert proc.returncode == 2
    assert f"{tmp_path / 'nope'}: folder not found" in proc.stderr
    assert list_runs(tmp_path) == []  # nothing half-made


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_cleanly_and_leaves_a_loadable_run(tmp_path):
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "main.py", "train", "--preset", "overfit", *TINY[:-2],
                             "--set", "optim.epochs=500", "--out", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        runs = list_runs(tmp_path)
        if runs and read_run(runs[0]).epochs:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    run = read_run(list_runs(tmp_path)[0])
    assert run.status == "user_stopped" and (run.path / "last.safetensors").is_file()


def test_an_empty_class_folder_is_bad_input_exit_2(tmp_path):
    from PIL import Image

    (tmp_path / "photos" / "cat").mkdir(parents=True)
    (tmp_path / "photos" / "dog").mkdir(parents=True)
    Image.new("L", (8, 8)).save(tmp_path / "photos" / "cat" / "0.png")
    proc = cli("train", "--preset", "overfit", "--set", "data.dataset=image_folder", "--set",
               f'data.path="{tmp_path / "photos"}"', "--out", str(tmp_path / "runs"))
    assert proc.returncode == 2
    assert "class folders with no images" in proc.stderr and "dog" in proc.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    proc = cli("train", "--preset", "overfit", *TINY, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip().splitlines()[-1])


def test_evaluate_prints_the_report_and_the_test_split_only_once(trained, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    proc = cli("evaluate", str(run), "--split", "val")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("validation, best weights, 200 examples: accuracy")
    first = cli("evaluate", str(run), "--json")
    report = json.loads(first.stdout)
    assert report["split"] == "test" and sum(report["support"]) == 10_000 and not report["recorded_before"]
    again = cli("evaluate", str(run), "--split", "test")
    assert again.returncode == 0 and "evaluated for this run already" in again.stdout
    assert f"accuracy {report['accuracy']:.2%}" in again.stdout
    assert read_run(run).summary["test"]["accuracy"] == report["accuracy"]


def test_evaluate_names_what_is_wrong_and_changes_nothing(trained, tmp_path):
    import shutil

    proc = cli("evaluate", str(tmp_path))
    assert proc.returncode == 2 and "not a run folder (no config.json)" in proc.stderr
    newer = tmp_path / "newer"
    shutil.copytree(trained, newer)
    config = json.loads((newer / "config.json").read_text())
    config["schema_version"] = 99
    (newer / "config.json").write_text(json.dumps(config))
    proc = cli("evaluate", str(newer))
    assert proc.returncode == 2 and "written by a newer Overfit Lab" in proc.stderr
    wrong = tmp_path / "wrong"
    shutil.copytree(trained, wrong)
    config = json.loads((wrong / "config.json").read_text())
    config["model"]["width"] = 32
    (wrong / "config.json").write_text(json.dumps(config))
    before = sorted((p.name, p.stat().st_size) for p in wrong.iterdir())
    proc = cli("evaluate", str(wrong))
    assert proc.returncode == 2 and "shape mismatches: net.body.fc1.weight" in proc.stderr
    assert sorted((p.name, p.stat().st_size) for p in wrong.iterdir()) == before
    crashed = tmp_path / "crashed"  # cut off after its last weights were written, before best
    shutil.copytree(trained, crashed)
    (crashed / "best.safetensors").unlink()
    summary = json.loads((crashed / "summary.json").read_text())
    summary["status"] = "running"
    (crashed / "summary.json").write_text(json.dumps(summary))
    proc = cli("evaluate", str(crashed), "--split", "val")
    assert proc.returncode == 0 and proc.stdout.startswith("validation, last weights")


def test_export_writes_csv_and_tensorboard_events_that_read_back(trained, tmp_path):
    import csv

    proc = cli("export", str(trained), "--csv", str(tmp_path / "m.csv"), "--tensorboard", str(tmp_path / "tb"))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader((tmp_path / "m.csv").open()))
    run = read_run(trained)
    assert [int(r["epoch"]) for r in rows] == [e["epoch"] for e in run.epochs] == [1, 2]
    assert float(rows[-1]["val_loss"]) == pytest.approx(run.epochs[-1]["val_loss"])
    assert float(rows[0]["weight_norm/fc1"]) == pytest.approx(run.epochs[0]["weight_norms"]["fc1"])
    assert 0 < float(rows[-1]["val_ece"]) < 1
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    tags = events.Tags()["scalars"]
    assert {"loss/val_loss", "accuracy/val_accuracy", "weight_norm/fc1", "step/train_loss"} <= set(tags)
    val = events.Scalars("loss/val_loss")
    assert [v.step for v in val] == [1, 2]
    assert val[-1].value == pytest.approx(run.epochs[-1]["val_loss"], rel=1e-6)
    assert "config" in " ".join(events.Tags()["tensors"])  # the settings, as text


def test_export_names_a_bad_destination_and_leaves_nothing_half_written(trained, tmp_path):
    not_a_folder = tmp_path / "report.txt"  # a file where a folder should be: fails for root too
    not_a_folder.write_text("a file")
    proc = cli("export", str(trained), "--csv", str(not_a_folder / "m.csv"))
    assert proc.returncode == 2 and f"{not_a_folder / 'm.csv'}: cannot write it" in proc.stderr
    assert not_a_folder.read_text() == "a file"
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("mine")
    proc = cli("export", str(trained), "--tensorboard", str(tmp_path / "used"))
    assert proc.returncode == 2 and f"{tmp_path / 'used'}: not empty" in proc.stderr
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["x"]
    proc = cli("export", str(tmp_path / "used"), "--csv", str(tmp_path / "m.csv"))
    assert proc.returncode == 2 and "not a run folder" in proc.stderr and not (tmp_path / "m.csv").exists()
    assert cli("export", str(trained)).returncode == 2  # nothing asked for


def test_without_tensorboard_the_export_names_the_extra_and_csv_still_works(trained, tmp_path):
    code = ("import sys; sys.modules['torch.utils.tensorboard'] = None; sys.argv = ['main.py', 'export', "
            f"{str(trained)!r}, '--csv', {str(tmp_path / 'm.csv')!r}, '--tensorboard', {str(tmp_path / 'tb')!r}]; "
            "import runpy; runpy.run_path('main.py', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "pip install 'overfit-lab[tensorboard]'" in proc.stderr
    assert (tmp_path / "m.csv").is_file() and not (tmp_path / "tb").exists()


def test_evaluating_a_folder_with_a_damaged_summary_names_the_file(trained, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    (run / "summary.json").write_text("[1, 2, 3]\n")  # JSON of another shape
    proc = cli("evaluate", str(run))
    assert proc.returncode == 2
    assert proc.stderr == f"error: {run / 'summary.json'}: the file is a list, not an object\n"
    assert (run / "summary.json").read_text() == "[1, 2, 3]\n"  # nothing changed
    proc = cli("export", str(run), "--csv", str(tmp_path / "metrics.csv"))
    assert proc.returncode == 2 and f"{run / 'summary.json'}: the file is a list" in proc.stderr


def test_help_lists_every_subcommand_from_one_place():
    from engine.cli.main import build_parser
    from engine.core.arguments import COMMANDS

    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert list(sub.choices) == list(COMMANDS)  # the engine's parser has exactly these
    shown = cli("--help")  # the window's --help, as a user types it
    assert shown.returncode == 0
    listed = shown.stdout.split("headless subcommands")[1]
    width = max(map(len, COMMANDS))  # the longest name sets the column
    for name, what in COMMANDS.items():
        assert f"  {name:<{width}}  {what}" in listed


@pytest.mark.parametrize("command", [["train"], ["cv"], ["curve", "--over", "model.width=8"],
                                     ["compare-transfer"], ["search"], []])
def test_every_command_line_takes_the_same_settings_and_refuses_the_same_way(command, tmp_path):
    """--config / --preset / --set (and --out) mean the same everywhere, the window's too."""
    out = ["--runs-dir" if not command else "--out", str(tmp_path / "runs")]
    proc = cli(*command, "--preset", "nosuch", *out, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: preset = 'nosuch' is not allowed")
    proc = cli(*command, "--preset", "overfit", "--set", "optim.lr=-1", *out)
    assert proc.returncode == 2 and proc.stderr.startswith("error: optim.lr = -1.0 is not allowed")
    proc = cli(*command, "--config", "a.toml", "--preset", "overfit")
    assert proc.returncode == 2 and "not allowed with argument --config" in proc.stderr
    assert not (tmp_path / "runs").exists()  # nothing was started


def test_a_curve_over_a_value_the_setting_refuses_is_refused_before_anything_runs(tmp_path):
    """One fold is no cross-validation: the reason, once, not `[]`; no experiment folder made."""
    proc = cli("curve", "--preset", "toy_spirals", "--over", "data.folds=1", "--seeds", "1", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: data.folds = 1 is not allowed: 0 (a fixed "
                                                "validation split) or at least 2 folds"]
    assert proc.stdout == "" and not any(tmp_path.iterdir())


def test_train_without_out_writes_to_the_default_runs_folder(tmp_path):
    """The folder the window's Runs dock lists by default (the user data dir)."""
    import os

    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.run([sys.executable, "main.py", "train", "--preset", "toy_spirals", "--set", "optim.epochs=1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(proc.stdout.strip().splitlines()[-1])
    assert run_dir.parent == tmp_path / "data" / "overfit-lab" / "runs"
    assert read_run(run_dir).status == "completed"
