"""The status line names Start's key as the menus do, in the window's language: "Strg+…" in
German, never the English "Ctrl+Return" pasted into a German sentence."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

from gui.window import language


def test_the_ready_line_names_starts_key_in_the_windows_language(qapp, qtbot, tmp_path):
    from gui.window.main_window import MainWindow
    from tests.helpers import tiny_config

    language.install(qapp, "de")
    window = MainWindow(tiny_config(), runs_dir=tmp_path / "runs", restore=False)
    qtbot.addWidget(window)
    window.show()
    window.set_engine_ready()
    key = QKeySequence("Ctrl+Return").toString(QKeySequence.SequenceFormat.NativeText)
    assert key.startswith("Strg"), key  # Qt's own catalog names the key in German
    qtbot.waitUntil(lambda: key in window.status.label.text(), timeout=5000)
    assert "Ctrl+Return" not in window.status.label.text()
    assert window.actions["start"].shortcut().toString(QKeySequence.SequenceFormat.NativeText) == key
