"""The only bridge between the window and the engine: one worker on one long-lived QThread.

All torch work of the window happens on a single engine thread that lives as long as the
window. One thread, not one per run: torch's OpenMP pool belongs to the thread that
computes, and a run on a second computing thread trained at ~0.6x the first here (most
likely because the extra pool's idle workers make OpenMP spin less and sleep more).

The worker runs whatever the experiment seam is given (a single run is a plan of one) and
evaluates a finished run it still holds, or any run folder, on the validation split or the
locked test split.

One worker object, created on the GUI thread, moved to the engine thread once and
destroyed on the GUI thread after that thread has ended. Destroying a Python-made QObject
on the engine thread deadlocked here: Qt holds its connection lock while asking the
wrapper for the GIL, which the GUI thread holds while it waits for that lock.

Every engine event crosses to the GUI thread once, as a queued `event_emitted` carrying
the job's number and the plain event object. Requests go the other way through the job's
RunControl directly (thread-safe), never through a queued slot into the busy worker.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.core import events as ev
from engine.core.config import Config, ConfigError
from engine.core.control import RunControl
from engine.core.i18n import _
from engine.training.callbacks import Callback

_numbers = itertools.count(1)


def error_text(exc: BaseException) -> str:
    """An error as the window shows it: its kind and its message (RuntimeError: ...)."""
    # i18n: a Python error's class name, kept in English (RuntimeError), and its message
    return _("{error}: {message}").format(error=type(exc).__name__, message=exc)


@dataclass(eq=False)
class RunHandle:
    """One job of the engine thread as the GUI thread sees it: a plan of runs (one, by
    default) or the evaluation of a run folder."""

    config: Config | None = None
    runs_dir: Path | str | None = None
    plan: list[dict[str, Any]] = field(default_factory=lambda: [{}])
    run_dir: Path | str | None = None  # a folder to evaluate instead of training
    weights: str | None = None  # a folder's "best" or "last" weights (None: best, else last)
    number: int = field(default_factory=lambda: next(_numbers))
    control: RunControl = field(default_factory=RunControl)
    pending: int = 0  # requests of this job queued or running on the engine thread
    kind: str = "experiment"  # what the plan is: "cv", "curve", "tour" (engine.experiments.experiment)
    meta: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    notes: dict[str, Any] = field(default_factory=dict)  # kept in each run's summary (a twin's reference)
    resume_dir: Path | str | None = None  # an interrupted experiment folder to go on with
    search: Any = None  # a search: (engine.search.space.SearchSettings, study name, storage URL or None)
    subscribers: list = field(default_factory=list)  # more subscribers of its runs (a lesson's pauses)

    @property
    def busy(self) -> bool:
        """The engine thread has work queued or running for this job."""
        return self.pending > 0

    def shutdown(self) -> None:
        """Ask a live run to stop (also when paused)."""
        self.control.request_stop()
        self.control.resume()


class _SignalCallback(Callback):
    """Forwards every engine event to a Qt signal (emitted on the engine thread)."""

    wants_images = True  # the Examples tab shows the training images (engine.core.events.TrainingExamples)

    def __init__(self, signal, number: int):
        self._signal = signal
        self._number = number

    def on_event(self, event) -> None:
        self._signal.emit(self._number, event)


class EngineWorker(QObject):
    """Lives on the engine thread: runs plans, evaluates finished runs."""

    event_emitted = Signal(int, object)  # job number, any engine event
    job_done = Signal(int)  # job number: the engine thread is free again

    def __init__(self):
        super().__init__()
        self._held = None  # (job number, the last trial of the last plan): evaluable
        self._folder_data = None  # (run folder, its splits): a gallery's pages reuse them
        self._held_images = None  # (job number, the held run's splits as images): for its gallery

    @Slot(object)
    def run(self, handle: RunHandle) -> None:
        self._held = self._held_images = None  # the previous run's tensors can go
        try:
            from engine.experiments.experiment import Experiment  # imports torch: on this thread

            subscribers = [_SignalCallback(self.event_emitted, handle.number), *handle.subscribers]
            if handle.search is not None:  # trials asked of an Optuna study, one after another
                from engine.search.runner import run_worker, start_study

                settings, name, url = handle.search
                study, folder = start_study(handle.config, settings, name, Path(handle.runs_dir), url)
                import time

                deadline = time.time() + settings.timeout_min * 60 if settings.timeout_min else None
                run_worker(study, settings, handle.config, folder, deadline, control=handle.control,
                           subscribers=subscribers)
                return
            if handle.resume_dir is not None:
                experiment = Experiment.resume(handle.resume_dir, control=handle.control, subscribers=subscribers)
            else:
                experiment = Experiment(handle.config, handle.plan, control=handle.control, subscribers=subscribers,
                                        runs_dir=handle.runs_dir, name=handle.name, kind=handle.kind,
                                        meta=handle.meta, notes=handle.notes)
            result = experiment.run()
            if result.trials:
                self._held = (handle.number, result.trials[-1])
        except ConfigError as exc:  # an experiment folder that cannot be resumed: named
            self.event_emitted.emit(handle.number, ev.ExperimentFinished(
                reason=ev.FAILED, message=str(exc), trials_completed=0, experiment_dir=None))
        except BaseException as exc:  # the experiment reports its own failures; the last net
            self.event_emitted.emit(handle.number, ev.ExperimentFinished(
                reason=ev.FAILED, message=error_text(exc) + "\n" + traceback.format_exc(),
                trials_completed=0, experiment_dir=None))
        finally:
            self.job_done.emit(handle.number)

    @Slot(object, str)
    def evaluate(self, handle: RunHandle, split: str) -> None:
        """`split` (validation as often as asked, the locked test split once): for the run
        folder `handle.run_dir`, or else for the last run of the job's plan, which the worker
        still holds. The split travels with the request: a second request queued behind this
        one cannot change what this one reads."""
        try:
            if handle.run_dir is not None:
                from engine.runs.stored import evaluate_folder

                report, _new = evaluate_folder(handle.run_dir, split, handle.weights)
                self.event_emitted.emit(handle.number, report)
            else:
                if self._held is None or self._held[0] != handle.number or self._held[1].trainer is None:
                    raise RuntimeError(_("only the latest finished run can be evaluated"))
                trainer = self._held[1].trainer
                if split == "test":
                    trainer.evaluate_test()  # its run writer records it, this job's signal shows it
                else:
                    from engine.training.reports import evaluate_split

                    trainer.emit(evaluate_split(trainer.model, trainer.data, "val", trainer.weights_kind,
                                                trainer.config.optim.loss))
        except Exception as exc:
            self.event_emitted.emit(handle.number, ev.EvaluationFailed(error_text(exc)))
        finally:
            self.job_done.emit(handle.number)


    @Slot(object, str, list)
    def thumbnails(self, handle: RunHandle, split: str, indices: list) -> None:
        """Pixels of a few examples (those on screen) of the run held or a run folder. A folder's
        splits are kept for the next page of its gallery, unless the whole training split was asked."""
        try:
            from engine.data.thumbnails import thumbnails, with_images
            from engine.runs.stored import run_data

            if handle.run_dir is not None:
                if self._folder_data is None or self._folder_data[0] != str(handle.run_dir):
                    self._folder_data = None  # the previous folder's tensors can go first
                    self._folder_data = (str(handle.run_dir), run_data(handle.run_dir))
                data = self._folder_data[1]
            elif self._held is not None and self._held[0] == handle.number:
                if self._held_images is None or self._held_images[0] != handle.number:
                    trainer = self._held[1].trainer
                    self._held_images = (handle.number, with_images(trainer.data, trainer.config))
                data = self._held_images[1]
            else:
                raise RuntimeError(_("that run is no longer held; evaluate its folder instead"))
            pixels = thumbnails(data, split, indices)
            if handle.run_dir is not None and split == "train" and len(set(indices)) >= len(data.train_x):
                # Every training image at once (the Examples tab's one request): nothing more will
                # be asked of these splits, which held ~200 MB for 60,000 examples.
                self._folder_data = None
            del data
            self.event_emitted.emit(handle.number, pixels)
        except Exception as exc:
            self.event_emitted.emit(handle.number, ev.EvaluationFailed(error_text(exc)))


class Engine(QObject):
    """Owned by the window (GUI thread): the engine thread, its worker, and the requests."""

    _run_requested = Signal(object)
    _evaluate_requested = Signal(object, str)
    _thumbnails_requested = Signal(object, str, list)

    def __init__(self, parent=None):
        super().__init__(parent)
        # No Qt parent: a window deleted while the thread still ends its run must not delete
        # a running QThread (Qt aborts the process); Python keeps it until it has finished.
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker = EngineWorker()
        self.worker.moveToThread(self.thread)
        self._run_requested.connect(self.worker.run)  # queued: runs on the engine thread
        self._evaluate_requested.connect(self.worker.evaluate)
        self._thumbnails_requested.connect(self.worker.thumbnails)
        self.worker.job_done.connect(self._on_worker_job_done)
        self._handles: dict[int, RunHandle] = {}

    def _submit(self, handle: RunHandle) -> None:
        if not self.thread.isRunning():
            self.thread.start()
        handle.pending += 1
        self._handles[handle.number] = handle

    def start(self, handle: RunHandle) -> None:
        self._submit(handle)
        self._run_requested.emit(handle)

    def evaluate(self, handle: RunHandle, split: str = "test") -> None:
        self._submit(handle)
        self._evaluate_requested.emit(handle, split)

    def thumbnails(self, handle: RunHandle, split: str, indices: list[int]) -> None:
        """A gallery page: answered by a Thumbnails event of the handle's number (queued
        behind any job the engine thread has; not a job of its own)."""
        if not self.thread.isRunning():
            self.thread.start()
        self._thumbnails_requested.emit(handle, split, list(indices))

    @Slot(int)
    def _on_worker_job_done(self, number: int) -> None:
        handle = self._handles.get(number)
        if handle is not None:
            handle.pending -= 1
            if not handle.pending:
                del self._handles[number]

    def quit(self) -> None:
        """Stop whatever runs and let the thread's event loop end (never waits)."""
        for h in self._handles.values():
            h.shutdown()
        self.thread.quit()

    def is_running(self) -> bool:
        return self.thread.isRunning()
