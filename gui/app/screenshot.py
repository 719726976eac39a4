"""--run-epochs N --screenshot PATH: train in the window, save a PNG of it, quit."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Slot


class ScreenshotDriver(QObject):
    def __init__(self, window, path: str, app):
        super().__init__(window)
        self.window, self.path, self.app = window, path, app
        self.exit_code = 1
        window.run_ended.connect(self._on_window_run_ended)

    @Slot()
    def start(self) -> None:
        if not self.window.start_run():
            print("error: could not start the run", file=sys.stderr)
            self.app.exit(1)

    @Slot(object)
    def _on_window_run_ended(self, result) -> None:
        QTimer.singleShot(200, lambda: self._grab(result))

    def _grab(self, result) -> None:
        self.window.plots.refresh()
        ok = self.window.grab().save(self.path)
        print(f"{result.reason}: {result.message}\n{self.path}")
        self.exit_code = 0 if ok and result.reason != "failed" else 1
        if not ok:
            print(f"error: could not write {self.path}", file=sys.stderr)
        self.window.close()
        QTimer.singleShot(0, lambda: self.app.exit(self.exit_code))
