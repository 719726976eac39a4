"""The window's Runs dock over a runs folder with damaged files: every good run is listed,
and each damaged folder as unreadable, with the file and the reason."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt

from engine.experiments.experiment import Experiment, run_single
from gui.panels.runs_browser import PATH_ROLE, RUN, STATUS
from tests.helpers import tiny_config


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("made")
    good = run_single(tiny_config({"run.name": "good"}), runs_dir=root).run_dir
    experiment = Experiment(tiny_config(), [{"run.seed": 0}, {"run.seed": 1}], runs_dir=root, name="seeds").run()
    return root, good, experiment


def listed(browser) -> dict:
    """Every row of the dock's tree (experiments' runs too): folder -> (status text, its tooltip)."""
    model, rows = browser.model, {}

    def walk(parent):
        for row in range(model.rowCount(parent)):
            index = model.index(row, RUN, parent)
            status = index.siblingAtColumn(STATUS)
            rows[index.data(PATH_ROLE)] = (status.data(), status.data(Qt.ItemDataRole.ToolTipRole))
            walk(index)

    walk(model.index(-1, -1))
    return rows


def test_the_runs_dock_lists_the_good_runs_and_a_damaged_one_as_unreadable(qtbot, made, tmp_path):
    from gui.window.main_window import MainWindow

    source, good, experiment = made
    runs = tmp_path / "runs"
    shutil.copytree(source, runs)
    (runs / experiment.path.name / "experiment.json").write_text("[1, 2, 3]\n")  # JSON of another shape
    window = MainWindow(tiny_config(), runs_dir=runs, restore=False)
    qtbot.addWidget(window)
    window.show()
    browser = window.runs_dock.browser
    rows = listed(browser)
    group = runs / experiment.path.name
    assert rows[group] == ("unreadable", f"{group / 'experiment.json'}: the file is a list, not an object")
    assert rows[runs / good.name] == ("completed", None)
    for trial in experiment.trials:  # the runs of an experiment whose record is damaged: still listed
        assert rows[group / trial.run_dir.name] == ("completed", None)
    # a run whose summary is cut off while the window is open: listed as unreadable on Refresh
    cut = runs / "20261201-000000-cut"
    shutil.copytree(good, cut)
    (cut / "summary.json").write_bytes((cut / "summary.json").read_bytes()[:40])
    browser.actions_by_name["refresh"].trigger()
    status, why = listed(browser)[cut]
    assert status == "unreadable" and why.startswith(f"{cut / 'summary.json'}: the file is not valid JSON")
    assert listed(browser)[runs / good.name] == ("completed", None)
    # selected, it cannot be opened or twinned: the actions say why
    from tests.gui.test_runs_browser import select

    select(browser, cut)
    for name in ("open", "twin"):
        action = browser.actions_by_name[name]
        assert not action.isEnabled() and "summary.json" in action.toolTip()
    select(browser, runs / good.name)
    assert browser.actions_by_name["open"].isEnabled() and "unreadable" not in browser.actions_by_name["open"].toolTip()
