"""The Examples tab's controller: a run's per-example dynamics into its tally and view, and
Train without the suspects….

Each epoch's ExampleDynamics comes just before that epoch's EpochMetrics (whose validation
loss the ranking needs): it waits for it, and the tally gains the epoch then. While the tab
is hidden the view is only marked out of date and redrawn when it is shown; while it shows, it
is redrawn at most every REDRAW_MS, and at the run's end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDialog

from engine.core import events as ev
from engine.core.config import GENERATED_DATASETS, TOY_DATASETS, Config, ConfigError
from engine.runs.tally import ExampleTally
from gui import dialogs
from gui.controllers.experiment_dialogs import CleanDialog

FINISHED = (ev.COMPLETED, ev.EARLY_STOPPED)
REDRAW_MS = 200  # the tab's redraw, at most 5 a second however short the epochs


class Examples(QObject):
    def __init__(self, parent, *, view, tabs, experiments, engine, current_run_dir, runs_dir, say):
        super().__init__(parent)
        self.parent_window = parent
        self.view, self.tabs, self.experiments, self.engine = view, tabs, experiments, engine
        self.current_run_dir, self.runs_dir, self.say = current_run_dir, runs_dir, say
        self.folder: Path | None = None  # a run folder opened here (else the window's latest run is shown)
        self._job = None  # the engine job its images come back to
        self._images = None
        self.tally: ExampleTally | None = None
        self._waiting: ev.ExampleDynamics | None = None
        self._label = "run"
        self._toy = False
        self._stale = False
        self.dialog: CleanDialog | None = None
        self.notice = None
        self._redraw = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw.timeout.connect(self._refresh_if_shown)
        view.clean_wanted.connect(self.clean)
        view.open_wanted.connect(self.open_folder)
        tabs.currentChanged.connect(self._on_tab_changed)

    def subscribe(self, router) -> None:
        for event_type, handler in ((ev.RunStarted, self.on_run_started),
                                    (ev.TrainingExamples, self.on_training_examples),
                                    (ev.ExampleDynamics, self.on_dynamics), (ev.EpochMetrics, self.on_epoch),
                                    (ev.RunFinished, self.on_run_finished)):
            router.subscribe(event_type, handler)

    # ---- events ------------------------------------------------------------------------
    def on_run_started(self, event: ev.RunStarted) -> None:
        """A run of this window starts: it replaces what the tab showed (a run folder opened
        here, the previous run)."""
        self.tally, self._waiting, self.folder, self._job, self._images = None, None, None, None, None
        self._label = event.config.get("run", {}).get("name") or "this run"
        self._toy = event.dataset in (*TOY_DATASETS, *GENERATED_DATASETS)  # no images to show
        records = (event.config.get("run") or {}).get("record_examples", True)
        self.view.clear(f"{self._label}: its examples appear after its first epoch." if records else
                        f"{self._label} records no per-example dynamics (run.record_examples = false).")

    def on_retired(self) -> None:
        """Reset (or a new job): the tab forgets what it showed, a run folder opened here too."""
        self.tally, self._waiting, self._images, self.folder, self._job = None, None, None, None, None
        self._redraw.stop()
        self.view.clear("Train a run: each training example's dynamics appear here as it trains.")

    def on_training_examples(self, e: ev.TrainingExamples) -> None:
        self.tally = ExampleTally(e.positions, e.given, e.true, e.corrupted, e.class_names, e.files)
        self.view.start(self.tally, e.images, self._label, points=self._toy)

    def on_dynamics(self, event: ev.ExampleDynamics) -> None:
        if self.folder is None:
            self._waiting = event

    def on_epoch(self, metrics: ev.EpochMetrics) -> None:
        d, self._waiting = self._waiting, None
        if self.folder is not None or self.tally is None or d is None or d.epoch != metrics.epoch:
            return
        self.tally.add(d.epoch, d.probability, d.margin, d.predicted, metrics.val_loss)
        self._stale = True
        if self.tabs.currentWidget() is self.view and not self._redraw.isActive():
            self._redraw.start()  # at most REDRAW_MS apart: short epochs (a full batch each) come 20 a second

    def on_run_finished(self, result: ev.RunFinished) -> None:
        if self.folder is not None:
            return  # a folder opened while the run trained: the tab shows that one
        self._redraw.stop()
        self._refresh_if_shown()  # the run's last epoch, now
        self.view.finished(*_cleanable(self.tally, result.reason))

    def _on_tab_changed(self, _index: int) -> None:
        self._refresh_if_shown()

    def _refresh_if_shown(self) -> None:
        if self._stale and self.tabs.currentWidget() is self.view and self.tally is not None:
            self._stale = False
            self.view.refresh()

    # ---- a run folder ---------------------------------------------------------------------
    def open_folder(self, path=None) -> None:
        """Open a run's examples…: any run folder's dynamics (a headless run, another
        machine's, one still training), its images fetched by the engine thread."""
        from PySide6.QtWidgets import QFileDialog

        from engine.runs.checked import UnreadableRun
        from engine.runs.dynamics import NoDynamics, read_dynamics
        from engine.runs.reader import read_run

        if path is None:
            path = QFileDialog.getExistingDirectory(self.parent_window, "Whose examples?", str(self.runs_dir))
            if not path:
                return
        path = Path(path)
        try:
            run = read_run(path)
            dynamics = read_dynamics(path)
        except (FileNotFoundError, NoDynamics, UnreadableRun) as exc:
            self.notice = dialogs.cannot(self.parent_window, "Cannot show that run's examples", str(exc))
            return
        self.tally = ExampleTally.of(dynamics, [e.get("val_loss") for e in run.epochs])
        self.folder, self._waiting, self._images, self._job = path, None, None, None
        data = run.config.get("data") or {}
        toy = data.get("dataset") in (*TOY_DATASETS, *GENERATED_DATASETS)  # points or vectors: no images
        self.view.start(self.tally, None, path.name, points=toy)
        self.view.refresh()
        self.view.finished(*_cleanable(self.tally, run.status))
        self.tabs.setCurrentWidget(self.view)
        if self.tally.size and not toy and self.tally.size * _image_bytes(data) <= ev.IMAGES_HELD:
            from gui.worker import RunHandle

            self._job = RunHandle(run_dir=path)
            self.engine.thumbnails(self._job, "train", list(range(self.tally.size)))
            self.say(f"{path.name}: {self.tally.size:,} training examples; their images are on their way")
        elif not toy:
            self.say(f"{path.name}: {self.tally.size:,} training examples, too many images to hold in the window")

    def is_job(self, number: int) -> bool:
        return self._job is not None and number == self._job.number

    def on_folder_event(self, event) -> None:
        if isinstance(event, ev.Thumbnails) and event.split == "train" and self.tally is not None:
            h, w, c = event.shape
            self._images = np.frombuffer(b"".join(event.pixels), np.uint8).reshape(len(event.pixels), h, w, c)
            if len(self._images) != self.tally.size:
                self._images = None  # (not this folder's: the tab shows another run now)
                return
            self.view.set_images(self._images)
            self.say(f"{self.folder.name if self.folder else 'the run'}: {len(self._images):,} training images shown")
        elif isinstance(event, ev.EvaluationFailed):
            self.say(f"the run's images could not be shown: {event.message}")

    # ---- Train without the suspects… -------------------------------------------------------
    def clean(self) -> None:
        from engine.experiments.cleaning import cleaned_changes, default_count, refuse_unfinished
        from engine.runs.checked import UnreadableRun
        from engine.runs.dynamics import NoDynamics
        from engine.runs.suspects import read_suspects

        folder = self.folder or self.current_run_dir()
        try:
            if folder is None:
                raise FileNotFoundError("this run wrote no run folder")
            s = read_suspects(folder, self.view.score_box.currentText())
            refuse_unfinished(s)
        except (FileNotFoundError, NoDynamics, UnreadableRun, ValueError, ConfigError) as exc:
            self.notice = dialogs.cannot(self.parent_window, "Cannot train without the suspects", str(exc))
            return
        self.dialog = CleanDialog(self.parent_window, s.dynamics.size, default_count(s),
                                  s.dynamics.corrupted_on_purpose, s.ranking.score_name, Path(folder).name,
                                  s.ranking.upto)
        if self.dialog.exec() != QDialog.DialogCode.Accepted:
            return
        top, relabel = self.dialog.values()
        try:
            reference = Config.load(Path(folder) / "config.json")
            changes, notes = cleaned_changes(reference.to_dict(), s, top, relabel)
            config = reference.with_updates(changes)
        except ConfigError as exc:
            self.notice = dialogs.cannot(self.parent_window, "Cannot train without the suspects", str(exc))
            return
        what = f"{top:,} suspects {'relabelled' if relabel else 'removed'}"
        if self.experiments.start(config, [{}], kind="twin", notes=notes,
                                  say=f"twin of {Path(folder).name} with its {what}: same seed and settings"):
            self.experiments.view.show_runs([Path(folder)], f"{Path(folder).name} and its twin with its {what} "
                                                            "(same seed and settings)")
            self.tabs.setCurrentWidget(self.experiments.view)


def _image_bytes(data: dict) -> int:
    """An upper bound on one training image's bytes (uint8), from a run's data settings."""
    dataset = data.get("dataset")
    if dataset == "image_folder":
        return int(data.get("image_size") or 28) ** 2 * 3
    return 32 * 32 * 3 if str(dataset).startswith("cifar") else 28 * 28


def _cleanable(tally, status: str) -> tuple[bool, str]:
    """(can a cleaned twin be trained from this run, why not): as engine.experiments.cleaning
    decides for `main.py clean`."""
    if tally is None or not tally.epochs:
        return False, "the run recorded no epoch of per-example dynamics"
    turned = tally.turn is not None and tally.turn < len(tally.epochs)
    if status in FINISHED or (status == ev.USER_STOPPED and turned):
        return True, ""
    return False, (f"the run {ev.REASON_TEXT.get(status, status)} before its validation loss turned upwards, so its "
                   "ranking has not seen where memorizing begins")
