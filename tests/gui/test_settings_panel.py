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


@pytest.mark.parametrize(("key", "value"), [("optim.lr", 0.0006031412345678901), ("regularization.l1", 3.3e-07),
                                            ("regularization.weight_decay", 0.12345678901234567)])
def test_a_value_with_many_digits_comes_back_exactly(panel, key, value):
    """A search trial reopened in the panel is the same run (was: lr rounded to 0.000603)."""
    from tests.helpers import tiny_config

    section, name = key.split(".")
    panel.set_config(tiny_config({key: value}))
    assert getattr(getattr(panel.config(), section), name) == value
    assert float(panel.widgets[key].text()) == value  # what is shown reads back as the same number


def test_a_value_typed_in_scientific_notation_is_taken(qtbot, panel):
    type_into(qtbot, panel, "optim.lr", "6e-4")
    assert panel.config().optim.lr == 0.0006


def test_the_panel_greys_out_what_the_engine_does_not_apply(panel):
    """One rule (engine.core.applicability): augmentation is off where the engine caches a
    frozen backbone's features, and the panel says so."""
    from engine.core.applicability import features_cached

    for transfer in ("scratch", "random_frozen", "frozen", "finetune"):
        panel.set_value("model.backbone", "fashion_cnn")
        panel.set_value("model.transfer", transfer)
        config = panel.config()
        frozen = features_cached(config.model.backbone, config.model.transfer)
        assert frozen == (transfer in ("random_frozen", "frozen"))
        assert panel.widgets["regularization.augment_rotate"].isEnabled() is not frozen
