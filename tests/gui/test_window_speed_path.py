"""The window's path from engine events to the status bar: what it says about a plan of runs."""

from __future__ import annotations

import re

from gui.window.run_state import IDLE
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def test_a_learning_curve_says_which_run_of_how_many_and_when_all_end(qtbot, window, monkeypatch):
    from gui import dialogs
    from gui.controllers.experiment_dialogs import CurveDialog

    # A short first run, then one far longer than the test watches (a tiny run's epochs take
    # milliseconds, and the status line is redrawn at most 4 times a second: an 80-epoch run
    # could end between two redraws on a fast or busy machine, its ETA never shown); stopped once seen.
    window.settings_panel.set_config(tiny_config({"optim.epochs": 300}))
    dialog = CurveDialog(window)
    dialog.values.setText("32, 4096, 8192")
    dialog.seeds.setValue(1)
    dialog.accept()
    window.experiments.learning_curve(dialog)  # Experiments ▸ Learning curve…, its dialog answered
    seen = []

    def second_run_said():
        seen.append(window.status.info.text())
        # (a run's own ETA shows once 2 % of it is done)
        return "run 2 of 3" in seen[-1] and bool(re.search(r"(?<!all runs )ETA", seen[-1])) and "all runs ETA" in seen[-1]

    qtbot.waitUntil(second_run_said, timeout=RUN_TIMEOUT)
    text = seen[-1]
    # Its own epoch count and ETA, then the whole plan's: "run 2 of 3 · epoch 4/80 · … ETA 0:01 · all runs ETA 0:05"
    assert text.startswith("run 2 of 3  ·  epoch ")
    assert re.search(r"(?<!all runs )ETA \d+:\d\d", text) and re.search(r"all runs ETA \d+:\d\d", text)
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: True)  # "Stop the experiment?": yes
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    assert "run " not in window.status.info.text()  # the plan has ended: its figures, not a run number


def test_a_single_run_says_no_run_number(qtbot, window):
    window.settings_panel.set_config(tiny_config({"optim.epochs": 5000}))  # longer than watched: stopped
    window.actions["start"].trigger()
    qtbot.waitUntil(lambda: "ETA" in window.status.info.text(), timeout=RUN_TIMEOUT)
    assert "run " not in window.status.info.text() and "all runs" not in window.status.info.text()
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)


def test_a_learning_curve_is_not_redrawn_while_a_run_trains(qtbot, window, monkeypatch):
    """The curve shows ended runs only: the run training adds nothing to draw, and a figure
    redrawn every second (every run's events scanned) slowed the training as the plan grew."""
    from gui import dialogs
    from gui.controllers.experiment_dialogs import CurveDialog

    window.show()  # the tab is redrawn only while it is in view
    window.settings_panel.set_config(tiny_config({"optim.epochs": 60}))
    dialog = CurveDialog(window)
    dialog.values.setText("32, 4096")  # a short run, then a long one
    dialog.seeds.setValue(1)
    dialog.accept()
    window.experiments.learning_curve(dialog)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.mode == "curve" and len(view.runs) == 2 and len(view.runs[1].tail.epochs) > 0,
                    timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: view.cell(0, 0) == "32", timeout=5000)  # the first run drawn
    drawn = [id(i) for p in view.plots.values() for i in p.getPlotItem().items]
    assert drawn
    epochs = len(view.runs[1].tail.epochs)
    qtbot.waitUntil(lambda: len(view.runs[1].tail.epochs) > epochs, timeout=RUN_TIMEOUT)  # read by a tick
    qtbot.wait(1100)  # and one more tick of the tab's timer
    assert view.isVisible() and not view.runs[1].tail.finished
    assert [id(i) for p in view.plots.values() for i in p.getPlotItem().items] == drawn
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: True)  # "Stop the experiment?": yes
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
