"""The settings panel says what it changed and why; it keeps a value's full precision."""

import pytest
from PySide6.QtCore import Qt

from gui.panels.settings import SettingsPanel


@pytest.fixture
def panel(qtbot):
    p = SettingsPanel()
    qtbot.addWidget(p)
    p.show()
    return p


def type_into(qtbot, panel, key, text):
    field = panel.widgets[key]
    panel.activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    field.lineEdit().selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    return field


@pytest.mark.parametrize(("key", "typed", "kept", "why"), [
    ("regularization.weight_decay", "99999999", None, "99999999 is above the maximum"),
    ("regularization.dropout", "1.5", None, "1.5 is above the maximum"),
    ("optim.epochs", "0", 1, "0 is below the minimum 1: set to 1."),
])
def test_a_number_out_of_range_is_set_to_the_nearest_allowed_and_said(qtbot, panel, key, typed, kept, why):
    field = type_into(qtbot, panel, key, typed)
    assert field.value() == (field.maximum() if kept is None else kept)
    note = panel.errors[key]
    assert note.isVisibleTo(panel) and why in note.text()


def test_augmentation_stays_off_in_frozen_mode_while_a_run_is_live(panel):
    panel.set_value("model.backbone", "fashion_cnn")
    panel.set_value("model.transfer", "frozen")
    flip = panel.widgets["regularization.augment_hflip"]
    assert not flip.isEnabled()
    panel.set_live(True)  # as the window does when a run starts
    assert not flip.isEnabled() and "Off in frozen mode" in flip.toolTip()
    assert panel.widgets["regularization.dropout"].isEnabled()  # a live setting that applies
    panel.set_live(False)
    assert not flip.isEnabled()
