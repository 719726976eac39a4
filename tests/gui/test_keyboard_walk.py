"""The whole window by keyboard (issue 30, item 4): Tab reaches every enabled control once and
comes back round, with no trap; the remedy tour is started, paused, resumed, followed from
run to run and stopped by keys alone."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

from engine.core import events as ev
from gui.window.run_state import IDLE, PAUSED, RUNNING
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

MAX_PRESSES = 400


# What a user operates, whatever focus policy it was given: a control made NoFocus or
# ClickFocus is still expected, so a walk that never reaches it fails (review 30, finding 12).
CONTROL_TYPES = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QAbstractSlider,
                 QAbstractItemView, QTabBar, QTextEdit, QPlainTextEdit, pg.PlotWidget)
# Parts of a control, not controls: a scroll bar (the view scrolls by keys), a view's header
# and corner button, a tab bar's scroll arrows, a combo's or a spin box's own line edit.
PARTS = (QScrollBar, QHeaderView)
COMPOSITES = (QAbstractSpinBox, QComboBox, QAbstractItemView, QTabBar)  # their own parts inside


def _controls(window) -> set:
    """Every enabled control in view, by its type (the widget that takes its focus)."""
    found = set()
    for w in window.findChildren(QWidget):
        if not (isinstance(w, CONTROL_TYPES) and w.isVisible() and w.isEnabled() and w.window() is window):
            continue
        parent = w.parentWidget()
        if isinstance(w, PARTS) or isinstance(parent, COMPOSITES) or type(w).__name__ == "QTableCornerButton":
            continue
        if isinstance(w, QAbstractButton) and isinstance(parent, QDockWidget):
            continue  # a dock's title buttons: View's entries show and hide the dock
        found.add(w.focusProxy() or w)
    return found


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
    missed = [f"{type(w).__name__} {w.accessibleName() or w.toolTip()[:40]!r}" for w in controls - set(walk)]
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


def test_tab_reaches_every_control_with_a_lesson_open_while_presenting(qtbot, window, tmp_path, monkeypatch):
    """The class's view (review 30, finding 12): a lesson open, Presentation on (the settings
    dock hidden, text larger), its run paused at the step's question. Tab reaches the step
    panel's buttons — Reveal, enabled now — each named, with every other control, and comes back
    round; F7 from the walk's place reveals and F8 goes on, as its buttons do."""
    from tests.gui.test_lessons_window import open_lesson

    window.resize(1280, 720)
    open_lesson(window, tmp_path, monkeypatch)
    view = window.lessons.view
    qtbot.waitUntil(view.isVisible, timeout=5000)
    window.menu_actions["Presentation"].trigger()
    assert window.presentation.on and not window.dock.isVisible()
    plot = window.plots.plots["loss"]
    _focus(qtbot, window, plot)
    qtbot.keyClick(plot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Start
    qtbot.waitUntil(lambda: view.question.isVisible() and window.state == PAUSED, timeout=RUN_TIMEOUT)

    controls = _controls(window)
    lesson_buttons = {w for w in controls if view.isAncestorOf(w)}
    assert view.reveal_button in lesson_buttons and view.reset_button in lesson_buttons
    walk = tab_walk(qtbot, window, plot)
    assert len(walk) == len(set(walk)), [w.accessibleName() for w in walk if walk.count(w) > 1]
    missed = [f"{type(w).__name__} {w.accessibleName() or w.toolTip()[:40]!r}" for w in controls - set(walk)]
    assert not missed, missed
    unnamed = [f"{type(w).__name__} {w.objectName()!r}" for w in walk if not w.accessibleName().strip()]
    assert not unnamed, unnamed
    assert [w.accessibleName() for w in walk if w in lesson_buttons][:1] == ["Reveal"]  # in the panel's order

    _focus(qtbot, window, view.reveal_button)
    qtbot.keyClick(view.reveal_button, Qt.Key.Key_F7)  # Reveal
    assert view.reveal.text().startswith("Validation accuracy ")
    assert view.next_button.isEnabled() and view.next_button in tab_walk(qtbot, window, plot)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F8)  # Next step: the run goes on to its end
    window.menu_actions["Presentation"].trigger()
