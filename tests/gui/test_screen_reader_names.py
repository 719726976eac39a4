"""What a screen reader says (issue 30, item 4): a name for every control and plot, each plot
described after every epoch, milestones announced politely and one at a time."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from gui.panels.setting_widgets import field_label
from gui.window.accessibility import describe
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def _controls(window):
    """Every enabled control of the window a keyboard can reach, as Qt sees them."""
    return [w for w in window.findChildren(QWidget)
            if w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
            and w.focusProxy() is None and w.window() is window]


def test_every_control_and_plot_has_a_name_a_reader_can_say(qtbot, window):
    """Before: 9 of the window's controls had a name; a reader said 'spin box' for each setting."""
    controls = _controls(window)
    assert len(controls) > 40
    unnamed = [f"{type(w).__name__} {w.objectName()!r}" for w in controls if not w.accessibleName().strip()]
    assert not unnamed, unnamed
    by_class = [w for w in controls if w.accessibleName() == type(w).__name__]
    assert not by_class, [w.accessibleName() for w in by_class]
    panel = window.settings_panel
    for key in ("regularization.dropout", "optim.lr", "data.label_noise", "regularization.early_stopping"):
        assert panel.widgets[key].accessibleName() == field_label(key), key  # its row's label
    for name, plot in window.plots.plots.items():  # the hidden ones too, before a run shows them
        assert plot.accessibleName() == f"plot: {plot.title_text}", name


def test_each_plot_is_described_after_every_epoch(qtbot, window):
    window.settings_panel.set_config(tiny_config({"optim.epochs": 3, "data.label_noise": 0.3}))
    seen = []
    window.epoch_shown.connect(lambda e: seen.append((e.epoch, window.plots.plots["loss"].accessibleDescription())))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    assert [epoch for epoch, _ in seen] == [1, 2, 3]
    s = window.plots.series
    for epoch, text in seen:
        i = epoch - 1
        assert text.startswith(f"epoch {epoch}: train {s['train_loss'].y[i]:.3g}, "
                               f"validation {s['val_loss'].y[i]:.3g}"), text
    accuracy = window.plots.plots["accuracy"].accessibleDescription()
    assert accuracy.startswith(f"epoch 3: train {s['train_acc'].y[2]:.1f} %, validation {s['val_acc'].y[2]:.1f} %")
    assert "label replaced (memorized)" in window.plots.plots["noise"].accessibleDescription()


def test_a_gap_that_rises_is_said_to_rise_since_the_epoch_it_turned():
    train = [0.9, 0.6, 0.4, 0.3, 0.25, 0.21]
    val = [0.95, 0.7, 0.5, 0.46, 0.47, 0.48]  # the gap: .05 .1 .1 .16 .22 .27, rising from epoch 3
    text = describe("Loss", [("train", [1, 2, 3, 4, 5, 6], train), ("validation", [1, 2, 3, 4, 5, 6], val)])
    assert text == "epoch 6: train 0.21, validation 0.48, gap rising since epoch 3"
    acc = describe("Accuracy", [("train", [1, 2, 3], [50.0, 60.0, 70.0]),
                                ("validation", [1, 2, 3], [50.0, 52.0, 53.0])], percent=True)
    assert acc == "epoch 3: train 70.0 %, validation 53.0 %, gap rising since epoch 1"


@pytest.mark.parametrize("gap_s", [3600.0, 0.0])
def test_milestones_are_announced_one_at_a_time(qtbot, window, gap_s):
    """A run's start and its end: with an hour between two announcements the end waits its
    turn; with none both are said, in order."""
    announcer = window.accessibility.announcer
    announcer.gap_s = gap_s
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    if gap_s:
        assert len(announcer.said) == 1 and "started" in announcer.said[0]
        assert announcer.waiting == ["run finished after 2 epochs, best epoch 2"]
    else:
        qtbot.waitUntil(lambda: not announcer.waiting, timeout=5000)
        assert [t.split(":")[0].split(" after")[0] for t in announcer.said] == ["run started", "run finished"]


def test_this_qt_can_make_a_polite_announcement(qtbot, window):
    """Qt ≥ 6.8: QAccessibleAnnouncementEvent (PySide6 6.9–6.11 expose it)."""
    from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

    event = QAccessibleAnnouncementEvent(window, "run finished")
    event.setPoliteness(QAccessible.AnnouncementPoliteness.Polite)
    assert event.message() == "run finished" and event.politeness() == QAccessible.AnnouncementPoliteness.Polite


def test_an_early_stop_is_announced_as_such(qtbot, window):
    """min_delta 10: no epoch improves enough, so the run stops after patience + 1 epochs."""
    window.settings_panel.set_config(tiny_config({"optim.epochs": 20, "regularization.early_stopping": True,
                                                  "regularization.patience": 1,
                                                  "regularization.min_delta": 10.0}))
    announcer = window.accessibility.announcer
    announcer.gap_s = 0.0
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as ended:
        window.actions["start"].trigger()
    assert ended.args[0].reason == "early_stopped"
    qtbot.waitUntil(lambda: not announcer.waiting, timeout=5000)
    assert announcer.said[-1].startswith(f"early stop after {ended.args[0].epochs_completed} epochs")


def test_validation_loss_turning_up_is_announced_and_the_gap_said_to_rise(qtbot, window):
    """Wrong labels and a wider net: validation loss is lowest at epoch 3 and 6 % above it at
    epoch 5 (the rule of the plots' 'val loss turns up' line)."""
    window.settings_panel.set_config(tiny_config({"optim.epochs": 10, "data.label_noise": 0.4, "data.train_size": 128,
                                                  "optim.lr": 3e-3, "model.width": 128}))
    announcer = window.accessibility.announcer
    announcer.gap_s = 0.0
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    qtbot.waitUntil(lambda: not announcer.waiting, timeout=5000)
    assert announcer.said[1] == "validation loss turned up after epoch 3", announcer.said
    assert announcer.said[2].startswith("run finished after 10 epochs")
    assert "gap rising since epoch" in window.plots.plots["loss"].accessibleDescription()
