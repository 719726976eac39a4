"""A run whose image folder changed after it trained is refused naming what changed in the
folder — the file moved, where it is now — not the first position that differs (one moved
file shifts every later position, so that names an untouched file), and in its own words
(the run's data changed), not as a setting that "is not allowed"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.runs.stored import SplitChanged, run_data
from tests.engine.test_provenance import cli, image_folder, image_settings


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """An image-folder run, then its most suspect file moved to the other class's folder:
    (folder, run, the file's old and new paths relative to the folder)."""
    tmp = tmp_path_factory.mktemp("refusals")
    folder = tmp / "imgs"
    image_folder(folder)
    out = cli("train", "--config", image_settings(folder, tmp / "imgs.toml"), "--out", tmp / "runs")
    assert out.returncode == 0, out.stderr
    run = Path(out.stdout.strip().splitlines()[-1])
    files = [r["file"] for r in json.loads(cli("suspects", run, "--json").stdout)["suspects"]]
    first = Path(files[0])
    other = "light" if first.parent.name == "dark" else "dark"
    shutil.move(first, folder / other / first.name)
    return folder, run, f"{first.parent.name}/{first.name}", f"{other}/{first.name}"


def test_opening_the_run_names_the_moved_file_and_where_it_is_now(moved):
    folder, run, was, now = moved
    with pytest.raises(SplitChanged) as refused:
        run_data(run)
    said = str(refused.value)
    assert said.startswith(f"{run}'s data (data.path = {folder}) changed since it trained: ")
    assert f"{was} is gone; {now} is new" in said
    assert "is not allowed" not in said
    out = cli("evaluate", run, "--split", "val")
    assert out.returncode == 2 and f"{was} is gone; {now} is new" in out.stderr, out.stderr


def test_a_twin_of_the_run_names_the_moved_file_not_a_shifted_one(moved, tmp_path):
    _, run, was, now = moved
    out = cli("clean", run, "--top", 3, "--out", tmp_path / "twins")
    assert out.returncode == 2
    assert "data.path" in out.stderr and f"{was} is gone; {now} is new" in out.stderr, out.stderr
    assert not (tmp_path / "twins").exists()
