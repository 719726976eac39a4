"""Choosing the window's language: View ▸ Language (kept for the next start), --language
(wins over the kept choice; an unknown code names the shipped ones and opens in English), and
Qt's own buttons follow the language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.core import i18n
from gui.window import language

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {"es": "Español", "fr": "Français", "pt_BR": "Português (Brasil)", "de": "Deutsch", "zh_CN": "简体中文"}


def _answer(qtbot, button_text: str):
    """Click `button_text` in the next modal box (a real click on its button)."""
    clicked = []

    def click():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(50, click)
            return
        for button in box.buttons():
            if button.text().replace("&", "") == button_text:
                clicked.append(box.text() + "\n" + box.informativeText())
                qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
                return
        box.reject()

    QTimer.singleShot(50, click)
    return clicked


def _submenu(window, title: str):
    for action in window.menuBar().actions():
        menu = action.menu()
        for entry in menu.actions() if menu else []:
            if entry.menu() is not None and entry.text().replace("&", "") == title:
                return entry.menu()
    raise AssertionError(f"no submenu {title!r}")


def test_view_language_lists_each_shipped_language_by_its_own_name_and_keeps_the_choice(qtbot, window):
    menu = _submenu(window, "Language")
    names = {a.text(): a for a in menu.actions()}
    assert set(SHIPPED.values()) | {"English"} <= set(names), names
    assert names["English"].isChecked() and not names["Deutsch"].isChecked()
    said = _answer(qtbot, "Later")
    names["Deutsch"].trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    assert "Deutsch" in said[0] and "next start" in said[0]
    assert QSettings().value(language.LANGUAGE_KEY) == "de"
    assert "Deutsch" in window.status.label.text()
    assert names["Deutsch"].isChecked() and not names["English"].isChecked()
    assert language.choose(None) == ("de", None)  # what the next start reads
    assert language.choose("fr") == ("fr", None)  # --language wins over the kept choice


def test_qt_standard_buttons_follow_the_language(qapp):
    language.install(qapp, "de")
    box = QMessageBox(QMessageBox.Icon.Question, "t", "x",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Cancel)
    texts = {b.text().replace("&", "") for b in box.buttons()}
    assert {"Ja", "Nein", "Abbrechen"} <= texts, texts
    language.install(qapp, "fr")
    box = QMessageBox(QMessageBox.Icon.Question, "t", "x", QMessageBox.StandardButton.Cancel)
    assert box.buttons()[0].text().replace("&", "") == "Annuler"


def _launch(tmp_path, *args, kept: str | None = None):
    """main.py as a user starts it (a scripted screenshot), with its own home: the kept choice
    in the file Qt keeps it in, the log in the user's log folder."""
    home = tmp_path / "home"
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_STATE_HOME=str(home / ".state"), XDG_CACHE_HOME=str(home / ".cache"), QT_QPA_PLATFORM="offscreen")
    env.pop(i18n.EXTRA_LOCALES_ENV, None)
    if kept:
        conf = home / ".config" / "OverfitLab" / "Overfit Lab.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(f"[view]\nlanguage={kept}\n", encoding="utf-8")
    shot = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "main.py", "--preset", "overfit", "--set", "data.train_size=64",
                           "--set", "data.val_size=64", "--run-epochs", "1", "--screenshot", str(shot),
                           "--size", "1280x720", "--runs-dir", str(tmp_path / "runs"), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    logs = "".join(p.read_text(encoding="utf-8") for p in home.rglob("overfit-lab.log*"))
    return proc, logs, shot


def test_the_next_start_speaks_the_kept_language_and_the_command_line_wins(tmp_path):
    proc, logs, shot = _launch(tmp_path, kept="de")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "speaking de (numbers as de_DE)" in logs and shot.is_file()
    proc, logs, _shot = _launch(tmp_path, "--language", "fr", kept="de")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "speaking fr (numbers as fr_FR)" in logs.split("starting")[-1]


def test_an_unknown_language_names_the_shipped_ones_and_opens_in_english(tmp_path):
    proc, logs, shot = _launch(tmp_path, "--language", "tlh")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "tlh" in proc.stderr and "Opening in English" in proc.stderr
    for code, name in SHIPPED.items():
        assert f"{code} ({name})" in proc.stderr, proc.stderr
    assert "speaking en" in logs and shot.is_file()
