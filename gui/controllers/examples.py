"""The Examples tab's controller: a run's per-example dynamics into its tally and view, and
Train without the suspects….

Each epoch's ExampleDynamics comes just before that epoch's EpochMetrics (whose validation
loss the ranking needs): it waits for it, and the tally gains the epoch then. While the tab
is hidden the view is only marked out of date and redrawn when it is shown; while it shows, it
is redrawn at most every REDRAW_MS, and at the run's end.

A run folder opened here is read and scored on a pool thread (gui.panels.off_thread: 60,000
examples over 40 epochs took ~0.9 s, which froze the window when read on the GUI thread); the
tab says "reading…" meanwhile, and the last folder asked for wins. A run still training is
followed: its new epochs are read every FOLLOW_MS, off the GUI thread too."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDialog

from engine.core import events as ev
from engine.core.config import GENERATED_DATASETS, TOY_DATASETS, ConfigError
from engine.core.i18n import _, integer, n_
from engine.runs.tally import ExampleTally
from gui import dialogs
from gui.controllers.example_reads import (
    RUNNING,
    read_folder,
    read_more,
    read_suspects_to_clean,
    twin_of,
)
from gui.controllers.example_reads import stacked as _stacked
from gui.controllers.experiment_dialogs import CleanDialog
from gui.panels.off_thread import OffThread
from gui.panels.runs_rows import FOREIGN

REDRAW_MS = 200  # the tab's redraw, at most 5 a second however short the epochs
FOLLOW_MS = 2000  # how often an opened run still training is read for new epochs


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
        self._label = _("run")
        self._foreign: str | None = None  # the folder shown was not trained by the app: whose it is
        self._toy = False
        self._stale = False
        self.dialog: CleanDialog | None = None
        self.notice = None
        self._cleaning: Path | None = None  # the run whose suspects are being read for a twin
        self._twin_of: tuple[Path, str] | None = None  # (run, title): a twin asked for, not started yet
        self._redraw = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw.timeout.connect(self._refresh_if_shown)
        self.reader = OffThread(self)  # reads run folders, one at a time
        self._reading: Path | None = None  # the folder being read for the tab (the last one asked for)
        self._following = None  # (folder, its Dynamics so far): an opened run still training
        self._follow = QTimer(self, interval=FOLLOW_MS)
        self._follow.timeout.connect(self._on_follow_timeout)
        self._shown = (_("run"), False, None)  # the label, points flag and folder the view was last started with
        self._ended: tuple[bool, str] | None = None  # what view.finished was last told
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
        self._show_twin()
        self.tally, self._waiting, self.folder, self._job, self._images = None, None, None, None, None
        self._forget_folder()
        self._foreign = None
        self._label = event.config.get("run", {}).get("name") or _("this run")
        self._toy = event.dataset in (*TOY_DATASETS, *GENERATED_DATASETS)  # no images to show
        records = (event.config.get("run") or {}).get("record_examples", True)
        self.view.clear((_("{run}: its examples appear after its first epoch.") if records else _(
            "{run} records no per-example dynamics (run.record_examples = false).")).format(run=self._label))

    def on_retired(self) -> None:
        """Reset (or a new job): the tab forgets what it showed, a run folder opened here too."""
        self._twin_of = None
        self.tally, self._waiting, self._images, self.folder, self._job = None, None, None, None, None
        self._forget_folder()
        self._foreign = None
        self._redraw.stop()
        self.view.clear(_("Train a run: each training example's dynamics appear here as it trains."))

    def on_training_examples(self, e: ev.TrainingExamples) -> None:
        self.tally = ExampleTally(e.positions, e.given, e.true, e.corrupted, e.class_names, e.files)
        self._images = e.images
        folder = self.current_run_dir()
        self._start_view(self.tally, e.images, self._label, self._toy, Path(folder) if folder else None)

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
        self._twin_of = None  # (a twin refused before it started: nothing to show)
        if self.folder is not None:
            return  # a folder opened while the run trained: the tab shows that one
        self._redraw.stop()
        self._refresh_if_shown()  # the run's last epoch, now
        self._finished(*_cleanable(self.tally, result.reason))

    def _on_tab_changed(self, _index: int) -> None:
        self._refresh_if_shown()

    def _refresh_if_shown(self) -> None:
        if (self._stale and self.tabs.currentWidget() is self.view and self.tally is not None
                and self._reading is None):  # (the tab says "reading…" until the folder is read)
            self._stale = False
            self.view.refresh()

    # ---- a run folder ---------------------------------------------------------------------
    def open_folder(self, path=None) -> None:
        """Open a run's examples…: any run folder's dynamics (a headless run, another
        machine's, one still training, followed), read on a pool thread, its images fetched by
        the engine thread."""
        if path is None:
            from PySide6.QtWidgets import QFileDialog

            path = QFileDialog.getExistingDirectory(self.parent_window, _("Whose examples?"), str(self.runs_dir))
            if not path:
                return
        path = Path(path)
        self._reading = path  # a folder asked for while another reads: this one wins
        self._redraw.stop()
        self.view.clear(_("Reading {run}…").format(run=path.name))
        self.tabs.setCurrentWidget(self.view)
        self.say(_("reading {path}…").format(path=path))
        self.reader.submit(partial(read_folder, path), partial(self._on_folder_read, path))

    def _on_folder_read(self, path: Path, result) -> None:
        if path != self._reading:
            return  # another folder was asked for since, or a run started here
        self._reading = None
        if isinstance(result, BaseException):
            self._show_current()  # what the tab showed before, again
            from engine.runs.checked import UnreadableRun
            from engine.runs.dynamics import NoDynamics

            known = (FileNotFoundError, NoDynamics, UnreadableRun, ConfigError)
            why = str(result) if isinstance(result, known) else f"{path}: {type(result).__name__}: {result}"
            self.notice = dialogs.cannot(self.parent_window, _("Cannot show that run's examples"), why)
            return
        run, dynamics, tally, each = result
        self._stop_following()
        self.tally, self.folder, self._waiting, self._images, self._job = tally, path, None, None, None
        foreign = FOREIGN.get(run.summary.get("source") or "")  # a script's run or an import: why not cleanable
        self._foreign = _(foreign) if foreign else None
        data = run.config.get("data") or {}
        toy = data.get("dataset") in (*TOY_DATASETS, *GENERATED_DATASETS)  # points or vectors: no images
        running = run.status == RUNNING
        label = _("{run} (still training: followed)").format(run=path.name) if running else path.name
        self._start_view(tally, None, label, toy, path)
        self.view.refresh()
        if running:
            self._following = (path, dynamics)
            self._follow.start()
            self._ended = None
        else:
            self._finished(*_cleanable(tally, run.status))
        n, script = tally.size, run.summary.get("source") == "script"
        if script:  # its examples live in the script: no images to ask for
            said = n_("{run}: {count} training example (a script's run: no pictures to show; Train without the "
                      "suspects… is off, its network and data are the script's)", "{run}: {count} training examples "
                      "(a script's run: no pictures to show; Train without the suspects… is off, its network and "
                      "data are the script's)", n)
        elif each is None and not toy:
            said = n_("{run}: {count} training example, vectors, not images: no pictures to show",
                      "{run}: {count} training examples, vectors, not images: no pictures to show", n)
        elif tally.size and not toy and tally.size * each <= ev.IMAGES_HELD:
            from gui.worker import RunHandle

            self._job = RunHandle(run_dir=path)
            self.engine.thumbnails(self._job, "train", list(range(tally.size)))
            said = n_("{run}: {count} training example; their images are on their way",
                      "{run}: {count} training examples; their images are on their way", n)
        elif not toy:
            said = n_("{run}: {count} training example, too many images to hold in the window",
                      "{run}: {count} training examples, too many images to hold in the window", n)
        else:
            said = n_("{run}: {count} training example", "{run}: {count} training examples", n)
        self.say(said.format(run=path.name, count=integer(n)))

    def _on_follow_timeout(self) -> None:
        if self._following is None or self.reader.busy():
            return  # (a slow disk: the next tick asks again)
        path, dynamics = self._following
        self.reader.submit(partial(read_more, path, dynamics), partial(self._on_more_read, path))

    def _on_more_read(self, path: Path, result) -> None:
        if self._following is None or self._following[0] != path or self.folder != path:
            return  # the tab shows something else now
        if isinstance(result, BaseException):
            self._stop_following()
            self.say(_("{run}: stopped following it: {why}").format(run=path.name, why=result))
            return
        run, dynamics = result
        known = self._following[1].examples_key
        self._following = (path, dynamics)
        losses = [e.get("val_loss") for e in run.epochs]
        if dynamics.examples_key != known:  # a script's run added examples a later epoch first trained on
            self.tally = ExampleTally(dynamics.positions, dynamics.given, dynamics.true, dynamics.corrupted,
                                      dynamics.class_names, dynamics.files)
            self._start_view(self.tally, None, *self._shown[:2], path)
        done = run.status != RUNNING
        upto = len(dynamics.epochs) if done else min(len(dynamics.epochs), len(losses))
        for i in range(len(self.tally.epochs), upto):  # each epoch once its validation loss is written
            self.tally.add(dynamics.epochs[i], dynamics.probability[i], dynamics.margin[i], dynamics.predicted[i],
                           losses[i] if i < len(losses) else None)
            self._stale = True
        if done:
            self._stop_following()
            self.view.run_label = path.name
            self._stale = True
        self._refresh_if_shown()
        if done:
            self._finished(*_cleanable(self.tally, run.status))
            # i18n: {ended} is how the run ended: finished, stopped early, stopped, diverged, failed
            self.say(_("{run} {ended}: its examples are all shown").format(
                run=path.name, ended=_(ev.REASON_TEXT.get(run.status, run.status))))

    def _stop_following(self) -> None:
        self._follow.stop()
        self._following = None

    def _forget_folder(self) -> None:
        """A run of this window (or Reset) takes the tab: a folder still being read or followed is dropped."""
        self._reading = None
        self._stop_following()
        self._ended = None

    def _start_view(self, tally, images, label: str, points: bool, folder: Path | None) -> None:
        self._shown, self._ended = (label, points, folder), None
        self.view.start(tally, images, label, points, folder)
        self._note_foreign()

    def _note_foreign(self) -> None:
        """A run the app did not train: which of its labels are wrong is the script's to know
        (data.label_noise is the app's setting, not the script's)."""
        if self._foreign is not None and self.folder is not None:
            self.view.truth_unknown(self._foreign)

    def _finished(self, can_clean: bool, why: str) -> None:
        if self._foreign is not None and self.folder is not None:  # never the app's to train: off, saying why
            can_clean, why = False, self._foreign
        self._ended = (can_clean, why)
        if self._reading is None:
            self.view.finished(can_clean, why)

    def _show_current(self) -> None:
        """A folder could not be read: the tab shows again what it showed before (the live run,
        the folder opened earlier), as the controller still has it."""
        if self.tally is None:
            self.view.clear(_("Train a run, or open one: each training example's dynamics appear here."))
            return
        ended = self._ended
        self.view.start(self.tally, self._images, *self._shown)
        self._note_foreign()
        self.view.refresh()
        if ended is not None:
            self.view.finished(*ended)

    def is_job(self, number: int) -> bool:
        return self._job is not None and number == self._job.number

    def on_folder_event(self, event) -> None:
        if isinstance(event, ev.Thumbnails) and event.split == "train" and self.tally is not None:
            if len(event.pixels) != self.tally.size:
                return  # (not this folder's: the tab shows another run now)
            # Stacked on the pool thread, a slice at a time: one join of 60,000 images held the
            # GIL, and so the GUI thread, for ~80 ms (~230 ms for CIFAR's 50,000).
            self.reader.submit(partial(_stacked, event), partial(self._on_images_stacked, self._job))
        elif isinstance(event, ev.EvaluationFailed):
            why = event.message.removeprefix("SplitChanged: ")  # (its text says what it is)
            self.say(_("the run's images could not be shown: {why}").format(why=why))
            # The status line is elided to the window's width: the file that changed is said in full here.
            self.notice = dialogs.cannot(self.parent_window, _("Cannot show that run's images"),
                                         _("The run's examples are listed from its record, but its images are not "
                                           "shown: {why}").format(why=why))

    def _on_images_stacked(self, job, images) -> None:
        if job is not self._job or isinstance(images, BaseException) or self.tally is None:
            if isinstance(images, BaseException):
                self.say(_("the run's images could not be shown: {why}").format(why=images))
            return  # (or another folder's, or a run of this window, is shown now)
        self._images = images
        if self._reading is not None:
            return  # kept, and shown again if the folder being read cannot be
        self.view.set_images(images)
        self.say(n_("{run}: {count} training image shown", "{run}: {count} training images shown", len(images)).format(
            run=self.folder.name if self.folder else _("the run"), count=integer(len(images))))

    # ---- Train without the suspects… -------------------------------------------------------
    def clean(self) -> None:
        """Train without the suspects…: the run's suspects are read and scored on the pool thread
        (59,000 examples over 40 epochs took ~0.27 s, a stall before the dialog), the dialog opens
        when they are; a click while they are read is ignored."""
        if self._cleaning is not None:
            return
        folder = self.folder or self.current_run_dir()
        if folder is None:
            self.notice = dialogs.cannot(self.parent_window, _("Cannot train without the suspects"),
                                         _("this run wrote no run folder"))
            return
        folder = self._cleaning = Path(folder)
        self.say(_("reading the suspects of {run}…").format(run=folder.name))
        score = self.view.score_box.currentData() or self.view.score_box.currentText()  # its name, whatever is shown
        self.reader.submit(partial(read_suspects_to_clean, folder, score),
                           partial(self._on_suspects_read, folder))

    def _on_suspects_read(self, folder: Path, result) -> None:
        if isinstance(result, BaseException):
            self._cleaning = None
            return self._cannot_clean(result)
        s, count = result
        d = s.dynamics
        self.dialog = CleanDialog(self.parent_window, d.size, count,
                                  int(d.corrupted.sum()) if d.corrupted_on_purpose else None, s.ranking.score_name,
                                  folder.name, s.ranking.upto, s.edits, s.scored_epochs, auroc=s.ranking.auroc)
        if self.dialog.exec() != QDialog.DialogCode.Accepted:
            self._cleaning = None
            return
        top, relabel = self.dialog.values()  # the twin's settings, from all its examples' scores: off the GUI thread
        self.reader.submit(partial(twin_of, folder, s, top, relabel), partial(self._on_twin_made, folder, top, relabel))

    def _on_twin_made(self, folder: Path, top: int, relabel: bool, result) -> None:
        self._cleaning = None
        if isinstance(result, BaseException):
            return self._cannot_clean(result)
        config, plan, notes, edited = result
        changed = notes["cleaned"]["changed"]
        what = (_("{changed} of its {count} most suspect relabelled").format(changed=integer(changed), count=integer(top))
                if relabel else n_("{count} suspect removed", "{count} suspects removed", top).format(count=integer(top)))
        same = _("same seed, settings and live edits") if edited else _("same seed and settings")
        # Written beside the run, as `main.py clean` writes it; shown in the Experiment tab once it
        # really starts (a twin refused before its first epoch left an empty row there).
        fields = {"run": folder.name, "what": what, "same": same}
        # i18n: {what} is "12 suspects removed" or "9 of its 12 most suspect relabelled"; {same} what the twin keeps
        said = _("twin of {run} with its {what}: {same}").format(**fields)
        if self.experiments.start(config, plan, kind="twin", notes=notes, beside=folder, say=said):
            # i18n: {what} is "12 suspects removed" or "9 of its 12 most suspect relabelled"; {same} what the twin keeps
            self._twin_of = (folder, _("{run} and its twin with its {what} ({same})").format(**fields))

    def _cannot_clean(self, exc: BaseException) -> None:
        from engine.runs.checked import UnreadableRun
        from engine.runs.dynamics import NoDynamics

        known = (FileNotFoundError, NoDynamics, UnreadableRun, ValueError, ConfigError)
        why = str(exc) if isinstance(exc, known) else f"{type(exc).__name__}: {exc}"
        self.notice = dialogs.cannot(self.parent_window, _("Cannot train without the suspects"), why)

    def _show_twin(self) -> None:
        """The twin started Train without the suspects… asked for has really started: the run and
        its twin in the Experiment tab (the experiments controller adds the twin's row after this)."""
        if self._twin_of is None:
            return
        folder, title = self._twin_of
        self._twin_of = None
        self.experiments.view.show_runs([folder], title)
        self.tabs.setCurrentWidget(self.experiments.view)


def _cleanable(tally, status: str) -> tuple[bool, str]:
    """(can a cleaned twin be trained from this run, why not): the engine's rule, the one
    `main.py clean` applies (engine.experiments.cleaning.not_cleanable_yet)."""
    from engine.experiments.cleaning import not_cleanable_yet

    if tally is None:
        return False, _("the run recorded no epoch of per-example dynamics")
    why = not_cleanable_yet(status, len(tally.epochs), tally.turn)
    return why is None, why or ""
