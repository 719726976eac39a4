"""The only bridge between the window and the engine: a trainer in a QThread.

The worker object lives in its own QThread. Engine events cross to the GUI thread as
queued signals carrying the plain event objects. Requests go the other way through the
engine's RunControl directly (thread-safe), never through a queued slot into the busy
worker.
"""

from __future__ import annotations

import traceback

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine import events as ev
from engine.callbacks import Callback
from engine.config import Config
from engine.control import RunControl


class _SignalCallback(Callback):
    """Forwards every engine event to a Qt signal (emitted on the training thread)."""

    def __init__(self, signal):
        self._signal = signal

    def on_event(self, event) -> None:
        self._signal.emit(event)


class TrainingWorker(QObject):
    """Runs one training run; after it, answers one test-evaluation request."""

    event_emitted = Signal(object)  # any engine event
    run_finished = Signal(object)  # RunFinished
    test_evaluated = Signal(object)  # TestEvaluated, or an Exception

    def __init__(self, config: Config, control: RunControl, runs_dir=None):
        super().__init__()
        self.config = config
        self.control = control
        self.runs_dir = runs_dir
        self.trainer = None

    @Slot()
    def run(self) -> None:
        result = None
        try:
            from engine.trainer import Trainer  # imports torch: on this thread, not the GUI's

            self.trainer = Trainer(self.config, control=self.control,
                                   callbacks=[_SignalCallback(self.event_emitted)], runs_dir=self.runs_dir)
            result = self.trainer.fit()
        except BaseException as exc:  # fit() reports its own failures; this is the last net
            result = ev.RunFinished(reason=ev.FAILED, message=f"{type(exc).__name__}: {exc}",
                                    epochs_completed=0, step=0, best_epoch=None, best_value=None,
                                    run_dir=None, traceback=traceback.format_exc())
        finally:
            self.run_finished.emit(result)

    @Slot()
    def evaluate_test(self) -> None:
        try:
            if self.trainer is None:
                raise RuntimeError("no finished run to evaluate")
            self.test_evaluated.emit(self.trainer.evaluate_test())
        except Exception as exc:
            self.test_evaluated.emit(exc)


class RunHandle(QObject):
    """A worker, its thread and its control, started together and torn down together."""

    evaluate_requested = Signal()

    def __init__(self, config: Config, runs_dir=None, parent=None):
        super().__init__(parent)
        self.control = RunControl()
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker = TrainingWorker(config, self.control, runs_dir)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.evaluate_requested.connect(self.worker.evaluate_test)  # queued: worker thread
        self.finished = False

    def start(self) -> None:
        self.thread.start()

    def shutdown(self) -> None:
        """Stop the run if live and let the thread's event loop end."""
        self.control.request_stop()
        self.control.resume()
        self.thread.quit()

    def is_running(self) -> bool:
        return self.thread.isRunning()
