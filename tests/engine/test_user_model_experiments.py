"""A user's own network (model.file) through every experiment the command line runs:
cross-validation, a learning curve, the remedy tour, a cleaned twin, evaluation; and a
python-data run whose data file changed since is refused, naming it, before it runs."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NET = "docs/examples/my_mlp.py:build"
TINY = ["--set", "data.dataset=moons", "--set", "data.train_size=64", "--set", "data.val_size=64",
        "--set", "data.test_size=64", "--set", "optim.epochs=2", "--set", "optim.batch_size=32",
        "--set", f"model.file={NET}", "--set", "model.kwargs={hidden=8}"]


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def sources(folder: Path) -> list[dict]:
    """model_source of every run folder under `folder`."""
    return [json.loads(p.read_text()).get("model_source", {}) for p in sorted(folder.rglob("summary.json"))]


def ran_the_file(folder: Path, runs: int) -> None:
    found = sources(folder)
    assert len(found) == runs, found
    assert all(s.get("file") == str(ROOT / "docs/examples/my_mlp.py") and s["kwargs"] == {"hidden": 8}
               and "Linear(in_features=2, out_features=8" in s["repr"] for s in found), found


def test_cross_validation_of_a_user_network(tmp_path):
    proc = cli("cv", "--preset", "overfit", *TINY, "--folds", "2", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    ran_the_file(tmp_path, 2)


def test_a_learning_curve_of_a_user_network(tmp_path):
    proc = cli("curve", "--preset", "overfit", *TINY, "--over", "data.train_size=32,64", "--seeds", "1", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    ran_the_file(tmp_path, 2)


def test_the_remedy_tour_with_a_user_network(tmp_path):
    proc = cli("tour", *TINY, "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    found = sources(tmp_path)
    assert len(found) >= 3 and all(s.get("name") == "build" and s["kwargs"] == {"hidden": 8} for s in found), found


def test_evaluating_and_cleaning_a_user_network_run(tmp_path):
    proc = cli("train", "--preset", "overfit", *TINY, "--set", "data.label_noise=0.3", "--set", "optim.epochs=4",
               "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    run_dir = next((tmp_path / "runs").rglob("summary.json")).parent
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()  # the relative model.file is rebuilt by the path that ran
    proc = cli("evaluate", str(run_dir), "--split", "val", cwd=elsewhere)
    assert proc.returncode == 0 and "accuracy" in proc.stdout, proc.stderr
    proc = cli("clean", str(run_dir), "--top", "3", "--out", str(tmp_path / "twin"))
    assert proc.returncode == 0, proc.stderr
    ran_the_file(tmp_path / "twin", 1)  # the twin trains the same file


DATA_FILE = '''
import torch
from pathlib import Path

Path({marker!r}).write_text("the file ran")


def blobs():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(160) % 2
    x = torch.randn(160, 3, generator=g) + 3 * torch.nn.functional.one_hot(y, 3).float()
    return list(zip(x, y))
'''


def test_evaluating_a_python_data_run_whose_file_changed_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "ran.txt"
    data = tmp_path / "my_data.py"
    data.write_text(DATA_FILE.format(marker=str(marker)))
    proc = cli("train", "--preset", "overfit", "--set", "data.dataset=python", "--set", f"data.file='{data}:blobs'",
               "--set", "data.train_size=64", "--set", "data.val_size=32", "--set", "data.test_size=32",
               "--set", "optim.epochs=1", "--set", "model.width=8", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    run_dir = next((tmp_path / "runs").rglob("summary.json")).parent
    record = json.loads((run_dir / "summary.json").read_text())["data_source"]
    assert record["file"] == str(data) and len(record["sha256"]) == 64
    proc = cli("evaluate", str(run_dir), "--split", "val")
    assert proc.returncode == 0, proc.stderr  # unchanged: it runs
    marker.unlink()
    data.write_text(data.read_text() + "\n# edited\n")
    proc = cli("evaluate", str(run_dir), "--split", "val")
    assert proc.returncode == 2
    assert f"the run's data file {data} changed since the run" in proc.stderr and "data.file" in proc.stderr
    assert not marker.exists()  # refused before the file ran
