"""A lesson's answer read from the back row in Dark too: the reveal's blue was the light
scheme's (#0b4f8a), 1.9:1 on the dark panel; it turns light with View ▸ Dark and back with Light."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel

from tests.gui.colour_vision import contrast


def reveal_contrast(window) -> float:
    label = window.findChild(QLabel, "lesson_reveal")
    text = QColor(re.search(r"color:\s*(#[0-9a-fA-F]{6})", label.styleSheet()).group(1))
    ground = label.parentWidget().palette().color(QPalette.ColorRole.Window)  # the panel drawn behind it
    return contrast(text.getRgbF()[:3], ground.getRgbF()[:3])


def test_the_reveal_reads_at_least_4_5_to_1_in_light_and_in_dark(qtbot, window):
    window.menu_actions["Memorizing"].trigger()
    window.menu_actions["Dark"].trigger()
    qtbot.wait(50)
    panel = window.findChild(QLabel, "lesson_reveal").parentWidget()
    assert panel.palette().color(QPalette.ColorRole.Window).lightness() < 128  # the panel is dark
    assert reveal_contrast(window) >= 4.5
    window.menu_actions["Light"].trigger()
    qtbot.wait(50)
    assert reveal_contrast(window) >= 4.5
