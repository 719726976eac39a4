"""The only bridge between the window and the engine: one worker on one long-lived QThread.

All torch work of the window happens on a single engine thread that lives as long as the
window. One thread, not one per run: torch's OpenMP pool belongs to the thread that
computes, and a run on a second computing thread trained at ~0.6x the first here (most
likely because the extra pool's idle workers make OpenMP spin less and sleep more).

One worker object, too, created on the GUI thread, moved to the engine thread once and
destroyed on the GUI thread after that thread has ended. Destroying a Python-made QObject
on the engine thread deadlocked here: Qt holds its connection lock while asking the
wrapper for the GIL, which the GUI thread holds while it waits for that lock.

Python's cyclic garbage collector runs on whichever thread happens to allocate, and the
engine thread allocates the most: left alone, it frees the window's discarded plot items
on the engine thread, which crashed and deadlocked Qt here. The window therefore turns
automatic collection off and collects on a GUI-thread timer (pyqtgraph's
GarbageCollector), see `collect_garbage_on_the_gui_thread`.

Engine events cross to the GUI thread as queued signals carrying the run's number and
the plain event object. Requests go the other way through the run's RunControl directly
(thread-safe), never through a queued slot into the busy worker.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine import events as ev
from engine.callbacks import Callback
from engine.config import Config
from engine.control import RunControl

_numbers = itertools.count(1)
_collector = None


def collect_garbage_on_the_gui_thread() -> None:
    """Once per process, from the GUI thread: cyclic garbage is collected only there.

    Automatic collection stops now; the GUI-thread timer starts with the first
    `freeze_startup_objects`, once the engine is imported. Collecting while torch's
    ~300,000 objects are being created would stall the window and slow the import, and
    none of them is garbage."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=0.5)
        _collector.timer.stop()


def freeze_startup_objects() -> None:
    """Once the engine (torch) is imported: move its long-lived objects out of the
    collector's sight (gc.freeze), so a full collection takes ~0 ms instead of ~100, then
    collect on the GUI thread's timer from here on."""
    import gc

    gc.freeze()
    if _collector is not None and not _collector.timer.isActive():
        _collector.timer.start()


@dataclass(eq=False)
class RunHandle:
    """One run as the GUI thread sees it. `trainer` is set on the engine thread."""

    config: Config
    runs_dir: Path | str | None = None
    number: int = field(default_factory=lambda: next(_numbers))
    control: RunControl = field(default_factory=RunControl)
    trainer: object = None
    busy: bool = False  # the engine thread has work queued or running for this run

    def shutdown(self) -> None:
        """Ask a live run to stop (also when paused)."""
        self.control.request_stop()
        self.control.resume()


class _SignalCallback(Callback):
    """Forwards every engine event to a Qt signal (emitted on the engine thread)."""

    def __init__(self, signal, number: int):
        self._signal = signal
        self._number = number

    def on_event(self, event) -> None:
        self._signal.emit(self._number, event)


class EngineWorker(QObject):
    """Lives on the engine thread; trains one run at a time, evaluates the last one once."""

    event_emitted = Signal(int, object)  # run number, any engine event
    run_finished = Signal(int, object)  # run number, RunFinished
    test_evaluated = Signal(int, object)  # run number, TestEvaluated or an Exception

    def __init__(self):
        super().__init__()
        self._last: RunHandle | None = None

    @Slot(object)
    def run(self, handle: RunHandle) -> None:
        result = None
        self._last = None  # the previous run's tensors can go
        try:
            from engine.trainer import Trainer  # imports torch: on this thread, not the GUI's

            handle.trainer = Trainer(handle.config, control=handle.control, runs_dir=handle.runs_dir,
                                     callbacks=[_SignalCallback(self.event_emitted, handle.number)])
            self._last = handle
            result = handle.trainer.fit()
        except BaseException as exc:  # fit() reports its own failures; this is the last net
            result = ev.RunFinished(reason=ev.FAILED, message=f"{type(exc).__name__}: {exc}",
                                    epochs_completed=0, step=0, best_epoch=None, best_value=None,
                                    run_dir=None, traceback=traceback.format_exc())
        finally:
            self.run_finished.emit(handle.number, result)

    @Slot(object)
    def evaluate_test(self, handle: RunHandle) -> None:
        try:
            if handle.trainer is None or self._last is not handle:
                raise RuntimeError("only the latest finished run can be evaluated")
            self.test_evaluated.emit(handle.number, handle.trainer.evaluate_test())
        except Exception as exc:
            self.test_evaluated.emit(handle.number, exc)


class Engine(QObject):
    """Owned by the window (GUI thread): the engine thread, its worker, and the requests."""

    _run_requested = Signal(object)
    _evaluate_requested = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.thread = QThread(self)
        self.thread.setObjectName("training")
        self.worker = EngineWorker()
        self.worker.moveToThread(self.thread)
        self._run_requested.connect(self.worker.run)  # queued: runs on the engine thread
        self._evaluate_requested.connect(self.worker.evaluate_test)
        self.worker.run_finished.connect(self._on_worker_done)
        self.worker.test_evaluated.connect(self._on_worker_done)
        self._handles: dict[int, RunHandle] = {}

    def start(self, handle: RunHandle) -> None:
        if not self.thread.isRunning():
            self.thread.start()
        handle.busy = True
        self._handles[handle.number] = handle
        self._run_requested.emit(handle)

    def evaluate(self, handle: RunHandle) -> None:
        handle.busy = True
        self._handles[handle.number] = handle
        self._evaluate_requested.emit(handle)

    @Slot(int, object)
    def _on_worker_done(self, number: int, _result) -> None:
        handle = self._handles.pop(number, None)
        if handle is not None:
            handle.busy = False

    def quit(self) -> None:
        """Stop whatever runs and let the thread's event loop end (never waits)."""
        for h in self._handles.values():
            h.shutdown()
        self.thread.quit()

    def is_running(self) -> bool:
        return self.thread.isRunning()
