"""A window closed with a lesson open: the next plain launch had the lesson's step panel back,
empty, its buttons doing nothing (the saved window state restored the dock)."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget

from tests.helpers import tiny_config


def test_a_plain_launch_after_a_lesson_shows_no_empty_lesson_panel(qtbot, tmp_path):
    from gui.window.main_window import MainWindow

    def launch():
        w = MainWindow(tiny_config(), runs_dir=tmp_path / "runs", restore=True)
        qtbot.addWidget(w)
        w.show()
        return w

    first = launch()
    first.menu_actions["Memorizing"].trigger()
    qtbot.waitUntil(first.findChild(QDockWidget, "lesson_dock").isVisible, timeout=5000)
    first.close()
    again = launch()
    qtbot.wait(50)
    assert again.lessons.lesson is None
    assert not again.findChild(QDockWidget, "lesson_dock").isVisible()
    again.menu_actions["Memorizing"].trigger()  # a lesson opened shows it again
    qtbot.waitUntil(again.findChild(QDockWidget, "lesson_dock").isVisible, timeout=5000)
