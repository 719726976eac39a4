"""Stepping the remedy tour by keys (issue 30, item 4): Experiments ▸ Next run of the plan (F6)
ends the run that trains now and the tour goes on with its next remedy; a single run has no
next run, and the entry says why it is off."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from engine.core import events as ev
from gui.controllers.experiments import NEXT_RUN, NEXT_RUN_KEY
from gui.window.run_state import IDLE, RUNNING
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def _focus(qtbot, window, widget) -> None:
    window.activateWindow()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=5000)


def _answer_the_question_with_return(qtbot, answered: list) -> None:
    """The next modal question answered by Return on its default button."""
    def press():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(50, press)
            return
        answered.append(box.windowTitle())
        qtbot.keyClick(box, Qt.Key.Key_Return)
    QTimer.singleShot(50, press)


def _next_run(window) -> QAction:
    (action,) = [a for a in window.findChildren(QAction) if a.text() == NEXT_RUN]
    return action


def test_next_runs_key_collides_with_no_other_action_of_the_window(window):
    key = QKeySequence(NEXT_RUN_KEY)
    others = [a.text() for a in window.findChildren(QAction) if a.text() != NEXT_RUN
              and any(s.matches(key) == QKeySequence.SequenceMatch.ExactMatch for s in a.shortcuts())]
    assert _next_run(window).shortcut() == key
    assert others == []


def test_a_single_run_has_no_next_run_and_the_entry_says_why(qtbot, window):
    action = _next_run(window)
    assert not action.isEnabled() and "single run" in action.toolTip()
    window.settings_panel.set_config(tiny_config({"optim.epochs": 200}))
    plot = window.plots.plots["loss"]
    _focus(qtbot, window, plot)
    qtbot.keyClick(plot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Start
    qtbot.waitUntil(lambda: window.plots.step_loss.n > 0, timeout=RUN_TIMEOUT)
    assert window.state == RUNNING
    assert not action.isEnabled() and "single run" in action.toolTip()
    qtbot.keyClick(plot, Qt.Key.Key_F6)  # nothing to step to: the run goes on
    qtbot.wait(300)
    assert window.state == RUNNING and window.last_result is None
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        qtbot.keyClick(plot, Qt.Key.Key_Escape)


def test_the_remedy_tour_stepped_by_keys_alone(qtbot, window, monkeypatch):
    """Ctrl+T, Return (start the tour), F6 ends the first run (overfit) and the second (the
    dropout twin) starts and trains, then Esc and Return stop the plan: no mouse, no call of
    the window's methods."""
    import engine.experiments.plans as plans

    # Long runs: only the key can end the first one before the test's time runs out.
    small = {"data.train_size": 200, "data.val_size": 200, "model.width": 32, "optim.epochs": 300,
             "run.device": "cpu"}
    original = plans.tour_plan
    monkeypatch.setattr("gui.controllers.experiments.tour_plan",
                        lambda: (lambda base, plan: (base.with_updates(small), plan))(*original()))
    window.settings_panel.set_config(tiny_config())
    started, finished = [], []
    window.run_started.connect(lambda e: started.append(window.settings_panel.preset_name()))
    window.router.subscribe(ev.RunFinished, finished.append)
    action = _next_run(window)
    plot = window.plots.plots["loss"]
    _focus(qtbot, window, plot)
    answered = []
    _answer_the_question_with_return(qtbot, answered)
    qtbot.keyClick(plot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: answered == ["Remedy tour"], timeout=10_000)
    qtbot.waitUntil(lambda: window.plots.step_loss.n > 0 and action.isEnabled(), timeout=RUN_TIMEOUT)
    assert started == ["overfit"] and "next run" in action.toolTip()
    _focus(qtbot, window, plot)  # the question closed: the window is active again

    qtbot.keyClick(plot, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: len(started) >= 2, timeout=RUN_TIMEOUT)
    assert started == ["overfit", "dropout"]
    (first,) = finished
    assert first.reason == ev.USER_STOPPED and "ended to go on with the plan" in first.message
    assert first.epochs_completed < 300
    assert window.state == RUNNING and window.experiments.kind == "tour"
    qtbot.waitUntil(lambda: window.plots.step_loss.n > 0, timeout=RUN_TIMEOUT)  # the dropout twin trains

    _answer_the_question_with_return(qtbot, answered)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as ended:
        qtbot.keyClick(plot, Qt.Key.Key_Escape)
    assert answered == ["Remedy tour", "Stop the experiment?"]
    assert ended.args[0].reason == ev.USER_STOPPED
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    assert len(started) == 2 and not action.isEnabled()  # the plan ended there, with its second run
    assert [r.reason for r in finished] == [ev.USER_STOPPED, ev.USER_STOPPED]
    assert "ended to go on" not in finished[1].message  # the second was stopped, with the plan
