"""A search over the keyword arguments of the user's own network ([model.kwargs]): the
trials' networks are built with the drawn values, and a keyword the file does not take ends
the search at its first trial, naming the key and the file."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core.config import ConfigError, resolve
from engine.search.space import search_settings

ROOT = Path(__file__).resolve().parents[2]
MOONS = ["--preset", "overfit", "--set", "data.dataset=moons", "--set", "data.test_size=64",
         "--set", "data.train_size=64", "--set", "data.val_size=64", "--set", "optim.epochs=1",
         "--set", "optim.batch_size=32", "--set", "model.file=docs/examples/my_mlp.py:build"]


def settings_file(tmp_path: Path, params: str) -> Path:
    path = tmp_path / "search.toml"
    path.write_text(f'[search]\nsampler = "grid"\nparams = {{ {params} }}\n', encoding="utf-8")
    return path


def search(tmp_path: Path, params: str, *extra: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "main.py", "search", *MOONS, "--trials", "2", "--out", str(tmp_path / "runs"), *extra]
    args[args.index("--preset"):args.index("--preset") + 2] = ["--config", str(settings_file(tmp_path, params))]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def summaries(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.rglob("summary.json"))]


def test_a_search_varies_the_files_own_keyword_and_builds_different_networks(tmp_path):
    proc = search(tmp_path, '"model.kwargs.hidden" = [4, 16]', "--set", "model.kwargs={hidden=8}")
    assert proc.returncode == 0, proc.stderr
    trials = [line for line in proc.stdout.splitlines() if line.startswith("trial ")]
    assert len(trials) == 2 and all("hidden=" in t for t in trials), proc.stdout
    sources = [s["model_source"] for s in summaries(tmp_path / "runs")]
    assert sorted(s["kwargs"]["hidden"] for s in sources) == [4, 16]
    # The networks built differ: moons has 2 inputs and 2 classes, so (2h + h) + (h*h + h) + (2h + 2) parameters.
    assert sorted(s["parameters"] for s in sources) == [4 * 4 + 6 * 4 + 2, 16 * 16 + 6 * 16 + 2]
    assert any("Linear(in_features=2, out_features=16" in s["repr"] for s in sources)
    assert any("Linear(in_features=2, out_features=4" in s["repr"] for s in sources)


def test_a_keyword_the_file_does_not_take_ends_the_search_at_its_first_trial(tmp_path):
    proc = search(tmp_path, '"model.kwargs.depth" = { low = 1, high = 4 }')
    assert proc.returncode == 1, proc.stdout
    assert "search.model.kwargs.depth" in proc.stderr and "docs/examples/my_mlp.py:build" in proc.stderr
    assert "depth is not one of its parameters (input_shape, num_classes, hidden)" in proc.stderr
    assert len([line for line in proc.stdout.splitlines() if line.startswith("trial ")]) == 1


@pytest.mark.parametrize("params, expected", [
    ({"model.kwargs.hidden": {"low": 8, "high": 4}}, "low < high"),
    ({"model.kwargs.num_classes": [2, 3]}, "the data gives num_classes"),
    ({"model.kwargs.hidden": {"low": "a", "high": 4}}, "of numbers"),
])
def test_a_bad_keyword_range_is_refused_before_any_trial(params, expected):
    base = resolve(None, "overfit", ["model.file=docs/examples/my_mlp.py:build"])
    with pytest.raises(ConfigError, match=expected):
        search_settings({"params": params}, base)


def test_a_keyword_search_needs_a_network_file():
    with pytest.raises(ConfigError, match="search.model.kwargs.hidden.*model.file set"):
        search_settings({"params": {"model.kwargs.hidden": [4, 8]}}, resolve(None, "overfit", []))
