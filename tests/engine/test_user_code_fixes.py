"""The user's code and data as they ran: an edited package runs anew in the same process (the
window trains many runs in one), the SHA-256 recorded is of the bytes that ran, sys.path is
left as it was, and an arrays file is hashed without being read a second time."""

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from engine.cli.main import main as cli_main
from engine.runs.reader import list_runs, read_run

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--preset", "overfit", "--set", "data.dataset=moons", "--set", "data.test_size=64",
        "--set", "data.train_size=64", "--set", "data.val_size=64", "--set", "optim.epochs=1",
        "--set", "optim.batch_size=32"]

NET = """
    from torch import nn
    from {pkg}.layers import block

    class Net(nn.Module):
        def __init__(self, input_shape, num_classes):
            super().__init__()
            self.encoder = block(input_shape[0], {width})
            self.head = nn.Linear({width}, num_classes)

        def forward(self, x):
            return self.head(self.encoder(x))
    """
LAYERS = """
    from torch import nn

    def block(n_in, n_out):
        return nn.Sequential(nn.Linear(n_in, n_out), nn.{act}())
    """


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def train_in_process(out: Path, *extra: str) -> dict:
    """One `train` through the command line's entry, in this process (as the window trains)."""
    before = set(list_runs(out)) if out.exists() else set()
    assert cli_main(["train", *TINY, *extra, "--out", str(out)]) == 0
    (run,) = set(list_runs(out)) - before
    return read_run(run).summary


def test_an_edited_package_runs_anew_in_the_same_process_and_its_sha_is_of_what_ran(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = tmp_path / "code"
    write(code / "ofl_fc_pkg" / "__init__.py", "")
    write(code / "ofl_fc_pkg" / "layers.py", LAYERS.format(act="ReLU"))
    net = write(code / "ofl_fc_pkg" / "nets.py", NET.format(pkg="ofl_fc_pkg", width=16))
    args = ["--set", "model.file='ofl_fc_pkg.nets:Net'", "--set", f"model.python_path='{code}'"]
    path_before = list(sys.path)

    first = train_in_process(tmp_path / "runs", *args)["model_source"]
    assert "out_features=16" in first["repr"] and "ReLU" in first["repr"]
    assert sys.path == path_before  # model.python_path is not left on sys.path

    # Same sizes, within the same second: a cached module or .pyc would run the old code.
    write(code / "ofl_fc_pkg" / "layers.py", LAYERS.format(act="Tanh"))
    write(net, NET.format(pkg="ofl_fc_pkg", width=24))
    second = train_in_process(tmp_path / "runs", *args)["model_source"]
    assert "out_features=24" in second["repr"] and "Tanh()" in second["repr"], second["repr"]
    assert second["sha256"] == hashlib.sha256(net.read_bytes()).hexdigest() != first["sha256"]

    # Another python_path with a package of the same name: its own code, not the first folder's.
    other = tmp_path / "other"
    write(other / "ofl_fc_pkg" / "__init__.py", "")
    write(other / "ofl_fc_pkg" / "layers.py", LAYERS.format(act="GELU"))
    other_net = write(other / "ofl_fc_pkg" / "nets.py", NET.format(pkg="ofl_fc_pkg", width=12))
    third = train_in_process(tmp_path / "runs", "--set", "model.file='ofl_fc_pkg.nets:Net'",
                             "--set", f"model.python_path='{other}'")["model_source"]
    assert third["file"] == str(other_net) and "out_features=12" in third["repr"] and "GELU(" in third["repr"]
    assert sys.path == path_before


def test_an_arrays_file_is_hashed_without_reading_it_whole_a_second_time(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 5)).astype(np.float32)
    path = tmp_path / "table.npz"
    np.savez(path, x=x, y=(x[:, 0] > 0).astype(np.int64))
    read_whole = []
    real = Path.read_bytes

    def spy(self):
        if self.name == path.name:
            read_whole.append(self)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    summary = train_in_process(tmp_path / "runs", "--set", "data.dataset=arrays", "--set", f"data.path='{path}'",
                               "--set", "data.train_size=120", "--set", "data.val_size=40",
                               "--set", "data.test_size=40")
    assert summary["status"] == "completed"
    assert read_whole == []


def test_the_shipped_wine_file_is_what_its_script_makes_and_trains(tmp_path, monkeypatch):
    """README's tabular example trains on the shipped file (no scikit-learn needed); the
    script that made it remakes it byte for byte."""
    monkeypatch.chdir(ROOT)
    shipped = ROOT / "docs" / "examples" / "wine.npz"
    with np.load(shipped, allow_pickle=False) as wine:
        assert wine["x"].shape == (178, 13) and sorted(set(wine["y"].tolist())) == [0, 1, 2]
    summary = train_in_process(tmp_path / "runs", "--set", "data.dataset=arrays",
                               "--set", "data.path=docs/examples/wine.npz", "--set", "data.train_size=100",
                               "--set", "data.val_size=38", "--set", "data.test_size=40")
    assert summary["status"] == "completed" and summary["name"] == "wine (arrays file)"
    pytest.importorskip("sklearn")  # (the dev extra: what remakes the file)
    made = subprocess.run([sys.executable, "docs/examples/make_wine_arrays.py", str(tmp_path / "wine.npz")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert hashlib.sha256((tmp_path / "wine.npz").read_bytes()).hexdigest() == \
        hashlib.sha256(shipped.read_bytes()).hexdigest()


SELF_EDITING_DATA = '''
import torch
from torch.utils.data import TensorDataset


def make():
    # The file changes on disk once it has run (as an edit made while an experiment goes on,
    # its data loaded once and reused by every run)
    with open(__file__, "a") as fh:
        fh.write("# edited after it ran\\n")
    g = torch.Generator().manual_seed(0)
    y = torch.arange(240) % 3
    return TensorDataset(torch.randn(240, 4, generator=g) + 3 * torch.nn.functional.one_hot(y, 4).float(), y)
'''


def test_a_python_data_run_records_the_sha_of_the_bytes_that_ran(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    data = write(tmp_path / "my_data.py", SELF_EDITING_DATA)
    ran = hashlib.sha256(data.read_bytes()).hexdigest()
    summary = train_in_process(tmp_path / "runs", "--set", "data.dataset=python", "--set", f"data.file='{data}:make'",
                               "--set", "data.train_size=120", "--set", "data.val_size=40",
                               "--set", "data.test_size=40")
    assert hashlib.sha256(data.read_bytes()).hexdigest() != ran  # (edited once it ran)
    assert summary["data_source"] == {"file": str(data), "name": "make", "setting": f"{data}:make", "sha256": ran}


MLP = ["--set", "model.file=docs/examples/my_mlp.py:build", "--set", "model.kwargs={hidden=8}"]


def test_set_and_curve_over_one_keyword_argument_of_model_file(tmp_path, monkeypatch):
    """model.kwargs.NAME is a key of its own: --set it, or sweep it in a learning curve; the
    other keyword arguments of the table stay."""
    monkeypatch.chdir(ROOT)
    source = train_in_process(tmp_path / "runs", *MLP, "--set", "model.kwargs.hidden=12")["model_source"]
    assert source["kwargs"] == {"hidden": 12} and "out_features=12" in source["repr"]

    assert cli_main(["curve", *TINY, *MLP, "--over", "model.kwargs.hidden=4,6", "--seeds", "1",
                     "--out", str(tmp_path / "curve")]) == 0
    made = sorted(read_run(r).summary["model_source"]["kwargs"]["hidden"]
                  for r in (tmp_path / "curve").glob("*/*") if (r / "summary.json").is_file())
    assert made == [4, 6]
