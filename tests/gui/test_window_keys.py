"""Space and Esc: the run's keys while a run is live, every widget's own keys otherwise."""

import pytest
from PySide6.QtCore import QEvent, QObject, Qt

from engine.core import events as ev
from gui.window.run_state import IDLE, PAUSED, RUNNING
from tests.gui.conftest import RUN_TIMEOUT


def focus(qtbot, window, widget):
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=5000)


class KeysSeen(QObject):
    def __init__(self, widget):
        super().__init__(widget)
        self.keys = []
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.KeyPress:
            self.keys.append(event.key())
        return False


def test_space_toggles_a_focused_check_box_and_esc_reaches_the_field_when_idle(qtbot, window):
    box = window.settings_panel.widgets["data.skip_unreadable"]
    was = box.isChecked()
    focus(qtbot, window, box)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() is not was and window.state == IDLE
    field = window.settings_panel.widgets["optim.epochs"]
    focus(qtbot, window, field)
    seen = KeysSeen(field)
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    qtbot.keyClick(field, Qt.Key.Key_Space)
    assert seen.keys == [Qt.Key.Key_Escape, Qt.Key.Key_Space]  # nothing to pause or stop: the field's keys


def test_space_toggles_a_live_check_box_during_a_run_and_pauses_from_a_number_field(qtbot, long_run):
    window = long_run
    box = window.settings_panel.widgets["regularization.augment_hflip"]
    assert box.isEnabled() and not box.isChecked()
    focus(qtbot, window, box)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() and window.state == RUNNING
    field = window.settings_panel.widgets["regularization.dropout"]
    focus(qtbot, window, field)
    qtbot.keyClick(field, Qt.Key.Key_Space)
    assert window.state == PAUSED
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert sig.args[0].reason == ev.USER_STOPPED


def test_space_and_esc_work_from_a_number_field_without_wiping_it(qtbot, long_run):
    window = long_run
    field = window.settings_panel.widgets["regularization.dropout"]
    focus(qtbot, window, field)
    field.lineEdit().selectAll()
    qtbot.keyClicks(field, "0.25")
    qtbot.keyClick(field, Qt.Key.Key_Space)
    assert window.state == PAUSED
    assert field.value() == pytest.approx(0.25) and field.text().strip() == "0.25"
    qtbot.keyClick(field, Qt.Key.Key_Space)  # resume: the edit applies at the next batch
    assert window.state == RUNNING
    qtbot.waitUntil(lambda: "dropout 0→0.25" in window.plots.markers.labels("loss"), timeout=10_000)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert sig.args[0].reason == ev.USER_STOPPED and field.value() == pytest.approx(0.25)


def test_esc_closes_an_open_menu_during_a_run_and_leaves_the_run_alone(qtbot, long_run, monkeypatch):
    window = long_run
    asked = []
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: asked.append(a) or True)
    menu = window.menuBar().actions()[0].menu()
    menu.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    qtbot.keyClick(menu, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=5000)
    assert window.state == RUNNING and not window.handle.control.paused and not asked
