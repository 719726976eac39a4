"""Retake the README's screenshot of the evaluation tab: the `overfit` run evaluated once on
the locked test split, in a 1280 x 720 window (Qt offscreen unless a display is set), with
the gallery of its most confused pair (as a click on that cell of the matrix shows it).

    python docs/evaluation_screenshot.py docs/screenshot-evaluation.png
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(png: str) -> int:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    import engine.experiments.experiment  # noqa: F401  (the app imports it in the background)
    from engine.core.config import load_preset
    from gui.window.main_window import MainWindow

    window = MainWindow(load_preset("overfit"), "overfit", runs_dir=tempfile.mkdtemp(), restore=False)
    window.resize(1280, 720)
    window.show()
    window.set_engine_ready()
    for signal, act in ((window.run_ended, window.start_run), (window.test_shown, window.actions["test"].trigger)):
        done = QEventLoop()
        signal.connect(done.quit)
        act()
        done.exec()
    (a, b, _count), = window.test_result.most_confused(1)
    names = window.test_result.class_names
    window.evaluation.select_errors(names.index(a), names.index(b))
    window.evaluation.charts.setCurrentWidget(window.evaluation.gallery_box)
    page = QEventLoop()
    window.engine.worker.event_emitted.connect(lambda n, e: page.quit())  # the thumbnails
    page.exec()
    for _ in range(20):
        app.processEvents()
    ok = window.grab().save(png)
    window.close()
    while window.any_thread_running():
        app.processEvents()
    print(png if ok else f"error: could not write {png}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
