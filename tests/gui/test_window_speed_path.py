"""The window's path from engine events to the status bar: what it says about a plan of runs."""

from __future__ import annotations

import re

from gui.window.run_state import IDLE
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def test_a_learning_curve_says_which_run_of_how_many_and_when_all_end(qtbot, window):
    from gui.controllers.experiment_dialogs import CurveDialog

    window.settings_panel.set_config(tiny_config({"optim.epochs": 12}))
    dialog = CurveDialog(window)
    dialog.values.setText("64, 128, 256")
    dialog.seeds.setValue(1)
    dialog.accept()
    window.experiments.learning_curve(dialog)  # Experiments ▸ Learning curve…, its dialog answered
    seen = []

    def second_run_said():
        seen.append(window.status.info.text())
        return "run 2 of 3" in seen[-1] and "all runs ETA" in seen[-1]

    qtbot.waitUntil(second_run_said, timeout=RUN_TIMEOUT)
    text = seen[-1]
    # Its own epoch count and ETA, then the whole plan's: "run 2 of 3 · epoch 4/12 · … ETA 0:01 · all runs ETA 0:05"
    assert text.startswith("run 2 of 3  ·  epoch ")
    assert re.search(r"(?<!all runs )ETA \d+:\d\d", text) and re.search(r"all runs ETA \d+:\d\d", text)
    assert any("run 1 of 3" in t for t in seen) or seen[0] == text
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    assert "run " not in window.status.info.text()  # the plan has ended: its figures, not a run number


def test_a_single_run_says_no_run_number(qtbot, window):
    window.settings_panel.set_config(tiny_config({"optim.epochs": 30}))
    window.actions["start"].trigger()
    qtbot.waitUntil(lambda: "ETA" in window.status.info.text(), timeout=RUN_TIMEOUT)
    assert "run " not in window.status.info.text() and "all runs" not in window.status.info.text()
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
