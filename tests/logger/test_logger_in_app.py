"""A folder the logger wrote opens through the user's own paths: `main.py suspects RUN_DIR`
ranks its examples (the labels flipped on purpose first), the engine reads it, and the
window's runs browser lists it and its Examples tab shows it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import overfit_lab as ol
import pytest
import torch

from tests.gui.conftest import isolated_settings, no_dangling_threads, window  # noqa: F401 - the window's fixtures
from tests.logger.conftest import tiny_data, train

ROOT = Path(__file__).resolve().parents[2]
FLIPPED = list(range(0, 120, 12))  # 10 of the 120 training labels, moved to the next class


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory):
    """A script's run of 12 epochs on the tiny data with 10 labels flipped."""
    import tests.logger.conftest as data

    runs = tmp_path_factory.mktemp("runs")
    clean = data.tiny_data

    def noisy(n=120, seed=0):
        x, y = clean(n, seed)
        y = y.clone()
        y[FLIPPED] = (y[FLIPPED] + 1) % 3
        return x, y

    torch.set_num_threads(1)
    data.tiny_data = noisy
    try:
        run = ol.init("script noisy", config={"lr": 0.2, "epochs": 12, "batch_size": 16}, runs_dir=runs,
                      classes=["low", "middle", "high"])
        train(run, epochs=12, batch_size=16)
        run.finish()
    finally:
        data.tiny_data = clean
    return run.path


def test_suspects_ranks_the_flipped_labels_first(noisy_run):
    result = subprocess.run([sys.executable, "main.py", "suspects", str(noisy_run), "--json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["train_size"] == 120 and out["epochs_recorded"] == 12 and out["status"] == "completed"
    assert out["class_names"] == ["low", "middle", "high"]
    _, clean = tiny_data()
    for row in out["suspects"]:  # the labels trained on, flipped ones included
        assert row["given"] == (clean[row["index"]] + (row["index"] in FLIPPED)) % 3
    top = [row["index"] for row in out["suspects"][:10]]
    assert len(set(top) & set(FLIPPED)) >= 7, top  # most of the top ten are the flipped ones
    text = subprocess.run([sys.executable, "main.py", "suspects", str(noisy_run)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert text.returncode == 0 and " rank  index  given" in text.stdout
    assert f"{noisy_run}: 120 training examples, 12 epochs recorded (completed)" in text.stdout


def test_the_engine_reads_it(noisy_run):
    from engine.runs.reader import read_run, status_word

    record = read_run(noisy_run)
    assert status_word(record) == "completed" and len(record.epochs) == 12
    assert record.summary["final_metrics"]["max_val_accuracy"] == max(e["val_accuracy"] for e in record.epochs)


def test_the_runs_browser_lists_it_and_the_examples_tab_shows_it(qtbot, window, noisy_run, monkeypatch):  # noqa: F811
    from gui.panels.runs_browser import EPOCHS, PATH_ROLE, RUN, STATUS
    from tests.gui.conftest import RUN_TIMEOUT

    browser = window.runs_dock.browser
    browser.add_root(noisy_run.parent)
    qtbot.waitUntil(lambda: any(browser.proxy.index(r, RUN).data(PATH_ROLE) == noisy_run
                                for r in range(browser.proxy.rowCount())), timeout=RUN_TIMEOUT)
    row = next(r for r in range(browser.proxy.rowCount()) if browser.proxy.index(r, RUN).data(PATH_ROLE) == noisy_run)
    assert browser.proxy.index(row, STATUS).data() == "completed"
    assert browser.proxy.index(row, EPOCHS).data() == "12"

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(noisy_run))
    view = window.examples_view
    view.open_button.click()
    qtbot.waitUntil(lambda: window.examples.folder == noisy_run, timeout=RUN_TIMEOUT)
    assert view.tally.size == 120 and len(view.tally.epochs) == 12
    assert noisy_run.name in view.summary.text()


def test_compared_with_an_engine_run_in_the_experiment_tab(qtbot, window, noisy_run):  # noqa: F811
    import shutil

    from engine.experiments.experiment import run_single
    from tests.gui.test_runs_browser import select
    from tests.helpers import tiny_config

    script = Path(shutil.copytree(noisy_run, window.runs_dir / noisy_run.name))
    engine = run_single(tiny_config({"optim.epochs": 2}), runs_dir=window.runs_dir).run_dir
    browser = window.runs_dock.browser
    browser.actions_by_name["refresh"].trigger()
    select(browser, script, engine)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.cell(1, 1) != "")
    ending = json.loads((script / "summary.json").read_text())["final_metrics"]
    assert view.cell(0, 1) == f"{ending['end_val_accuracy'] * 100:.1f} % (epoch 12)"
    assert [view.cell(0, 6), view.cell(1, 6)] == ["12", "2"]


def test_its_settings_are_not_opened_as_the_windows_own(qtbot, window, noisy_run):  # noqa: F811
    """Runs browser ▸ Open settings is off for a script's run, saying why: its network and data are
    the script's (opened, its data.dataset = python had no file, and Start failed)."""
    import shutil

    from tests.gui.test_runs_browser import select

    script = Path(shutil.copytree(noisy_run, window.runs_dir / noisy_run.name))
    browser = window.runs_dock.browser
    browser.actions_by_name["refresh"].trigger()
    select(browser, script)
    before = window.settings_panel.config()
    action = browser.actions_by_name["open"]
    assert not action.isEnabled() and "written by a script" in action.toolTip()
    action.trigger()
    assert window.settings_panel.config() == before
