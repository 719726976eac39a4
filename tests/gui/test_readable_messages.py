"""Messages a user can read: a live raise clamped back to the run's own value is said and the
field shows what the run has; an inline error under a field is shown whole; the status bar
does not keep a stale warning beside a new refusal, and its full text is reachable."""

from __future__ import annotations

import pytest

from engine.core import events as ev
from gui.window.run_state import IDLE
from tests.gui.conftest import RUN_TIMEOUT, wait_for_step
from tests.gui.test_settings_panel import type_into
from tests.helpers import tiny_config


def test_a_raise_clamped_back_to_the_runs_own_value_is_said_and_the_field_shows_it(qtbot, window):
    # The grokking preset's own pair: optim.lr 0.01 × L2 strength 15 = 0.15, above the live limit
    # (0.08) but allowed from the start; typing 30 is clamped back to the 15 the run has.
    window.settings_panel.set_config(tiny_config({"optim.epochs": 500, "optim.lr": 0.01,
                                                  "regularization.weight_decay": 15.0}))
    assert window.start_run()
    wait_for_step(qtbot, window)
    field = type_into(qtbot, window.settings_panel, "regularization.weight_decay", "30")
    warning = window.status.warning
    qtbot.waitUntil(lambda: "30 clamped to 15" in warning.toolTip(), timeout=30_000)
    assert warning.isVisible() and "regularization.weight_decay 30 clamped to 15" in warning.toolTip()
    qtbot.waitUntil(lambda: field.value() == 15.0, timeout=5_000)  # the run's strength, not the one typed
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        window.actions["stop"].trigger()
    assert sig.args[0].reason == ev.USER_STOPPED


def _shown_whole(qtbot, panel, label):
    """The message label is visible, tall enough for its wrapped text (not cut at the top or the
    bottom) and inside the panel's scroll area sideways (not cut at the right)."""
    viewport = panel.scroll.viewport()
    qtbot.waitUntil(lambda: label.isVisible() and label.height() >= label.heightForWidth(label.width()),
                    timeout=5_000)
    assert label.mapTo(viewport, label.rect().topRight()).x() < viewport.width()
    return label.text()


@pytest.mark.parametrize("presses", [0, 2])
def test_an_inline_error_grows_with_its_text_at_1280x720(qtbot, window, presses):
    window.resize(1280, 720)
    window.show()
    for _ in range(presses):
        window.menu_actions["Larger text"].trigger()
    panel = window.settings_panel
    type_into(qtbot, panel, "data.train_size", "abc-5xyz")
    text = _shown_whole(qtbot, panel, panel.errors["data.train_size"])
    assert text.startswith("train size") and "Allowed: a whole number from" in text
    panel.set_value("regularization.weight_decay", 100.0)
    panel.set_value("optim.lr", 0.01)
    window.actions["start"].trigger()  # refused: lr × L2 strength ≥ 1
    assert window.session.state == IDLE
    text = _shown_whole(qtbot, panel, panel.errors["regularization.weight_decay"])
    assert "L2 strength" in text and "lower regularization.weight_decay or optim.lr" in text


def test_a_refusal_replaces_the_last_runs_warning_and_a_click_shows_it_whole(qtbot, window):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    def read_on_click(label):
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton)
        box = window.findChild(QMessageBox, "status_message")
        assert box is not None and box.isVisible()
        text = box.text()
        box.close()
        qtbot.waitUntil(lambda: window.findChild(QMessageBox, "status_message") is None, timeout=5_000)
        return text

    window.resize(1280, 720)
    window.settings_panel.set_config(tiny_config({"optim.epochs": 500, "optim.lr": 0.01}))
    assert window.start_run()
    wait_for_step(qtbot, window)
    type_into(qtbot, window.settings_panel, "regularization.weight_decay", "15")  # clamped to 8: a warning
    warning = window.status.warning
    qtbot.waitUntil(lambda: "clamped to 8" in warning.toolTip(), timeout=30_000)
    # cut at 80 characters: a click shows it whole
    assert "a live edit keeps the product at most 0.08" in read_on_click(warning)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()
    window.settings_panel.set_value("regularization.weight_decay", 100.0)
    window.actions["start"].trigger()  # refused: 0.01 × 100 = 1
    line = window.status.label
    assert window.session.state == IDLE and line.text().startswith("cannot start: regularization.weight_decay")
    assert not warning.isVisible()  # the last run's clamp is not said beside the refusal
    assert line.elided() != line.text()  # cut with "…" at 1280 px ...
    assert "lower regularization.weight_decay or optim.lr" in read_on_click(line)  # ... read whole with a click
