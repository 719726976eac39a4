"""A run folder whose images are refused (its image folder changed since it trained) says why
in a box on the window, in full: the status line is elided to the window's width, and the
file that changed was past its "…"."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from tests.engine.test_provenance import cli, image_folder, image_settings
from tests.gui.conftest import RUN_TIMEOUT


def shown_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_a_refused_folder_says_which_file_moved_in_a_box(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "imgs"
    wrong = image_folder(folder)
    out = cli("train", "--config", image_settings(folder, tmp_path / "imgs.toml"), "--out", tmp_path / "headless")
    assert out.returncode == 0, out.stderr
    run = Path(out.stdout.strip().splitlines()[-1])
    shutil.move(wrong[0], folder / "light" / wrong[0].name)  # the user files a misfiled image where it belongs

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(run))
    window.examples_view.open_button.click()
    qtbot.waitUntil(lambda: bool(shown_boxes()), timeout=RUN_TIMEOUT)
    text = shown_boxes()[0].text()
    assert f"{run}'s data (data.path = {folder}) changed since it trained" in text
    assert f"dark/{wrong[0].name} is gone; light/{wrong[0].name} is new" in text
    assert "SplitChanged" not in text and "is not allowed" not in text


def test_the_clean_dialog_warns_of_a_run_that_has_not_learned_and_of_a_weaker_score(qtbot, window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog, QLabel

    from tests.helpers import tiny_config

    window.settings_panel.set_config(tiny_config({"data.label_noise": 0.1, "optim.epochs": 4, "optim.lr": 2e-5}))
    window.tabs.setCurrentWidget(window.examples_view)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    view = window.examples_view
    view.score_box.setCurrentText("forgetting")
    seen = {}

    poll = QTimer(QApplication.instance(), interval=20)  # the dialog's exec() blocks: answered from a timer

    def answer():
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog.windowTitle() == "Train without the suspects":
            poll.stop()
            warning = dialog.findChild(QLabel, "clean_warning")
            seen["shown"], seen["text"] = warning is not None and warning.isVisible(), warning.text() if warning else ""
            dialog.reject()

    qtbot.waitUntil(view.train_button.isEnabled, timeout=RUN_TIMEOUT)
    poll.timeout.connect(answer)
    poll.start()
    view.train_button.click()
    qtbot.waitUntil(lambda: "text" in seen, timeout=RUN_TIMEOUT)
    assert seen["shown"]
    assert "training examples, is more than half of them" in seen["text"]
    # The ranking's own AUROC against the labels corrupted on purpose (a run that has not learned:
    # near chance) is said, with the score to use instead.
    assert "this ranking by forgetting has an AUROC of 0." in seen["text"] and "--score aum" in seen["text"]
