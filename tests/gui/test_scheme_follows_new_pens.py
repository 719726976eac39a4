"""The dark scheme follows a pen the plots set anew (review 30, finding 10): the first recolouring
remembered each line's light colour for good, so an earlier run pinned as the baseline (its pen
set to the baseline's colour) went back to its old ghost colour when the scheme changed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from gui.panels.comparison import PINNED
from gui.window.presentation import dark_color
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def _pinned_pens(window) -> set[str]:
    earlier = window.plots.earlier
    (pinned,) = [r for r in earlier.runs if r.pinned]
    return {item.opts["pen"].color().name() for _, item in earlier._items[id(pinned)]}


def test_an_earlier_run_pinned_in_dark_keeps_the_baselines_colour_in_light_and_dark(qtbot, window):
    window.menu_actions["Dark"].trigger()
    try:
        window.settings_panel.set_config(tiny_config({"optim.epochs": 2}))
        for _ in range(2):  # the first run becomes an earlier one, recoloured for the dark plots
            with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
                window.actions["start"].trigger()
        qtbot.waitUntil(lambda: not window.plots.pending(), timeout=10_000)
        ghost = window.plots.earlier.runs[0].color
        window.plots.table.item(0, 4).setCheckState(Qt.CheckState.Checked)  # pin it as the baseline
        assert _pinned_pens(window) == {PINNED}

        window.menu_actions["Light"].trigger()
        assert _pinned_pens(window) == {PINNED}, f"the ghost colour {ghost} came back"
        window.menu_actions["Dark"].trigger()
        assert _pinned_pens(window) == {dark_color(QColor(PINNED)).name()}
        window.menu_actions["Light"].trigger()
        assert _pinned_pens(window) == {PINNED}
    finally:
        window.menu_actions["As the system"].trigger()  # the application's palette back for the next test
