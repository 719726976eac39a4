"""The whole window by keyboard (issue 30, item 4): Tab reaches every enabled control once and
comes back round, with no trap; the remedy tour is started, paused, resumed, followed from
run to run and stopped by keys alone."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from engine.core import events as ev
from gui.window.run_state import IDLE, PAUSED, RUNNING
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

MAX_PRESSES = 400


def _controls(window) -> set:
    """Every enabled control in view that takes focus by Tab, as Qt sees them."""
    return {w for w in window.findChildren(QWidget)
            if w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
            and w.focusProxy() is None and w.window() is window}


def _focus(qtbot, window, widget) -> None:
    window.activateWindow()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=5000)


def tab_walk(qtbot, window, first) -> list:
    """Tab from `first` until the focus comes back to it; the widgets focused on the way."""
    _focus(qtbot, window, first)
    walk = [first]
    for _ in range(MAX_PRESSES):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        if now is first:
            return walk
        walk.append(now)
    raise AssertionError(f"Tab never came back to {first.accessibleName()!r} in {MAX_PRESSES} presses: "
                         f"stuck in {[w.accessibleName() for w in walk[-5:]]}")


def test_tab_reaches_every_enabled_control_once_each_named_and_comes_back_round(qtbot, window):
    """After a run (the comparison table has rows): each control once, a name for each; the
    table is one stop, not one per cell. Before: 9 controls had a name."""
    from engine.runs.reader import list_runs

    window.resize(1280, 720)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    assert window.plots.table.rowCount() >= 1
    (reference,) = list_runs(window.runs_dir)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.experiments.twin(reference)  # the Experiment tab's tables get rows (Compare with… asks for a folder)
    qtbot.waitUntil(lambda: window.experiment_view.table.rowCount() == 2, timeout=10_000)
    window.tabs.setCurrentWidget(window.plots)
    controls = _controls(window)
    first = window.settings_panel.widgets["data.dataset"]
    walk = tab_walk(qtbot, window, first)
    repeated = {w.accessibleName() or type(w).__name__ for w in walk if walk.count(w) > 1}
    assert not repeated, repeated
    missed = [f"{type(w).__name__} {w.accessibleName()!r}" for w in controls - set(walk)]
    assert not missed, missed
    unnamed = [f"{type(w).__name__} {w.objectName()!r}" for w in walk if not w.accessibleName().strip()]
    assert not unnamed, unnamed
    plots = [w for w in walk if isinstance(w, pg.PlotWidget)]
    assert len(plots) >= 4 and all(p.accessibleDescription().startswith("epoch 2:") for p in plots[:2])
    print(f"Tab walk: {len(walk)} stops, every one named, back to the first")

    tabs = window.tabs
    seen = [tabs.tabText(tabs.currentIndex())]
    while True:  # each other tab, chosen with → on the tab bar, walked the same way
        bar = next(w for w in walk if w is tabs.tabBar())
        _focus(qtbot, window, bar)
        qtbot.keyClick(bar, Qt.Key.Key_Right)
        if tabs.tabText(tabs.currentIndex()) in seen:
            break
        seen.append(tabs.tabText(tabs.currentIndex()))
        qtbot.wait(50)
        controls = _controls(window)
        walk = tab_walk(qtbot, window, first)
        assert len(walk) == len(set(walk)), seen[-1]
        assert not controls - set(walk), (seen[-1], [w.accessibleName() for w in controls - set(walk)])
        assert all(w.accessibleName().strip() for w in walk), seen[-1]
    assert seen == [tabs.tabText(i) for i in range(tabs.count()) if tabs.isTabEnabled(i)]


def _answer_the_question_with_return(qtbot, answered: list) -> None:
    """The next modal question (the tour's "Start the tour", the plan's "Stop") answered by
    Return on its default button, as a user at the keyboard does."""
    def press():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(50, press)
            return
        answered.append(box.windowTitle())
        qtbot.keyClick(box, Qt.Key.Key_Return)
    QTimer.singleShot(50, press)


def test_the_remedy_tour_by_keys_alone(qtbot, window, monkeypatch):
    """Ctrl+T, Return (start the tour), Space (pause), Space (resume), the tour steps to its
    next remedy, Esc and Return (stop the experiment): no mouse, no call of the window's methods."""
    import engine.experiments.plans as plans

    # Runs long enough that the Esc below meets the second one (with 3 epochs a busy machine
    # could start a third remedy first); the plan's end is what is asserted, not which run it cut.
    small = {"data.train_size": 200, "data.val_size": 200, "model.width": 32, "optim.epochs": 30,
             "run.device": "cpu"}
    original = plans.tour_plan
    monkeypatch.setattr("gui.controllers.experiments.tour_plan",
                        lambda: (lambda base, plan: (base.with_updates(small), plan))(*original()))
    window.settings_panel.set_config(tiny_config())
    started = []
    window.run_started.connect(lambda e: started.append(window.settings_panel.preset_name()))
    plot = window.plots.plots["loss"]  # the keyboard's place: a plot, which takes focus
    _focus(qtbot, window, plot)
    answered = []
    _answer_the_question_with_return(qtbot, answered)
    qtbot.keyClick(plot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: answered == ["Remedy tour"], timeout=10_000)
    qtbot.waitUntil(lambda: window.plots.step_loss.n > 0, timeout=RUN_TIMEOUT)
    assert window.state == RUNNING and window.experiments.kind == "tour"
    # The question closed: the window is active again (the window manager's part, offscreen ours).
    _focus(qtbot, window, plot)
    qtbot.keyClick(plot, Qt.Key.Key_Space)
    assert window.state == PAUSED
    qtbot.keyClick(plot, Qt.Key.Key_Space)
    assert window.state == RUNNING
    qtbot.waitUntil(lambda: len(started) >= 2, timeout=RUN_TIMEOUT)  # the tour's next remedy
    assert started[:2] == ["overfit", "dropout"]
    _answer_the_question_with_return(qtbot, answered)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as ended:
        qtbot.keyClick(plot, Qt.Key.Key_Escape)
    assert answered == ["Remedy tour", "Stop the experiment?"]
    assert ended.args[0].reason == ev.USER_STOPPED
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    assert window.experiments.kind == "" and len(started) < len(original()[1])  # the plan ended before its end
    said = window.accessibility.announcer
    assert any("stopped" in t for t in said.said + said.waiting)
