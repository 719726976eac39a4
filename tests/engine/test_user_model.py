"""Your own network from a Python file (model.file): trained through the command line, every
remedy reaching its layers, the file recorded in the run folder and never imported by reading it."""

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from engine.core import events as ev
from engine.core.config import Config
from engine.core.control import RunControl
from engine.runs.index import scan
from engine.runs.reader import list_runs, read_run
from engine.training.callbacks import Callback
from engine.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
TINY = ["--set", "data.train_size=64", "--set", "data.val_size=64", "--set", "optim.epochs=2",
        "--set", "optim.batch_size=32"]
MOONS = ["--preset", "overfit", "--set", "data.dataset=moons", "--set", "data.test_size=64", *TINY]


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def only_run(folder: Path) -> Path:
    runs = list_runs(folder)
    assert len(runs) == 1, runs
    return runs[0]


def epoch_lines(text: str) -> list[str]:
    return [line.split("  0.")[0] for line in text.splitlines() if line.startswith("epoch ")]  # without the time


def test_the_shipped_mlp_file_trains_as_the_builtin_mlp_and_is_recorded(tmp_path):
    """The same layers from a file: the same seed gives the same epochs as the built-in MLP."""
    base = ["train", "--preset", "overfit", *TINY, "--set", "model.width=64"]
    builtin = cli(*base, "--out", str(tmp_path / "builtin"))
    own = cli(*base, "--set", "model.file=docs/examples/my_mlp.py:build", "--set", "model.kwargs={hidden=64}",
              "--out", str(tmp_path / "own"))
    assert builtin.returncode == 0 and own.returncode == 0, own.stderr
    assert len(epoch_lines(own.stdout)) == 2
    assert epoch_lines(own.stdout) == epoch_lines(builtin.stdout)
    summary = read_run(only_run(tmp_path / "own")).summary
    assert summary["layer_names"] == ["fc1", "fc2", "out"]  # the file's own names
    source = summary["model_source"]
    assert source["file"] == str(EXAMPLES / "my_mlp.py") and source["name"] == "build"
    assert source["sha256"] == hashlib.sha256((EXAMPLES / "my_mlp.py").read_bytes()).hexdigest()
    assert "Linear(in_features=784, out_features=64" in source["repr"]


def test_a_function_gets_only_what_it_asks_for_and_the_kwargs_table(tmp_path):
    net = write(tmp_path / "net.py", """
        from torch import nn

        def build(num_classes, hidden=8):
            return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, num_classes))
        """)
    proc = cli("train", *MOONS, "--set", f"model.file='{net}:build'", "--set", "model.kwargs={hidden=5}",
               "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert read_run(only_run(tmp_path / "runs")).summary["parameter_count"] == (2 * 5 + 5) + (5 * 2 + 2)


def test_a_package_module_with_python_path_imports_its_own_modules(tmp_path):
    write(tmp_path / "code" / "mypkg" / "__init__.py", "")
    write(tmp_path / "code" / "mypkg" / "layers.py", """
        from torch import nn

        def block(n_in, n_out):
            return nn.Sequential(nn.Linear(n_in, n_out), nn.ReLU())
        """)
    write(tmp_path / "code" / "mypkg" / "nets.py", """
        from torch import nn
        from mypkg.layers import block

        class Net(nn.Module):
            def __init__(self, input_shape, num_classes):
                super().__init__()
                self.encoder = block(input_shape[0], 16)
                self.head = nn.Linear(16, num_classes)

            def forward(self, x):
                return self.head(self.encoder(x))
        """)
    proc = cli("train", *MOONS, "--set", "model.file='mypkg.nets:Net'",
               "--set", f"model.python_path='{tmp_path / 'code'}'", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    summary = read_run(only_run(tmp_path / "runs")).summary
    assert summary["layer_names"] == ["encoder.0", "head"]
    assert summary["model_source"]["file"] == str(tmp_path / "code" / "mypkg" / "nets.py")


BAD_FILES = {
    "syntax": ("def build(:\n", "could not be imported", "line 1"),
    "raises": ("import torch\nraise RuntimeError('the lab server is down')\n", "could not be imported",
               "RuntimeError: the lab server is down"),
    "missing_name": ("from torch import nn\ndef other(num_classes):\n    return nn.Linear(2, num_classes)\n",
                     "build is not defined there", "it defines other"),
    "not_callable": ("build = 3\n", "build is not callable", "a class or function"),
    "arguments": ("from torch import nn\ndef build(num_classes, depth):\n    return nn.Linear(2, num_classes)\n",
                  "can be called with num_classes", "depth"),
    "shape": ("from torch import nn\ndef build(num_classes):\n    return nn.Linear(2, 3)\n",
              "output is [batch, classes] = [2, 2]", "its output has shape [2, 3]"),
    "no_parameters": ("from torch import nn\ndef build():\n    return nn.Identity()\n",
                      "trainable parameters", "has none"),
    "not_a_module": ("def build(num_classes):\n    return 'a network'\n", "returning a torch nn.Module",
                     "it returned str"),
    "forward": ("from torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                "        self.fc = nn.Linear(5, 2)\n    def forward(self, x):\n        return self.fc(x)\n"
                "build = Net\n", "a network that takes a batch of shape [2, 2]", "mat1 and mat2 shapes"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_network_file_exits_2_naming_the_file(tmp_path, kind):
    source, first, second = BAD_FILES[kind]
    net = write(tmp_path / f"{kind}.py", source)
    proc = cli("train", *MOONS, "--set", f"model.file='{net}:build'", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 2, proc.stderr
    assert str(net) in proc.stderr and first in proc.stderr and second in proc.stderr, proc.stderr
    assert list_runs(tmp_path / "runs") == []  # nothing half-made


def test_a_missing_file_and_an_unknown_keyword_are_refused_by_name(tmp_path):
    proc = cli("train", *MOONS, "--set", f"model.file='{tmp_path / 'nope.py'}:build'", "--out", str(tmp_path))
    assert proc.returncode == 2 and f"{tmp_path / 'nope.py'} does not exist" in proc.stderr
    proc = cli("train", *MOONS, "--set", "model.file=docs/examples/my_mlp.py:build",
               "--set", "model.kwargs={width=3}", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "model.kwargs" in proc.stderr and "width is not one of its parameters (input_shape, num_classes, hidden)" \
        in proc.stderr
    proc = cli("train", *MOONS, "--set", "model.file=docs/examples/my_mlp.py", "--out", str(tmp_path))
    assert proc.returncode == 2 and "PATH/my_file.py:NAME" in proc.stderr


def test_a_network_that_fails_mid_run_ends_failed_with_its_folder_and_epochs_kept(tmp_path):
    net = write(tmp_path / "flaky.py", """
        from torch import nn

        class Flaky(nn.Module):
            def __init__(self, num_classes):
                super().__init__()
                self.fc = nn.Linear(2, num_classes)
                self.calls = 0

            def forward(self, x):
                if self.training:
                    self.calls += 1
                    if self.calls == 3:  # the first batch of epoch 2
                        raise RuntimeError("out of lab budget")
                return self.fc(x)
        """)
    proc = cli("train", *MOONS, "--set", f"model.file='{net}:Flaky'", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 1, proc.stderr
    assert "RuntimeError: out of lab budget" in proc.stderr and str(net) in proc.stderr  # its traceback
    run = read_run(only_run(tmp_path / "runs"))
    assert run.status == "failed" and [e["epoch"] for e in run.epochs] == [1]


class EditAt(Callback):
    """Submits `updates` once, after the first epoch, as the settings panel does."""

    def __init__(self, control, updates):
        self.control, self.updates, self.done = control, updates, False

    def on_event(self, event):
        if isinstance(event, ev.EpochMetrics) and not self.done:
            self.control.submit_settings(self.updates)
            self.done = True


def _config(file: str, **updates) -> Config:
    return Config().with_updates({"data.train_size": 64, "data.val_size": 64, "optim.epochs": 2,
                                  "optim.batch_size": 32, "run.device": "cpu", "model.file": file, **updates})


def test_dropout_sets_p_of_every_dropout_layer_of_the_file_at_the_start_and_live():
    control = RunControl()
    started = []

    class Started(Callback):
        def on_event(self, event):
            if isinstance(event, ev.RunStarted):
                started.append((event.warnings, [m.p for m in trainer.model.modules()
                                                 if isinstance(m, torch.nn.modules.dropout._DropoutNd)]))

    trainer = Trainer(_config(f"{EXAMPLES / 'with_dropout.py'}:DropoutCNN", **{"regularization.dropout": 0.2}),
                      control, callbacks=[Started(), EditAt(control, {"regularization.dropout": 0.4})])
    result = trainer.fit()
    assert result.reason == ev.COMPLETED, result.message
    warnings, at_start = started[0]
    assert at_start == [0.2, 0.2, 0.2]  # Dropout2d, Dropout2d, Dropout: the file said 0.1, 0.1, 0.5
    assert any("sets p of its 3 dropout layer(s) (p = 0.1, 0.5 in the file)" in w for w in warnings)
    kinds = [(type(m).__name__, m.p) for m in trainer.model.modules()
             if isinstance(m, torch.nn.modules.dropout._DropoutNd)]
    assert kinds == [("Dropout2d", 0.4), ("Dropout2d", 0.4), ("Dropout", 0.4)]


def test_a_network_without_dropout_layers_says_so(tmp_path):
    net = write(tmp_path / "plain.py", """
        from torch import nn

        def build(num_classes):
            return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, num_classes))
        """)
    proc = cli("train", *MOONS, "--set", f"model.file='{net}:build'", "--set", "regularization.dropout=0.5",
               "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert "the network has no dropout layers, so regularization.dropout changes nothing" in proc.stderr
    assert any("no dropout layers" in w for w in read_run(only_run(tmp_path / "runs")).summary["warnings"])


def test_l2_shrinks_the_files_weights_and_per_layer_norms_carry_its_names():
    """Decoupled weight decay reaches the user's convolutions and linear layers (by their own
    names: stem.0, encoder.1.conv1, …); batch-norm weights stay out of the per-layer norms."""
    file = f"{EXAMPLES / 'small_resnet.py'}:SmallResNet"
    runs = {}
    for decay in (0.0, 5.0):
        trainer = Trainer(_config(file, **{"regularization.weight_decay": decay, "optim.epochs": 1}))
        result = trainer.fit()
        assert result.reason == ev.COMPLETED, result.message
        runs[decay] = trainer.history[-1].weight_norms
    names = list(runs[0.0])
    assert names[:3] == ["stem.0", "encoder.0.conv1", "encoder.0.conv2"]
    assert "encoder.1.shortcut.0" in names and names[-1] == "head"
    assert not any("bn" in n for n in names)
    assert all(runs[5.0][n] < runs[0.0][n] for n in names)


def _marker_net(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "imported.txt"
    net = write(tmp_path / "marked.py", f"""
        from pathlib import Path
        from torch import nn

        Path({str(marker)!r}).write_text("the file ran")

        def build(num_classes):
            return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, num_classes))
        """)
    return net, marker


def test_reading_listing_and_exporting_a_run_folder_never_imports_the_file(tmp_path):
    net, marker = _marker_net(tmp_path)
    proc = cli("train", *MOONS, "--set", f"model.file='{net}:build'", "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    assert marker.is_file()  # training ran it
    marker.unlink()
    run_dir = only_run(tmp_path / "runs")
    read_run(run_dir)
    _, entries = scan(tmp_path / "runs")
    assert [e.path for e in entries] == [run_dir]
    assert cli("export", str(run_dir), "--csv", str(tmp_path / "m.csv")).returncode == 0
    assert cli("suspects", str(run_dir), "--top", "3").returncode == 0
    assert not marker.exists()
    assert cli("evaluate", str(run_dir), "--split", "val").returncode == 0  # evaluating builds it: it runs
    assert marker.is_file()


def test_evaluating_after_the_file_changed_is_refused_naming_it_before_any_import(tmp_path):
    net, marker = _marker_net(tmp_path)
    assert cli("train", *MOONS, "--set", f"model.file='{net}:build'", "--out", str(tmp_path / "runs")).returncode == 0
    run_dir = only_run(tmp_path / "runs")
    net.write_text(net.read_text() + "\n# tuned the hidden width since\n")
    marker.unlink()
    proc = cli("evaluate", str(run_dir), "--split", "val")
    assert proc.returncode == 2
    assert f"the run's network file {net} changed since the run" in proc.stderr
    assert not marker.exists()  # nothing imported
    assert json.loads((run_dir / "summary.json").read_text()).get("validation") is None


def test_a_run_of_a_relative_file_is_evaluated_from_any_folder(tmp_path):
    """model.file as typed (relative to where the run started); evaluate rebuilds it from the
    absolute path the run recorded."""
    assert cli("train", *MOONS, "--set", "model.file=docs/examples/my_mlp.py:build",
               "--set", "model.kwargs={hidden=8}", "--out", str(tmp_path / "runs")).returncode == 0
    elsewhere = subprocess.run([sys.executable, str(ROOT / "main.py"), "evaluate", str(only_run(tmp_path / "runs")),
                                "--split", "val"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert "accuracy" in elsewhere.stdout


def test_a_search_of_a_user_network_does_not_vary_the_built_in_width(tmp_path):
    proc = cli("search", *MOONS, "--trials", "1", "--set", "optim.epochs=1",
               "--set", "model.file=docs/examples/my_mlp.py:build", "--set", "model.kwargs={hidden=8}",
               "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    trial = next(line for line in proc.stdout.splitlines() if line.startswith("trial 0:"))
    assert "dropout=" in trial and "width=" not in trial  # the width would change nothing
