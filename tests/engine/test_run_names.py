"""A run of the user's own data started from a preset is named after that data, from the
command line as from the window; a name the user gave is kept."""

import numpy as np
from PIL import Image

from engine.runs.reader import list_runs, read_run
from tests.engine.test_cli import cli

SMALL = ["--set", "data.train_size=12", "--set", "data.val_size=6", "--set", "data.test_size=6",
         "--set", "model.width=8", "--set", "optim.epochs=1", "--set", "data.label_noise=0.0"]


def _pets(folder):
    for k, c in enumerate(("cat", "dog")):
        (folder / c).mkdir(parents=True)
        for i in range(12):
            Image.new("L", (8, 8), 20 * i + 100 * k).save(folder / c / f"{i}.png")
    return folder


def test_an_image_folder_run_from_a_preset_is_named_after_its_folder(tmp_path):
    pets = _pets(tmp_path / "pets")
    proc = cli("train", "--preset", "overfit", "--set", "data.dataset=image_folder", "--set",
               f'data.path="{pets}"', "--set", "data.image_size=8", *SMALL, "--out", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stderr
    (run,) = list_runs(tmp_path / "runs")
    assert read_run(run).config["run"]["name"] == "pets (image folder)"


def test_an_arrays_run_is_named_after_its_file_and_a_typed_name_is_kept(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "wine.npz", x=rng.normal(size=(60, 5)).astype(np.float32), y=np.arange(60) % 3)
    out = tmp_path / "runs"
    for name in (None, "my wine"):
        extra = ["--set", f'run.name="{name}"'] if name else []
        proc = cli("train", "--preset", "overfit", "--set", "data.dataset=arrays", "--set",
                   f'data.path="{tmp_path / "wine.npz"}"', *SMALL, *extra, "--out", str(out))
        assert proc.returncode == 0, proc.stderr
    names = sorted(read_run(r).config["run"]["name"] for r in list_runs(out))
    assert names == ["my wine", "wine (arrays file)"]


def test_a_run_of_the_users_own_network_is_named_after_its_file(tmp_path):
    net = tmp_path / "my_net.py"
    net.write_text("from torch import nn\n\ndef build(input_shape, num_classes):\n"
                   "    return nn.Sequential(nn.Flatten(), nn.Linear(784, num_classes))\n")
    out = tmp_path / "runs"
    proc = cli("train", "--preset", "overfit", "--set", f'model.file="{net}:build"', "--set", "data.train_size=64",
               "--set", "data.val_size=32", "--set", "optim.epochs=1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    (run,) = list_runs(out)
    assert read_run(run).config["run"]["name"] == "my_net (own network)"
