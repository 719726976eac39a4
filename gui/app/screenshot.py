"""--run-epochs N --screenshot PATH: train in the window, save a PNG of it, quit. With a lesson
(--lesson FILE), each step's pause is revealed and passed at once, so the picture is of the run's
end with the last step reached, not of a window waiting for a class to answer."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Slot

from gui.panels.lesson_panel import ASKING


class ScreenshotDriver(QObject):
    def __init__(self, window, path: str, app):
        super().__init__(window)
        self.window, self.path, self.app = window, path, app
        self.exit_code = 1
        window.run_ended.connect(self._on_window_run_ended)
        window.run_state.listen(lambda _state: self._pass_a_pause_soon())
        lessons = getattr(window, "lessons", None)
        if lessons is not None:
            lessons.asked.connect(self._pass_a_pause_soon)

    def _pass_a_pause_soon(self) -> None:
        QTimer.singleShot(0, self._pass_a_pause)

    def _pass_a_pause(self) -> None:
        """A lesson's step asking its question at a paused run: revealed and passed. Both must
        have happened, in either order: the engine's pause at the step's epoch and the window's
        showing that epoch (and asking) come in either order, and passing it on the pause alone
        left the run paused for good when the question came after (a scripted lesson waited
        until it was killed)."""
        lessons = getattr(self.window, "lessons", None)
        if lessons is None or lessons.lesson is None or lessons.phase != ASKING:
            return
        if self.window.run_state.state == "paused":
            lessons.reveal()
            lessons.next_step()

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
