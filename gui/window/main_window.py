"""The main window: composition and event dispatch only.

Panels and the status bar subscribe to the engine events they show (gui.window.dispatch); the run
state, settings persistence, dialogs, keys and the close protocol are small classes of
their own. What is left here: building the window, and the requests a user makes."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QTabWidget

from engine.core import events as ev
from engine.core.config import Config, ConfigError, live_keys, load_preset
from gui import dialogs
from gui.controllers.evaluations import Evaluations
from gui.controllers.experiments import Experiments
from gui.controllers.exports import Exports
from gui.controllers.settings_files import SettingsFiles
from gui.garbage import collect_on_the_gui_thread, freeze_startup_objects
from gui.panels.evaluation import EvaluationPanel
from gui.panels.experiment_view import ExperimentView
from gui.panels.plots import PlotsPanel
from gui.panels.search_view import SearchView
from gui.panels.settings import SettingsPanel
from gui.window import menus
from gui.window.closing import CloseGuard
from gui.window.dispatch import EventRouter
from gui.window.geometry import FirstLaunchFit
from gui.window.keys import RunKeys
from gui.window.persistence import SettingsStore
from gui.window.run_state import IDLE, PAUSED, RUNNING, STOPPING, RunState
from gui.window.status import RunStatus
from gui.worker import Engine, RunHandle

log = logging.getLogger("overfit_lab")


def short_value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


class MainWindow(QMainWindow):
    run_started = Signal(object)  # RunStarted, after the plots have it
    run_ended = Signal(object)  # RunFinished, after the window has shown it
    epoch_shown = Signal(object)  # EpochMetrics, after the plots have it
    test_shown = Signal(object)  # Evaluated (the test split), once its dialog is open

    def __init__(self, config: Config | None = None, preset: str | None = None, runs_dir=None,
                 restore: bool = True):
        """restore=False: a scripted launch that neither reads nor writes stored settings."""
        super().__init__()
        self.setWindowTitle("Overfit Lab")
        from engine.runs.reader import default_runs_dir

        self.runs_dir = runs_dir or default_runs_dir()  # every run of the window is written
        self.log_path = None  # the app sets it; shown by Help > Where are my runs and logs?
        self.handle: RunHandle | None = None
        self.started_event: ev.RunStarted | None = None
        self.last_result: ev.RunFinished | None = None
        self.error_dialog = self.where_dialog = None
        self.run_label = "run"
        self.multi_run = False  # the job is a plan of several runs (an experiment)
        self._live = set(live_keys())
        self.store = SettingsStore(enabled=restore)
        collect_on_the_gui_thread()
        self.engine = Engine(self)
        self.engine.worker.event_emitted.connect(self._on_worker_event_emitted)

        self.settings_panel = SettingsPanel()
        self.settings_panel.setting_changed.connect(self._on_settings_setting_changed)
        self.settings_panel.preset_chosen.connect(self._on_settings_preset_chosen)
        dock = self.dock = QDockWidget("Settings", self)
        dock.setObjectName("settings_dock")
        dock.setWidget(self.settings_panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setMinimumWidth(300)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.plots = PlotsPanel()
        self.evaluation = EvaluationPanel()  # an evaluation's report, a tab beside the plots
        self.experiment_view = ExperimentView()  # several runs: CV, learning curves, overlays
        self.search_view = SearchView()  # a hyperparameter search's study, live
        self.tabs = QTabWidget()
        self.tabs.addTab(self.plots, "Training")
        self.tabs.addTab(self.experiment_view, "Experiment")
        self.tabs.addTab(self.search_view, "Search")
        self.tabs.addTab(self.evaluation, "Evaluation")
        self.tabs.setTabEnabled(self.tabs.indexOf(self.evaluation), False)  # until there is a report
        self.setCentralWidget(self.tabs)
        self.experiments = Experiments(self)  # the Experiments menu, the Runs dock
        self.actions = self._build_actions()
        self.status = RunStatus(self.statusBar())
        self._build_menus()
        self.status_label = self.status.label  # the line a user reads first
        self.run_state = RunState(self.actions, on_live=self.settings_panel.set_live)
        self.keys = RunKeys(self, self.actions["pause"], self.actions["stop"])
        self.closer = CloseGuard(self, self.engine, self._on_closing, self._live_job)
        self.evaluations = Evaluations(self)
        self.experiments.build_browser()

        self.router = EventRouter()
        self.plots.subscribe(self.router)
        self.status.subscribe(self.router)
        for event_type, handler in ((ev.ExperimentStarted, self.experiments.on_experiment_started),
                                    (ev.TrialStarted, self._on_trial_started),
                                    (ev.RunStarted, self._on_run_started),
                                    (ev.EpochMetrics, self.epoch_shown.emit),
                                    (ev.SettingsApplied, self._on_settings_applied),
                                    (ev.RunFinished, self._on_run_finished),
                                    (ev.Evaluated, self.evaluations.on_evaluated),
                                    (ev.EvaluationFailed, self.evaluations.on_failed),
                                    (ev.Thumbnails, self.evaluations.on_thumbnails),
                                    (ev.ExperimentFinished, self._on_experiment_finished)):
            self.router.subscribe(event_type, handler)

        stored, stored_preset, problem = self.store.restore_settings()
        if problem:
            self.status.say(problem)
        if config is not None:
            self.settings_panel.set_config(config, preset)
        elif stored is not None:
            self.settings_panel.set_config(stored, stored_preset)
        else:
            self.settings_panel.set_config(load_preset("overfit"), "overfit")
        self.run_state.update()
        view = self.store.restore_view()
        if view.get("text_scale", 1.0) != 1.0:
            self.scale_text(view["text_scale"])
        if view.get("layer_plots") is False:
            self.menu_actions["Layer plots (weight and gradient norms)"].setChecked(False)
            self.plots.show_layer_plots(False)
        if not self.store.restore_geometry(self):
            self.first_fit = FirstLaunchFit(self)  # 1400 x 900, or what a smaller screen holds

    # ---- construction ---------------------------------------------------------------
    def _build_actions(self) -> dict[str, QAction]:
        return menus.toolbar(self, [
            ("start", "Start", "Ctrl+Return", "Train with the settings on the left", self._on_start_triggered),
            ("pause", "Pause", "Space", "Pause or resume training at the next batch", self._on_pause_triggered),
            ("stop", "Stop", "Esc", "Stop now and keep the best weights", self._on_stop_triggered),
            ("reset", "Reset", None, "Clear the plots, including earlier runs kept for comparison",
             self._on_reset_triggered),
            None,
            ("validate", "Evaluate on validation", None, "After a run, as often as wanted: the report on "
             "the validation split, in the Evaluation tab", self._on_validate_triggered),
            ("test", "Evaluate on test set", None, "Once, after a run, with the weights it ended with (the "
             "best epoch's where restore best is on): accuracy and per-class precision / recall / F1 on the "
             "locked test split", self._on_test_triggered)])

    def _build_menus(self) -> None:
        self.settings_files = SettingsFiles(self, self.settings_panel, self.status.say)
        self.exports = Exports(self, self.status.say)
        keys = QKeySequence.StandardKey
        self.menu_actions = menus.menus(self, [
            ("&File", [("Open settings…", self.settings_files.open, keys.Open),
                       ("Save settings as…", self.settings_files.save_as, keys.SaveAs), None,
                       ("Evaluate a run folder on validation…", partial(self.evaluate_folder, "val"), None),
                       ("Evaluate a run folder on the test set…", partial(self.evaluate_folder, "test"), None),
                       None,
                       ("Export the window as PNG…", self.exports.window_png, None),
                       ("Export the plots as SVG…", self.exports.plots_svg, None),
                       ("Export the run's epoch metrics as CSV…", self.exports.metrics_csv, None),
                       ("Export the evaluation report (CSV / JSON)…", self.exports.report_file, None),
                       ("Export the gallery as a contact sheet…", self.exports.gallery_png, None), None,
                       ("Quit", self.close, keys.Quit)]),
            ("E&xperiments", self.experiments.menu_entries()),
            ("&View", [("Larger text", partial(self.scale_text, 1.25), [keys.ZoomIn, "Ctrl+="]),
                       ("Smaller text", partial(self.scale_text, 0.8), keys.ZoomOut), None,
                       ("Layer plots (weight and gradient norms)", self.plots.show_layer_plots, "Ctrl+L", True)]),
            ("&Help", [("Where are my runs and logs?", self._on_where_triggered, None),
                       ("About Overfit Lab", partial(dialogs.about, self), None)])])

    def scale_text(self, factor: float) -> None:
        """View > Larger / Smaller text: the plots, and every other text of the app, for the
        back row of a room."""
        self.plots.scale_text(factor)
        self.experiment_view.scale_text(self.plots.text_scale)
        app = QApplication.instance()
        base = app.property("base_font_pt")  # the application's own size, before any scaling
        if base is None:
            base = app.font().pointSizeF()
            app.setProperty("base_font_pt", base)
        font = app.font()
        font.setPointSizeF(base * self.plots.text_scale)
        app.setFont(font)
        self.resizeDocks([self.dock], [round(330 * self.plots.text_scale)], Qt.Orientation.Horizontal)

    # ---- state ------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self.run_state.state

    def engine_warmed(self) -> None:
        """The background warm-up has imported what a first run needs: freeze those too."""
        freeze_startup_objects()

    def set_engine_ready(self) -> None:
        freeze_startup_objects()
        self.run_state.engine_ready = True
        if self.state == IDLE:
            self.status.say(f"ready: press Start (Ctrl+Return){self.experiments.hint}")
        self.run_state.update()

    def any_thread_running(self) -> bool:
        return self.engine.is_running()

    # ---- requests -------------------------------------------------------------------
    @Slot()
    def _on_start_triggered(self) -> None:
        self.start_run()

    def start_run(self, config: Config | None = None, plan: list | None = None, **job) -> bool:
        """Start the panel's settings (or `config` with a `plan` of runs: an experiment;
        `job`: RunHandle's kind, meta, name, notes or resume_dir)."""
        if self.state != IDLE or not self.run_state.engine_ready or self.closer.closing:
            return False  # a second click never starts a second run
        self.settings_panel.commit_edits()  # a number typed just before Ctrl+Return counts
        try:
            config = config or (None if job.get("resume_dir") else self.settings_panel.config())
        except ConfigError as exc:
            log.warning("cannot start: %s", exc)
            self.status.say(f"cannot start: {exc}")
            return False
        self._retire_handle()
        self.last_result = self.started_event = None
        self.run_state.can_test = self.run_state.can_validate = False
        self._save_state()
        self.handle = RunHandle(config, self.runs_dir, plan=plan or [{}], **job)
        self.multi_run = (len(self.handle.plan) > 1 or self.handle.resume_dir is not None
                          or self.handle.search is not None)
        first = config.with_updates(self.handle.plan[0]) if config is not None and self.handle.plan else config
        self.run_label = ((first.run.name if first else "") or self.settings_panel.preset_label() or "run")
        if first is not None:
            self.plots.prepare_run(self.run_label, first.optim.epochs, first.data.dataset)
            self.status.starting(first.optim.epochs)
        self.run_state.set(RUNNING)
        self.engine.start(self.handle)
        return True

    @Slot()
    def _on_pause_triggered(self) -> None:
        if self.handle is None:
            return
        if self.state == RUNNING:
            self.handle.control.pause()
            self.run_state.set(PAUSED)
            self.status.say("pausing at the next batch…")
        elif self.state == PAUSED:
            self.handle.control.resume()
            self.run_state.set(RUNNING)

    @Slot()
    def _on_stop_triggered(self) -> None:
        if self.multi_run and self.state in (RUNNING, PAUSED) and self.handle is not None:
            was_paused = self.state == PAUSED
            self.handle.control.pause()  # nothing more happens while the question is open
            if not dialogs.confirm(self, "Stop the experiment?", "Stop the run in progress and the experiment? "
                                   "The runs that have finished are kept; Resume in the Runs tab (or the same "
                                   "study's name, for a search) goes on with the rest.", "Stop"):
                if not was_paused:
                    self.handle.control.resume()
                return
            self.handle.control.resume()  # the stop is honoured where the run waits
        if self.handle is not None and self.state in (RUNNING, PAUSED):
            self.handle.control.request_stop()
            self.run_state.set(STOPPING)
            self.status.say("stopping…")

    @Slot()
    def _on_reset_triggered(self) -> None:
        if self.state != IDLE:
            return
        self._retire_handle()
        self.plots.reset()
        self.status.clear()
        self.status.say("ready: press Start (Ctrl+Return)")
        self.run_state.can_test = self.run_state.can_validate = False
        self.run_state.update()

    @Slot()
    def _on_test_triggered(self) -> None:
        self.evaluations.of_current_run("test")

    @Slot()
    def _on_validate_triggered(self) -> None:
        self.evaluations.of_current_run("val")

    def evaluate_folder(self, split: str, path: str | None = None, weights: str | None = None) -> None:
        self.evaluations.of_folder(split, path, weights)

    def show_tab(self, widget) -> None:
        self.tabs.setCurrentWidget(widget)

    @property
    def test_result(self) -> ev.Evaluated | None:
        return self.evaluations.test_result

    @Slot(str, object)
    def _on_settings_setting_changed(self, key: str, value) -> None:
        if self.state in (RUNNING, PAUSED) and key in self._live and self.handle is not None:
            try:
                self.handle.control.submit_settings({key: value})
            except ConfigError as exc:
                self.settings_panel.show_error(exc)

    @Slot(str)
    def _on_settings_preset_chosen(self, name: str) -> None:
        try:
            self.settings_panel.set_config(load_preset(name), name)
        except ConfigError as exc:
            self.status.say(str(exc))

    # ---- engine events (queued from the engine thread) --------------------------------
    @Slot(int, object)
    def _on_worker_event_emitted(self, number: int, event) -> None:
        if self.handle is not None and number == self.handle.number:
            self.router.dispatch(event)  # else a late event of a retired run
        elif self.evaluations.is_folder_job(number):
            if isinstance(event, ev.Evaluated):
                self.evaluations.on_evaluated(event, of_current_run=False)
            elif isinstance(event, ev.EvaluationFailed):
                self.evaluations.on_failed(event)
            elif isinstance(event, ev.Thumbnails):
                self.evaluations.on_thumbnails(event)

    def _on_trial_started(self, event: ev.TrialStarted) -> None:
        self.exports.run_dir = event.run_dir
        self.experiments.on_trial_started(event)
        if event.index > 0:  # the next run of a plan: its own curves, its own progress
            label = event.changes.get("run.name") or ", ".join(
                f"{k.split('.')[-1]} {v}" for k, v in event.changes.items()) or "run"
            self.plots.prepare_run(label)
            try:
                self.status.starting(self.handle.config.with_updates(event.changes).optim.epochs)
            except (ConfigError, AttributeError):
                pass

    def _on_run_started(self, event: ev.RunStarted) -> None:
        self.started_event = event
        for warning in event.warnings:  # the data loaded, with something left out
            log.warning("%s", warning)
            self.status.warn(warning)
        self.run_started.emit(event)

    def _x_of(self, step: int) -> float:
        spe = self.started_event.steps_per_epoch if self.started_event else 1
        return step / max(spe, 1)

    def _on_settings_applied(self, event: ev.SettingsApplied) -> None:
        text = ", ".join(f"{k.split('.')[-1]} {short_value(a)}→{short_value(b)}"
                         for k, (a, b) in event.changes.items())
        self.plots.add_marker(self._x_of(event.step), text)
        self.status.say(f"step {event.step:,}: {text}")

    def _on_run_finished(self, result: ev.RunFinished) -> None:
        self.last_result = result
        if self.started_event is not None:
            self.plots.add_marker(self._x_of(result.step), ev.REASON_TEXT[result.reason],
                                  "#c0392b" if result.reason in (ev.DIVERGED, ev.FAILED) else "#555")
        self.plots.finish_run()
        if self.multi_run:  # the plan goes on with its next run; the window ends with the plan
            if result.reason in (ev.FAILED, ev.DIVERGED):
                self.status.say(f"a run of the experiment {result.reason}: {result.message}")
            return
        self._job_ended(result)

    def _job_ended(self, result: ev.RunFinished) -> None:
        self.run_state.can_test = result.reason in ev.USABLE and self.started_event is not None
        self.run_state.can_validate = self.run_state.can_test
        self.run_state.set(IDLE)
        if result.reason in (ev.FAILED, ev.DIVERGED) and not self.closer.closing:
            log.error("run %s: %s", "refused its input" if result.bad_input else result.reason, result.message)
            self.error_dialog = dialogs.run_failed(self, result)
        self.run_ended.emit(result)

    def _on_experiment_finished(self, event: ev.ExperimentFinished) -> None:
        self.multi_run = False
        self.experiments.on_experiment_finished(event)
        if self.state == IDLE:
            return
        if self.last_result is not None:  # the plan's last run has ended
            self._job_ended(self.last_result if event.reason != ev.FAILED or self.last_result.reason == ev.FAILED
                            else ev.RunFinished(reason=event.reason, message=event.message, epochs_completed=0,
                                                step=0, best_epoch=None, best_value=None))
        else:  # stopped or failed before a run began
            self._job_ended(ev.RunFinished(reason=event.reason, message=event.message,
                                           epochs_completed=0, step=0, best_epoch=None, best_value=None))

    # ---- runs, closing, help -------------------------------------------------------------
    def _retire_handle(self) -> None:
        """Drop the previous job (it has ended: Start and Reset are IDLE-only); the worker
        frees its run when it starts the next one."""
        if self.handle is not None:
            self.handle.shutdown()
            self.handle = None
        self.evaluations.new_run()

    def _save_state(self) -> None:
        try:
            config = self.settings_panel.config()
        except ConfigError:
            config = None
        self.store.save(self, config, self.settings_panel.preset_name(),
                        {"text_scale": self.plots.text_scale, "layer_plots": self.plots.grid.layers})

    def _live_job(self):
        live = self.handle is not None and self.state in (RUNNING, PAUSED)
        return (self.handle.control, self.multi_run) if live else None

    def _on_closing(self) -> None:
        self._save_state()
        self.run_state.closing = True
        if self.handle is not None and self.handle.busy:
            self.status.say("stopping the run before closing…")
        self.run_state.update()

    def closeEvent(self, event) -> None:
        if not self.closer.allow_close():
            event.ignore()
            return
        if not self.closer.closing:
            self._save_state()
        event.accept()

    @Slot()
    def _on_where_triggered(self) -> None:
        from engine.core.logs import LOG_NAME, log_dir
        self.where_dialog = dialogs.where_are_my_files(
            self, self.runs_dir, self.log_path or Path(log_dir()) / LOG_NAME,
            self.store.file_name())
