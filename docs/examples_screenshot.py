"""Retake the README's screenshot of the Examples tab: the `overfit` run (40 epochs) with its
Examples tab showing, the most suspect example selected, in a 1280 x 720 window (Qt
offscreen unless a display is set).

    python docs/examples_screenshot.py docs/screenshot-examples.png [PRESET]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(png: str, preset: str = "overfit") -> int:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    import engine.experiments.experiment  # noqa: F401  (the app imports it in the background)
    from engine.core.config import load_preset
    from gui.window.main_window import MainWindow

    window = MainWindow(load_preset(preset), preset, runs_dir=tempfile.mkdtemp(), restore=False)
    window.resize(1280, 720)
    window.show()
    window.set_engine_ready()
    window.tabs.setCurrentWidget(window.examples_view)
    done = QEventLoop()
    window.run_ended.connect(done.quit)
    window.start_run()
    done.exec()
    view = window.examples_view
    view.select(int(view.tally.order()[0]))
    for _ in range(5):
        app.processEvents()
    window.grab().save(png)
    print(png)
    window.close()
    while window.any_thread_running():
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
