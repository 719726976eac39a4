"""Work that may block (opening a study's storage, reading its trials, computing parameter
importances) done on a pool thread, its result handed back on the GUI thread.

The result travels as a queued signal to a slot of a QObject that lives in the GUI thread
(a signal connected to a plain function would run it on the pool thread); the callback
then runs there, so it may touch widgets. The work itself must never touch a widget."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot


class OffThread(QObject):
    _arrived = Signal(int, object)  # (job, its result or the exception it raised)
    idle = Signal()  # the last job submitted has been handed back

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one job at a time, in order: a storage is used by one thread
        self._pending: dict[int, Callable] = {}
        self._numbers = itertools.count()
        self._arrived.connect(self._on_arrived, Qt.ConnectionType.QueuedConnection)

    def submit(self, work: Callable[[], object], then: Callable[[object], None]) -> None:
        """Run work() on the pool thread; then(result) on the GUI thread (an exception
        work raised is passed as the result)."""
        number = next(self._numbers)
        self._pending[number] = then

        def job() -> None:
            try:
                result = work()
            except Exception as exc:  # handed over, never lost on the pool thread
                result = exc
            except BaseException as exc:  # (SystemExit, KeyboardInterrupt): as an error, never as a result
                result = RuntimeError(f"{type(exc).__name__}: {exc}")
            self._arrived.emit(number, result)

        self._pool.start(job)

    def drop_callbacks(self) -> None:
        """Closing: work on its way still finishes (and `idle` is still told), but what was to
        follow it (starting a search, attaching a study, a warning box) does not happen."""
        self._pending = dict.fromkeys(self._pending)

    def busy(self) -> bool:
        return bool(self._pending)

    def wait(self, ms: int = 15000) -> bool:
        """Until the pool is idle (closing); True when it is."""
        return self._pool.waitForDone(ms)

    @Slot(int, object)
    def _on_arrived(self, number: int, result: object) -> None:
        then = self._pending.pop(number, None)
        if then is not None:
            then(result)
        if not self._pending:
            self.idle.emit()
