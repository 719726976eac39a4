"""Closing the window while the engine thread works: ask first where a run is live (as
Stop does), stop the run, let the thread end, then close for real. The GUI thread never
blocks on QThread.wait() (that deadlocked a prototype here: the worker still had Python
to run and needed the GIL)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from engine.core.i18n import N_, _
from gui import dialogs

RUN_TEXT = N_("Stop the run in progress and quit? Its folder keeps the epochs so far and the weights it "
            "has reached.")
PLAN_TEXT = N_("Stop the experiment in progress and quit? The runs that have finished are kept; Resume in "
             "the Runs tab (or the same study's name, for a search) goes on with the rest.")


class CloseGuard(QObject):
    def __init__(self, window, engine, on_closing, live_job=lambda: None):
        """live_job(): the job a user would lose by closing, as (its RunControl, whether it
        is a plan of several runs), or None (nothing is training)."""
        super().__init__(window)
        self.window, self.engine, self.on_closing = window, engine, on_closing
        self.live_job = live_job
        self.closing = False
        engine.thread.finished.connect(self._on_thread_finished)

    def allow_close(self) -> bool:
        """True: close now. False: not confirmed, or the run is asked to stop and the window
        closes itself once the engine thread has ended (its run folder is flushed by then)."""
        if not self.engine.is_running():
            return True
        if not self.closing:
            if not self._confirmed():
                return False
            self.closing = True
            self.on_closing()
            self.engine.quit()  # stops the run; the loop ends once the current slot returns
        return False

    def _confirmed(self) -> bool:
        job = self.live_job()
        if job is None:
            return True
        control, plan = job
        was_paused = control.paused
        control.pause()  # nothing more happens while the question is open
        ok = dialogs.confirm(self.window, _("Quit while training?"), _(PLAN_TEXT) if plan else _(RUN_TEXT),
                             _("Stop and quit"))
        if not ok and not was_paused:
            control.resume()
        return ok

    @Slot()
    def _on_thread_finished(self) -> None:
        if self.closing:
            self.window.close()
