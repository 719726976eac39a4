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
