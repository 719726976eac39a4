"""View ▸ Language ▸ Restart now: the window closes as its close button would and starts again
with its own arguments only (runs folder, size, the lesson open now), so the panel comes back
as the user left it, not as the first launch's settings file had it. A user who keeps a live
run keeps the window, and is told the language applies at the next start."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from engine.core.config import resolve
from engine.core.lessons import read_lesson, shipped_lessons
from gui import dialogs
from gui.app.start import build_parser
from gui.window import language, language_menu
from gui.window.main_window import MainWindow
from tests.gui.test_language_choice import _answer


def _type(qtbot, window, key: str, text: str) -> None:
    field = window.settings_panel.widgets[key]
    window.activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    field.lineEdit().selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_restart_now_starts_again_with_the_window_arguments_and_the_panel_as_edited(qtbot, tmp_path, monkeypatch):
    settings_file = resolve(preset="overfit").with_updates({"optim.lr": 0.05}).save(tmp_path / "exp.toml")
    runs = tmp_path / "runs"
    # main.py exp.toml --set … --runs-dir … --size … --language fr, as gui.app.start opens it
    args = build_parser().parse_args([str(settings_file), "--set", "optim.epochs=7", "--runs-dir", str(runs),
                                      "--size", "1280x720", "--language", "fr"])
    window = MainWindow(resolve(args.file, None, args.set), None, runs_dir=args.runs_dir)
    window.launch_arguments = args
    qtbot.addWidget(window)
    window.show()
    _type(qtbot, window, "optim.lr", "0.0123")  # an edit made after the launch
    assert window.settings_panel.config().get("optim.lr") == 0.0123

    said = _answer(qtbot, "Restart now")
    window.menu_actions["Deutsch"].trigger()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    assert said and "Deutsch" in said[0] and "lesson" not in said[0]
    assert QSettings().value(language.LANGUAGE_KEY) == "de"
    started = []
    monkeypatch.setattr(language_menu.QProcess, "startDetached", lambda program, arguments: started.append(
        [program, *arguments]) or (True, 1))
    assert language_menu.restart_if_asked(window)  # what gui.app.start does once the event loop is over
    assert started == [window.restart_command]
    again = build_parser().parse_args(window.restart_command[2:])
    assert (again.runs_dir, again.size) == (str(runs), "1280x720")
    assert again.file is again.config is again.preset is again.set is again.language is None, again

    # The next start (no settings file, so the stored settings) shows the panel as it was left.
    reopened = MainWindow(None, None, runs_dir=again.runs_dir)
    qtbot.addWidget(reopened)
    assert reopened.settings_panel.config().get("optim.lr") == 0.0123
    assert reopened.settings_panel.config().get("optim.epochs") == 7


def test_restart_now_in_a_lesson_says_the_lesson_starts_again_and_reopens_it(qtbot, window):
    path = shipped_lessons()[0]
    lesson = read_lesson(path)
    window.lessons.show(lesson)  # as main.py --lesson opens it
    said = _answer(qtbot, "Restart now")
    window.menu_actions["Français"].trigger()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    assert said and f"The lesson “{lesson.title}” starts again at its first step." in said[0], said
    assert window.restart_command[-2:] == ["--lesson", str(path)]


def test_restart_now_refused_while_a_run_trains_keeps_the_window_and_says_when_the_language_applies(
        qtbot, long_run, monkeypatch):
    window = long_run
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: False)  # the quit question: keep the run
    said = _answer(qtbot, "Restart now")
    window.menu_actions["Deutsch"].trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    qtbot.wait(200)
    assert window.isVisible() and window.handle is not None and window.handle.busy
    assert window.restart_command is None and not language_menu.restart_if_asked(window)
    assert "Deutsch" in window.status.label.text() and "next start" in window.status.label.text()
    assert QSettings().value(language.LANGUAGE_KEY) == "de"
