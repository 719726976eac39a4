"""Review 30's findings on lessons in the window: a search and a resumed experiment are refused
where they vary a locked setting, and Lessons ▸ Close lesson lets go of the panel."""

import json

from PySide6.QtWidgets import QFileDialog

from gui.window.run_state import IDLE
from tests.gui.conftest import RUN_TIMEOUT
from tests.gui.test_lessons_window import open_lesson


def test_a_search_varying_a_locked_setting_is_refused_naming_the_lesson(qtbot, window, tmp_path, monkeypatch):
    from gui.controllers.experiment_dialogs import SearchDialog

    open_lesson(window, tmp_path, monkeypatch)
    window.experiments.search(SearchDialog(window, "lesson-search"))  # its default space varies dropout, width
    qtbot.waitUntil(lambda: not window.search_view.off_thread.busy(), timeout=RUN_TIMEOUT)
    said = window.status_label.text()
    assert window.state == IDLE and "Class of images" in said and "locks it" in said, said


def test_resuming_an_experiment_whose_plan_varies_a_locked_setting_is_refused(qtbot, window, tmp_path, monkeypatch):
    open_lesson(window, tmp_path, monkeypatch)
    folder = tmp_path / "runs" / "curve-dropout"
    folder.mkdir(parents=True)
    base = window.settings_panel.config()  # the lesson's own settings: the plan alone varies dropout
    plan = [{"regularization.dropout": value, "run.seed": 0} for value in (0.0, 0.5)]
    (folder / "experiment.json").write_text(json.dumps({"base": base.to_dict(), "plan": plan, "kind": "curve"}),
                                            encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    window.menu_actions["Resume an interrupted experiment…"].trigger()
    said = window.status_label.text()
    assert window.state == IDLE and "regularization.dropout = 0.5" in said and "Class of images" in said, said


def test_close_lesson_lets_go_of_the_panel_so_a_preset_loads(qtbot, window, tmp_path, monkeypatch):
    open_lesson(window, tmp_path, monkeypatch)
    panel = window.settings_panel
    window.menu_actions["Close lesson"].trigger()
    assert not window.lessons.dock.isVisible() and panel.widgets["regularization.dropout"].isEnabled()
    assert panel.widgets["data.dataset"].isVisibleTo(panel)  # hidden no more
    panel.preset_box.setCurrentText("dropout")
    panel.preset_box.activated.emit(panel.preset_box.currentIndex())
    assert panel.value("regularization.dropout") > 0  # the preset's, no longer refused


def test_a_plans_runs_are_not_paused_by_the_lesson_and_f8_waits_for_the_reveal(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QInputDialog

    from gui.window.run_state import PAUSED

    open_lesson(window, tmp_path, monkeypatch)
    view, states = window.lessons.view, []
    window.run_state.listen(lambda state: states.append(state.state))
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (2, True))
    window.menu_actions["Cross-validate the panel's settings…"].trigger()  # two runs past the step's epoch
    assert window.state != IDLE
    qtbot.waitUntil(lambda: window.state in (IDLE, PAUSED), timeout=RUN_TIMEOUT)
    assert window.state == IDLE and PAUSED not in states and not view.question.isVisible()
    assert view.text.text() == "The network starts on the images."  # the lesson still at its first step
    # The lesson's own run pauses at its step; F8 (Next) waits for the reveal, as the disabled Next button does.
    window.activateWindow()
    window.actions["start"].trigger()
    qtbot.waitUntil(lambda: view.question.isVisible(), timeout=RUN_TIMEOUT)
    assert not window.menu_actions["Next step"].isEnabled() and window.menu_actions["Reveal"].isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_F8)
    assert view.question.text() == "Will validation accuracy beat 50 %?" and window.state == PAUSED
    qtbot.keyClick(window, Qt.Key.Key_F7)
    assert view.reveal.text().startswith("Validation accuracy ")
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_F8)  # now on: the run goes to its end


def test_a_lessons_question_and_reveal_are_spoken_and_its_text_reached_by_tab(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    open_lesson(window, tmp_path, monkeypatch)
    view, announcer = window.lessons.view, window.accessibility.announcer
    announcer.gap_s = 0  # each said at once
    window.actions["start"].trigger()
    qtbot.waitUntil(lambda: view.question.isVisible(), timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: any("Will validation accuracy beat 50 %?" in s for s in announcer.said), timeout=5000)
    assert any(s.startswith("Step 1 of 2: ") for s in announcer.said), announcer.said
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: view.reveal.text() in announcer.said, timeout=5000)
    for label in (view.text, view.question, view.reveal):
        assert label.focusPolicy() & Qt.FocusPolicy.TabFocus and label.accessibleName()
        assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByKeyboard
    assert window.lessons.dock.accessibleName() == "Lesson"
    window.session.stop()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
