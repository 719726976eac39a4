"""--run-epochs N --screenshot PATH: train in the window, save a PNG of it, quit. With a lesson
(--lesson FILE), each step's pause is revealed and passed at once, so the picture is of the run's
end with the last step reached, not of a window waiting for a class to answer."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Slot


class ScreenshotDriver(QObject):
    def __init__(self, window, path: str, app):
        super().__init__(window)
        self.window, self.path, self.app = window, path, app
        self.exit_code = 1
        window.run_ended.connect(self._on_window_run_ended)
        window.run_state.listen(self._on_state)

    def _on_state(self, state) -> None:
        lessons = getattr(self.window, "lessons", None)
        if state.state == "paused" and lessons is not None and lessons.lesson is not None:
            QTimer.singleShot(0, lambda: (lessons.reveal(), lessons.next_step()))

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
