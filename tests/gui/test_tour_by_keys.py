"""Stepping the remedy tour by keys (issue 30, item 4): Experiments ▸ Next run of the plan (F6)
ends the run that trains now and the tour goes on with its next remedy; a single run has no
next run, and the entry says why it is off."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from engine.core import events as ev
from engine.runs.index import EXPERIMENT_FILE
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


def _wait_for_the_records_second_run(runs_dir: Path) -> None:
    """Block (the window hears nothing meanwhile) until the tour's experiment.json lists run 2."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for record in runs_dir.glob(f"*-tour-*/{EXPERIMENT_FILE}"):
            with contextlib.suppress(ValueError, OSError):
                if len(json.loads(record.read_text(encoding="utf-8"))["trials"]) >= 2:
                    return
        time.sleep(0.02)
    raise AssertionError("the tour's record never listed its second run")


def test_f6_pressed_again_as_the_first_run_ends_leaves_the_tour_going(qtbot, window, monkeypatch):
    """Review 30, finding 3: a second F6, pressed as the window shows the first run's end (a double
    press), came between two runs and ended the whole tour (or the next run at its first batch).
    Now it names the run it means, which is over: the dropout twin trains on."""
    import engine.experiments.plans as plans

    small = {"data.train_size": 200, "data.val_size": 200, "model.width": 32, "optim.epochs": 300,
             "run.device": "cpu"}
    original = plans.tour_plan
    monkeypatch.setattr("gui.controllers.experiments.tour_plan",
                        lambda: (lambda base, plan: (base.with_updates(small), plan))(*original()))
    window.settings_panel.set_config(tiny_config())
    started, finished, epochs, said = [], [], [], []
    window.run_started.connect(lambda e: started.append(window.settings_panel.preset_name()))
    plot = window.plots.plots["loss"]

    def on_finished(result):
        finished.append(result)
        if len(finished) == 1:
            # The second press, as run 1's end is shown and the tour has already gone on (its
            # record lists run 2), before the window has heard of run 2. The action itself: a key
            # sent from inside the window's event dispatch is not matched to shortcuts.
            _wait_for_the_records_second_run(window.runs_dir)
            action.trigger()
            said.append(window.status.label.text())

    window.router.subscribe(ev.RunFinished, on_finished)
    window.router.subscribe(ev.EpochMetrics, lambda e: epochs.append(len(finished)))
    action = _next_run(window)
    _focus(qtbot, window, plot)
    answered = []
    _answer_the_question_with_return(qtbot, answered)
    qtbot.keyClick(plot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: answered == ["Remedy tour"], timeout=10_000)
    qtbot.waitUntil(lambda: window.plots.step_loss.n > 0 and action.isEnabled(), timeout=RUN_TIMEOUT)
    _focus(qtbot, window, plot)

    qtbot.keyClick(plot, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: epochs.count(1) >= 3 or window.state == IDLE or len(finished) >= 2,
                    timeout=RUN_TIMEOUT)
    assert started == ["overfit", "dropout"] and len(finished) == 1  # the twin started and was not ended
    assert epochs.count(1) >= 3 and window.state == RUNNING  # it trains: the tour goes on
    assert len(said) == 1 and "run 1 has ended already" in said[0]  # and the window says why

    _answer_the_question_with_return(qtbot, answered)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        qtbot.keyClick(plot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
