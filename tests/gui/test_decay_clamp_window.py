"""A live weight-decay raise the engine clamps (optim.lr × L2 strength above 0.08 mid-run),
typed into the settings panel as a user would: the status bar says why, and the field shows
the strength the run actually has."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QPalette

from engine.core import events as ev
from tests.gui.colour_vision import contrast
from tests.gui.conftest import RUN_TIMEOUT, wait_for_step
from tests.gui.test_settings_panel import type_into
from tests.helpers import tiny_config


def test_a_clamped_live_raise_is_said_and_shown_as_applied(qtbot, window):
    window.settings_panel.set_config(tiny_config({"optim.epochs": 500, "optim.lr": 0.01}))
    assert window.start_run()
    wait_for_step(qtbot, window)
    field = type_into(qtbot, window.settings_panel, "regularization.weight_decay", "15")
    warning = window.status.warning
    qtbot.waitUntil(lambda: "clamped to 8" in warning.toolTip(), timeout=30_000)
    assert warning.isVisible() and "regularization.weight_decay 15 clamped to 8" in warning.toolTip()
    assert "at most 0.08" in warning.toolTip()
    # read from the back row: text at least 4.5:1 on the status bar (its amber was 3.68:1 on white)
    def legible() -> float:
        text = QColor(re.search(r"color:\s*(#[0-9a-fA-F]{6})", warning.styleSheet()).group(1))
        ground = window.statusBar().palette().color(QPalette.ColorRole.Window)  # the bar drawn behind it
        return contrast(text.getRgbF()[:3], ground.getRgbF()[:3])

    assert legible() >= 4.5
    window.menu_actions["Dark"].trigger()  # and in Dark (the light scheme's colour was 2.8:1 there)
    qtbot.wait(20)
    assert window.statusBar().palette().color(QPalette.ColorRole.Window).lightness() < 128 and legible() >= 4.5
    window.menu_actions["Light"].trigger()
    assert field.value() == 8.0  # the run's strength, not the one typed
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        window.actions["stop"].trigger()
    assert sig.args[0].reason == ev.USER_STOPPED
