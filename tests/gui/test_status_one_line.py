"""A failed start whose message is a traceback keeps the status bar one line tall: the
window's plots and settings keep their room, and a click on the line shows the whole text."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def test_a_traceback_in_the_status_line_keeps_the_bar_one_line_tall(qtbot, window, tmp_path):
    window.resize(1280, 720)
    bar = window.statusBar()
    before = bar.height()
    bad = tmp_path / "broken_net.py"
    bad.write_text("import torch\n\n\ndef helper():\n    raise ImportError('no module named lab_internal')\n\n\n"
                   "helper()\n")
    window.settings_panel.set_config(tiny_config({"model.file": f"{bad}:build"}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    window.error_dialog.close()
    line = window.status.label
    assert "\n" in line.text()  # the failure's traceback, several lines
    qtbot.wait(50)
    assert bar.height() <= before + 2, (bar.height(), before)
    assert line.height() < 2 * line.fontMetrics().height()
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
             and w.objectName() == "status_message"]
    assert boxes and "lab_internal" in boxes[0].text()
    boxes[0].close()
