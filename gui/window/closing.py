"""Closing the window while the engine thread works: stop the run, let the thread end,
then close for real. The GUI thread never blocks on QThread.wait() (that deadlocked a
prototype here: the worker still had Python to run and needed the GIL)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot


class CloseGuard(QObject):
    def __init__(self, window, engine, on_closing):
        super().__init__(window)
        self.window, self.engine, self.on_closing = window, engine, on_closing
        self.closing = False
        engine.thread.finished.connect(self._on_thread_finished)

    def allow_close(self) -> bool:
        """True: close now. False: the run is asked to stop and the window closes itself
        once the engine thread has ended (its run folder is flushed by then)."""
        if not self.engine.is_running():
            return True
        if not self.closing:
            self.closing = True
            self.on_closing()
            self.engine.quit()  # stops the run; the loop ends once the current slot returns
        return False

    @Slot()
    def _on_thread_finished(self) -> None:
        if self.closing:
            self.window.close()
