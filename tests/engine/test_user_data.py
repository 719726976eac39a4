"""Your own data as an arrays file (data.dataset = arrays): .npz or .safetensors, trained
through the command line with the app's splits, and every bad file refused by name."""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine.runs.reader import list_runs, read_run
from engine.runs.stored import run_data

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
SIZES = ["--set", "data.train_size=120", "--set", "data.val_size=40", "--set", "data.test_size=40"]


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def train(path: Path, out: Path, *extra: str):
    return cli("train", "--preset", "overfit", "--set", "data.dataset=arrays", "--set", f"data.path='{path}'",
               "--set", "optim.epochs=2", "--set", "model.width=16", "--set", "optim.batch_size=32", *SIZES,
               *extra, "--out", str(out))


def only_run(folder: Path) -> Path:
    runs = list_runs(folder)
    assert len(runs) == 1, runs
    return runs[0]


def vectors(n=240, d=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0)
    return x, y


def test_a_vectors_npz_trains_with_a_locked_test_split_noise_and_dynamics(tmp_path):
    x, y = vectors()
    path = tmp_path / "table.npz"
    np.savez(path, x=x, y=y, classes=np.array(["low", "left", "right", "high"]))
    proc = train(path, tmp_path / "runs", "--set", "data.label_noise=0.25", "--evaluate-test")
    assert proc.returncode == 0, proc.stderr
    assert "arrays: 120 training / 40 validation examples" in proc.stdout
    assert "test (the locked split), last weights, 40 examples" in proc.stdout  # drawn from x: none given
    assert "corrupted" in proc.stdout  # label noise applies
    run_dir = only_run(tmp_path / "runs")
    started = json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[0])
    assert started["class_names"] == ["low", "left", "right", "high"]
    suspects = cli("suspects", str(run_dir), "--top", "3")
    assert suspects.returncode == 0, suspects.stderr  # per-example dynamics were recorded


def test_safetensors_images_with_their_own_test_split_train_a_user_cnn(tmp_path):
    from safetensors.numpy import save_file

    rng = np.random.default_rng(1)
    y = np.arange(300) % 3
    x = (rng.integers(0, 60, size=(300, 12, 12)) + 60 * y[:, None, None]).astype(np.uint8)  # N×H×W, uint8
    path = tmp_path / "images.safetensors"
    save_file({"x": x[:250], "y": y[:250], "x_test": x[250:], "y_test": y[250:]}, str(path),
              metadata={"classes": json.dumps(["dark", "grey", "light"])})
    proc = train(path, tmp_path / "runs", "--set", f"model.file='{EXAMPLES / 'with_dropout.py'}:DropoutCNN'",
                 "--evaluate-test")
    assert proc.returncode == 0, proc.stderr
    assert "test (the locked split), last weights, 50 examples" in proc.stdout  # the file's x_test, whole
    summary = read_run(only_run(tmp_path / "runs")).summary
    assert summary["model_source"]["name"] == "DropoutCNN"


def test_cross_validation_folds_cut_an_arrays_file(tmp_path):
    x, y = vectors()
    path = tmp_path / "table.npz"
    np.savez(path, x=x, y=y)
    proc = train(path, tmp_path / "runs", "--set", "data.folds=3", "--set", "data.fold=1")
    assert proc.returncode == 0, proc.stderr
    assert "arrays: 80 training / 40 validation examples" in proc.stdout  # two folds of 120 train, one validates


def _npz(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return path


def _huge(tmp_path):
    """An .npz whose x declares 1,000,000 × 100,000 float32 values (400 GB): its header alone."""
    path = tmp_path / "bad.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (1_000_000, 100_000)})
    y = io.BytesIO()
    np.save(y, np.zeros(1_000_000, dtype=np.int64))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", header.getvalue())  # (the header starts with its magic string)
        zf.writestr("y.npy", y.getvalue())
    return path


X, Y = vectors()
NAN = X.copy()
NAN[7, 2] = np.nan
STRAY = Y.copy()
STRAY[5] = int(Y.max()) + 6  # one mistyped label, no class names: classes between it and the rest are empty
BAD = {
    "lengths": (lambda t: _npz(t, x=X, y=Y[:-3]), "arrays x and y differ in length: 240 examples but 237 labels"),
    "label_range": (lambda t: _npz(t, x=X, y=Y, classes=np.array(["a", "b", "c"])),
                    "array y holds label 3, outside 0 … 2"),
    "negative": (lambda t: _npz(t, x=X, y=Y - 1), "array y holds label -1, outside 0 …"),
    "stray_label": (lambda t: _npz(t, x=X, y=STRAY),
                    f"no example has label {int(Y.max()) + 1} … {int(Y.max()) + 5}, yet 1 example has label "
                    f"{int(Y.max()) + 6}"),
    "nan": (lambda t: _npz(t, x=NAN, y=Y), "array x holds NaN or infinite values in 1 example (the first: example 7)"),
    "unknown": (lambda t: _npz(t, x=X, y=Y, labels=Y), "unknown array 'labels'"),
    "missing_y": (lambda t: _npz(t, x=X), "no array y"),
    "test_half": (lambda t: _npz(t, x=X, y=Y, x_test=X[:10]), "array x_test without y_test"),
    "int_inputs": (lambda t: _npz(t, x=X.astype(np.int32), y=Y), "array x is int32; inputs must be uint8"),
    "float_labels": (lambda t: _npz(t, x=X, y=Y.astype(np.float32)), "array y is float32; labels must be whole"),
    "pickled": (lambda t: _npz(t, x=X, y=Y, classes=np.array([{"a": 1}], dtype=object)),
                "only unpickling could read"),
    "too_large": (_huge, "array x (1,000,000 × 100,000, float32) needs about"),
    "too_few": (lambda t: _npz(t, x=X[:100], y=Y[:100]), "100 examples, fewer than data.train_size"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_arrays_file_exits_2_naming_the_file_and_array(tmp_path, kind):
    make, expected = BAD[kind]
    path = make(tmp_path)
    proc = train(path, tmp_path / "runs")
    assert proc.returncode == 2, proc.stderr
    assert f"{path}: " in proc.stderr and expected in proc.stderr, proc.stderr
    assert list_runs(tmp_path / "runs") == []


def test_the_too_large_message_says_what_to_lower(tmp_path):
    proc = train(_huge(tmp_path), tmp_path / "runs")
    assert "needs about 372.6 GiB of memory" in proc.stderr  # 400 GB of float32 in the file alone
    assert "write a smaller file (fewer examples, smaller images" in proc.stderr


def test_a_missing_or_foreign_file_is_named(tmp_path):
    proc = train(tmp_path / "nope.npz", tmp_path / "runs")
    assert proc.returncode == 2 and f"{tmp_path / 'nope.npz'}: file not found" in proc.stderr
    (tmp_path / "data.csv").write_text("1,2\n")
    proc = train(tmp_path / "data.csv", tmp_path / "runs")
    assert proc.returncode == 2 and "an arrays file is .npz or .safetensors, not .csv" in proc.stderr


# ---- data.dataset = python: datasets from the user's file --------------------------------

DATASETS_FILE = '''
import torch
from pathlib import Path
from torch.utils.data import Dataset

Path({marker!r}).write_text("the file ran")


class Blobs(Dataset):
    classes = ["west", "east", "north"]

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.y = torch.arange(n) % 3
        self.x = torch.randn(n, 4, generator=g) + 3 * torch.nn.functional.one_hot(self.y, 4).float()

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def train_only():
    return Blobs(240, 0)


def with_test():
    return Blobs(240, 0), Blobs(30, 1)


def not_pairs():
    return [{{"x": 1.0, "y": 0}}] * 240


def ragged():
    return [(torch.zeros(4), 0)] * 100 + [(torch.zeros(5), 1)] * 140
'''


def _datasets(tmp_path):
    marker = tmp_path / "imported.txt"
    path = tmp_path / "my_data.py"
    path.write_text(DATASETS_FILE.format(marker=str(marker)))
    return path, marker


def train_python(spec: str, out: Path, *extra: str):
    return cli("train", "--preset", "overfit", "--set", "data.dataset=python", "--set", f"data.file='{spec}'",
               "--set", "optim.epochs=2", "--set", "model.width=16", "--set", "optim.batch_size=32", *SIZES,
               *extra, "--out", str(out))


def test_python_datasets_train_with_their_class_names_and_test_split(tmp_path):
    path, marker = _datasets(tmp_path)
    proc = train_python(f"{path}:with_test", tmp_path / "runs", "--evaluate-test")
    assert proc.returncode == 0, proc.stderr
    assert "python: 120 training / 40 validation examples" in proc.stdout
    assert "test (the locked split), last weights, 30 examples" in proc.stdout  # the file's own test dataset
    run_dir = only_run(tmp_path / "runs")
    started = json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[0])
    assert started["class_names"] == ["west", "east", "north"]
    marker.unlink()
    read_run(run_dir)
    assert cli("suspects", str(run_dir), "--top", "3").returncode == 0
    with pytest.raises(ValueError, match="opening a run folder never runs code"):
        run_data(run_dir)  # (the Examples tab's images of an opened folder)
    assert not marker.exists()  # reading the folder ran nothing
    proc = train_python(f"{path}:train_only", tmp_path / "runs2", "--evaluate-test")
    assert proc.returncode == 0, proc.stderr
    assert "test (the locked split), last weights, 40 examples" in proc.stdout  # locked from the train dataset


@pytest.mark.parametrize("name, expected", [
    ("not_pairs", "item 0 is dict; items must be (input, label) pairs"),
    ("ragged", "item 100's input has shape [5], item 0's [4]"),
    ("missing", "missing is not defined there"),
])
def test_bad_python_datasets_exit_2_naming_the_file_and_item(tmp_path, name, expected):
    path, _ = _datasets(tmp_path)
    proc = train_python(f"{path}:{name}", tmp_path / "runs")
    assert proc.returncode == 2, proc.stderr
    assert str(path) in proc.stderr and expected in proc.stderr, proc.stderr
    assert list_runs(tmp_path / "runs") == []


def test_a_cross_validation_of_a_user_network_on_an_arrays_file(tmp_path):
    """The experiment seam takes both: every fold a run of the file's network on the file's data."""
    x, y = vectors()
    path = tmp_path / "table.npz"
    np.savez(path, x=x, y=y)
    proc = cli("cv", "--preset", "overfit", "--folds", "3", "--set", "data.dataset=arrays",
               "--set", f"data.path='{path}'", *SIZES, "--set", "optim.epochs=2",
               "--set", f"model.file='{EXAMPLES / 'my_mlp.py'}:build'", "--set", "model.kwargs={hidden=16}",
               "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert "3 of 3 runs completed" in proc.stdout
    summaries = [json.loads(p.read_text()) for p in (tmp_path / "runs").rglob("summary.json")]
    assert len(summaries) == 3 and all(s["model_source"]["name"] == "build" for s in summaries)


def test_a_gallery_of_an_arrays_run_of_vectors_says_there_are_no_pictures(tmp_path):
    """The Examples tab asks an opened folder for thumbnails: vectors are not a backbone's
    features, and the answer says what they are."""
    from engine.data.thumbnails import thumbnails

    x, y = vectors()
    path = tmp_path / "table.npz"
    np.savez(path, x=x, y=y)
    assert train(path, tmp_path / "runs").returncode == 0
    with pytest.raises(ValueError, match="these examples are vectors, not images"):
        thumbnails(run_data(only_run(tmp_path / "runs")), "train", [0, 1])


def test_the_shipped_wine_example_writes_an_arrays_file_that_trains(tmp_path):
    made = subprocess.run([sys.executable, str(EXAMPLES / "make_wine_arrays.py"), str(tmp_path / "wine.npz")],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert "x 178 × 13, 3 classes" in made.stdout
    proc = cli("train", "--preset", "overfit", "--set", "data.dataset=arrays", "--set",
               f"data.path='{tmp_path / 'wine.npz'}'", "--set", "data.train_size=100", "--set", "data.val_size=38",
               "--set", "data.test_size=40", "--set", "optim.epochs=1", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    started = json.loads((only_run(tmp_path / "runs") / "metrics.jsonl").read_text().splitlines()[0])
    assert started["class_names"] == ["cultivar 0", "cultivar 1", "cultivar 2"]
