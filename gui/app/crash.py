"""Unhandled exceptions, on any thread: to the log file and to a dialog in the window."""

from __future__ import annotations

import logging
import sys
import threading

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox

from engine.core.i18n import _

log = logging.getLogger("overfit_lab")


class CrashReporter(QObject):
    reported = Signal(str, str)  # summary, traceback

    def __init__(self, window, log_path):
        super().__init__(window)
        self.window, self.log_path = window, log_path
        self.dialogs: list[QMessageBox] = []
        self.reported.connect(self._on_reported)  # queued when emitted off the GUI thread

    def install(self) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook

    def _excepthook(self, exc_type, exc, tb) -> None:
        self._report(exc_type, exc, tb)

    def _thread_excepthook(self, args) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        self._report(args.exc_type, args.exc_value, args.exc_traceback, name)

    def _report(self, exc_type, exc, tb, thread: str | None = None) -> None:
        import traceback

        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unhandled exception%s:\n%s", f" in thread {thread}" if thread else "", text)
        if sys.stderr is not None:
            print(text, file=sys.stderr)
        error = f"{exc_type.__name__}: {exc}"
        # i18n: {error} is the exception's type and message, {thread} the name of the thread it was raised in
        self.reported.emit(_("{error} in thread {thread}").format(error=error, thread=thread) if thread else error, text)

    @Slot(str, str)
    def _on_reported(self, summary: str, details: str) -> None:
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(_("Overfit Lab: unexpected error"))
        paragraphs = [_("Something went wrong inside Overfit Lab. Your runs so far are saved."), summary]
        if self.log_path:
            paragraphs.append(_("The details are also in the log: {path}").format(path=self.log_path))
        box.setText("\n\n".join(paragraphs))
        box.setDetailedText(details)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialogs.append(box)
        box.open()
