"""A lesson in the window, driven as a teacher drives it: the Lessons menu, the step panel's
buttons, the settings panel, File ▸ Open settings…, the preset picker, --lesson FILE."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from engine.core import events as ev
from engine.core.lesson_figures import format_figure
from gui.window.run_state import IDLE, PAUSED
from tests.gui.conftest import RUN_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]

LESSON = """\
schema_version = 1

[lesson]
title = "Class of images"
hide = ["data.dataset"]
lock = ["regularization.dropout", "model.width"]

[[lesson.step]]
text = "The network starts on the images."
pause_at = 2
question = "Will validation accuracy beat 50 %?"
reveal = "Validation accuracy {final_val} at epoch {epoch}; training {final_train}."
expect = "final_val > 0.3"

[[lesson.step]]
text = "On to the end."
question = "Better or worse by the end?"
reveal = "Best {best_val}, at epoch {best_val_epoch}."

[data]
train_size = 256
val_size = 256
label_noise = 0.1

[model]
width = 16

[optim]
epochs = 12
batch_size = 16

[run]
device = "cpu"
"""


def open_lesson(window, tmp_path, monkeypatch, text=LESSON) -> Path:
    path = tmp_path / "class_lesson.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.menu_actions["Open lesson…"].trigger()
    return path


def epochs_written(run_dir) -> dict[int, dict]:
    lines = (Path(run_dir) / "metrics.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return {r["epoch"]: r for r in rows if r.get("type") == "epoch"}


def test_a_lesson_hides_and_locks_its_settings_naming_itself(qtbot, window, tmp_path, monkeypatch):
    open_lesson(window, tmp_path, monkeypatch)
    panel, view = window.settings_panel, window.lessons.view
    assert window.lessons.dock.isVisible() and view.text.text() == "The network starts on the images."
    assert view.title.font().pointSizeF() >= 20 and view.text.font().pointSizeF() >= 18  # a projector's back row
    dropout = panel.widgets["regularization.dropout"]
    assert not dropout.isEnabled() and "Class of images" in dropout.toolTip()
    assert not panel.widgets["data.dataset"].isVisibleTo(panel)  # hidden
    assert panel.widgets["data.train_size"].isVisibleTo(panel) and panel.widgets["run.seed"].isEnabled()
    window.session.reset()  # the run state changes: the lock stays
    window.run_state.change(engine_ready=True)
    assert not dropout.isEnabled()


def test_a_locked_setting_is_refused_from_a_file_a_preset_and_an_edit(qtbot, window, tmp_path, monkeypatch):
    open_lesson(window, tmp_path, monkeypatch)
    panel = window.settings_panel
    # A hand-edited settings file that changes a locked setting: refused, the screen unchanged.
    edited = tmp_path / "edited.toml"
    edited.write_text("[regularization]\ndropout = 0.5\n[data]\ntrain_size = 500\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(edited), ""))
    window.menu_actions["Open settings…"].trigger()
    said = window.settings_files.dialog.text()
    assert "regularization.dropout = 0.5" in said and "Class of images" in said, said
    assert panel.value("regularization.dropout") == 0.0 and panel.value("data.train_size") == 256
    # The preset picker: the dropout preset changes a locked setting.
    panel.preset_box.setCurrentText("dropout")
    panel.preset_box.activated.emit(panel.preset_box.currentIndex())
    assert "Class of images" in window.lessons.dialog.text()
    assert panel.value("data.train_size") == 256 and panel.value("regularization.dropout") == 0.0
    # An edit that reaches the field all the same (a key, a script): put back, and said.
    panel.widgets["model.width"].setValue(64)
    assert panel.value("model.width") == 16
    assert "model.width = 64" in window.lessons.dialog.text()
    # A setting the lesson does not lock is the user's.
    panel.widgets["run.seed"].setValue(7)
    assert panel.config().run.seed == 7


def test_a_lesson_pauses_at_its_step_asks_and_reveals_the_runs_figures(qtbot, window, tmp_path, monkeypatch):
    open_lesson(window, tmp_path, monkeypatch)
    view = window.lessons.view
    assert not view.question.isVisible() and not view.reveal_button.isEnabled()
    paused = []
    window.router.subscribe(ev.Paused, paused.append)
    # The window busy after epoch 1 (a redraw, a slow machine): the engine still pauses on time.
    window.epoch_shown.connect(lambda m: time.sleep(1.5) if m.epoch == 1 else None)
    window.actions["start"].trigger()
    qtbot.waitUntil(lambda: view.question.isVisible() and bool(paused), timeout=RUN_TIMEOUT)
    assert window.state == PAUSED  # paused at the step's epoch for the question
    assert paused[0].epoch == 3 and paused[0].step == 2 * 256 // 16  # before epoch 3's first batch
    # The status line names the epoch as the step does ("pauses at epoch 2"), not the one to come.
    qtbot.waitUntil(lambda: "paused at step 32, after epoch 2" in window.status_label.text(), timeout=10_000)
    assert view.question.text() == "Will validation accuracy beat 50 %?" and view.reveal.text() == ""
    qtbot.mouseClick(view.reveal_button, Qt.MouseButton.LeftButton)
    epoch2 = epochs_written(window.exports.run_dir)[2]
    expected = (f"Validation accuracy {format_figure('final_val', epoch2['val_accuracy'])} at epoch 2; "
                f"training {format_figure('final_train', epoch2['train_accuracy'])}.")
    assert view.reveal.text() == expected
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)  # on to the next step: the run resumes
    qtbot.waitUntil(lambda: view.question.text() == "Better or worse by the end?", timeout=RUN_TIMEOUT)
    qtbot.mouseClick(view.reveal_button, Qt.MouseButton.LeftButton)
    epochs = epochs_written(window.exports.run_dir)
    assert len(epochs) == 12
    best = max(epochs.values(), key=lambda e: e["val_accuracy"])
    assert view.reveal.text() == f"Best {format_figure('best_val', best['val_accuracy'])}, at epoch {best['epoch']}."
    assert view.next_button.text() == "Finish"
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert view.where.text() == "The lesson is over."


def test_a_lesson_is_stepped_by_keys_alone(qtbot, window, tmp_path, monkeypatch):
    open_lesson(window, tmp_path, monkeypatch)
    view = window.lessons.view
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Start
    qtbot.waitUntil(lambda: view.question.isVisible(), timeout=RUN_TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_F7)  # Reveal
    assert view.reveal.text().startswith("Validation accuracy ")
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_F8)  # Next step: the run goes on to its end
    qtbot.waitUntil(lambda: view.question.text() == "Better or worse by the end?", timeout=RUN_TIMEOUT)


def test_reset_goes_back_to_the_lessons_start(qtbot, window, tmp_path, monkeypatch):
    open_lesson(window, tmp_path, monkeypatch)
    view, panel = window.lessons.view, window.settings_panel
    window.actions["start"].trigger()
    qtbot.waitUntil(lambda: view.question.isVisible(), timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.menu_actions["Reset to the lesson's start"].trigger()  # a paused run is stopped first
    qtbot.waitUntil(lambda: window.state == IDLE and not view.question.isVisible(), timeout=RUN_TIMEOUT)
    assert view.text.text() == "The network starts on the images." and window.plots.step_loss.n == 0  # plots cleared
    panel.widgets["run.seed"].setValue(9)
    qtbot.mouseClick(view.reset_button, Qt.MouseButton.LeftButton)
    assert panel.value("run.seed") == 0 and not panel.widgets["regularization.dropout"].isEnabled()


def test_the_shipped_lessons_are_in_the_menu(qtbot, window):
    for title in ("Memorizing", "The remedies", "Which examples were memorized?", "Is it just overfitting?"):
        assert title in window.menu_actions, title
    window.menu_actions["The remedies"].trigger()
    assert window.settings_panel.value("regularization.dropout") == 0.5
    assert window.lessons.view.title.text() == "The remedies"


def test_a_bad_lesson_opened_from_the_menu_is_named_with_its_line(qtbot, window, tmp_path, monkeypatch):
    open_lesson(window, tmp_path, monkeypatch, LESSON.replace("{best_val_epoch}", "{best_epoch}"))
    said = window.lessons.dialog.text()
    assert "line 18" in said and "lesson.step[2].reveal" in said and "best_epoch" in said, said
    assert not window.lessons.dock.isVisible()


def test_the_window_opens_a_lesson_given_on_its_command_line_refusing_a_locked_set(tmp_path):
    path = tmp_path / "l.toml"
    path.write_text(LESSON, encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_STATE_HOME=str(tmp_path / "state"))
    for args in (["--lesson", str(path)], [str(path)]):  # --lesson, and the file a double-click gives
        done = subprocess.run([sys.executable, "main.py", *args, "--set", "model.width=64"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and "model.width = 64" in done.stderr and "Class of images" in done.stderr


def test_an_experiment_that_would_change_a_locked_setting_is_refused(qtbot, window, tmp_path, monkeypatch):
    from gui import dialogs

    open_lesson(window, tmp_path, monkeypatch)
    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: True)
    window.menu_actions["Remedy tour (overfit, then each remedy as its twin)"].trigger()  # its twins change dropout
    assert window.state == IDLE
    said = window.status_label.text()
    assert "cannot start" in said and "Class of images" in said and "locks it" in said, said


def test_a_step_answered_at_once_is_not_paused_again_by_the_engines_late_pause(qtbot, window, tmp_path,
                                                                                monkeypatch):
    """The window is told of an epoch before the engine's pause for it is made: a step asked,
    revealed and passed at once (`--lesson … --screenshot` does so) resumed the run, then the
    engine's pause came and held it paused for good (a scripted lesson hung until killed)."""
    from engine.experiments.lesson_check import PauseAtEpochs

    on_epoch_end = PauseAtEpochs.on_epoch_end

    def late(self, trainer, metrics):  # a busy training thread: the step's question is answered first
        deadline = time.monotonic() + 60
        while metrics.epoch == 2 and window.lessons.index != 1 and time.monotonic() < deadline:
            time.sleep(0.01)  # (the training thread: it waits, the window goes on)
        on_epoch_end(self, trainer, metrics)

    monkeypatch.setattr(PauseAtEpochs, "on_epoch_end", late)
    open_lesson(window, tmp_path, monkeypatch)
    view = window.lessons.view
    window.actions["start"].trigger()
    qtbot.waitUntil(view.reveal_button.isEnabled, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(view.reveal_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert len(epochs_written(window.exports.run_dir)) == 12
