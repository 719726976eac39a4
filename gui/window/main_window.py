"""The main window: composition only.

Panels and the status bar subscribe to the engine events they show (gui.window.dispatch); the
run's requests and events (gui.window.session), the run state, settings persistence, dialogs,
keys and the close protocol are small classes of their own, each handed what it touches. What
is left here: building the window and wiring those parts together."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QTabWidget

from engine.core import events as ev
from engine.core.config import Config, ConfigError, load_preset
from engine.core.i18n import N_, _
from engine.runs.reader import ending_weights
from gui import dialogs
from gui.controllers.evaluations import Evaluations
from gui.controllers.examples import Examples
from gui.controllers.experiments import NEXT_RUN, Experiments
from gui.controllers.exports import Exports
from gui.controllers.followed_run import FollowedRun
from gui.controllers.lessons import Lessons
from gui.controllers.runs_dock import RunsDock
from gui.controllers.search import Searches
from gui.controllers.settings_files import SettingsFiles
from gui.controllers.tensorboard import TensorBoardFolders
from gui.garbage import collect_on_the_gui_thread, freeze_startup_objects
from gui.panels.evaluation import EvaluationPanel
from gui.panels.examples_view import ExamplesView
from gui.panels.experiment_view import ExperimentView
from gui.panels.plots import PlotsPanel
from gui.panels.search_view import SearchView
from gui.panels.settings import SettingsPanel
from gui.window import menus
from gui.window.accessibility import Accessibility
from gui.window.closing import CloseGuard
from gui.window.dispatch import EventRouter
from gui.window.geometry import FirstLaunchFit, KeepOnScreen
from gui.window.keys import RunKeys, key_name
from gui.window.language_menu import LanguageMenu
from gui.window.persistence import SettingsStore
from gui.window.presentation import Presentation
from gui.window.run_state import IDLE, RunState, enable_actions, follow_live
from gui.window.session import RunSession
from gui.window.status import RunStatus
from gui.worker import Engine

DOCK_SHARE = 0.3  # the most of the window's width the settings dock takes


class MainWindow(QMainWindow):
    run_started = Signal(object)  # RunStarted, after the plots have it
    run_ended = Signal(object)  # RunFinished, after the window has shown it
    epoch_shown = Signal(object)  # EpochMetrics, after the plots have it
    test_shown = Signal(object)  # Evaluated (the test split), once its dialog is open

    def __init__(self, config: Config | None = None, preset: str | None = None, runs_dir=None,
                 restore: bool = True):
        """restore=False: a scripted launch that neither reads nor writes stored settings."""
        super().__init__()
        self.setWindowTitle("Overfit Lab")  # i18n: not shown (the product's name, in every language)
        from engine.runs.reader import default_runs_dir

        self.runs_dir = runs_dir or default_runs_dir()  # every run of the window is written
        self.log_path = None  # the app sets it; shown by Help > Where are my runs and logs?
        self.error_dialog = self.where_dialog = None
        self.store = SettingsStore(enabled=restore)
        collect_on_the_gui_thread()
        self.engine = Engine(self)
        self.engine.worker.event_emitted.connect(self._on_worker_event_emitted)

        self.settings_panel = SettingsPanel()
        self.settings_panel.preset_chosen.connect(self._on_settings_preset_chosen)
        dock = self.dock = QDockWidget(_("Settings"), self)
        dock.setObjectName("settings_dock")
        dock.setWidget(self.settings_panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setMinimumWidth(300)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.plots = PlotsPanel()
        self.evaluation = EvaluationPanel()  # an evaluation's report, a tab beside the plots
        self.experiment_view = ExperimentView()  # several runs: CV, learning curves, overlays
        self.search_view = SearchView()  # a hyperparameter search's study, live
        self.examples_view = ExamplesView()  # which training examples it memorized
        self.tabs = QTabWidget()
        self.tabs.addTab(self.plots, _("Training"))
        self.tabs.addTab(self.examples_view, _("Examples"))
        self.tabs.addTab(self.experiment_view, _("Experiment"))
        self.tabs.addTab(self.search_view, _("Search"))
        self.tabs.addTab(self.evaluation, _("Evaluation"))
        self.tabs.setTabEnabled(self.tabs.indexOf(self.evaluation), False)  # until there is a report
        self.setCentralWidget(self.tabs)
        self.status = RunStatus(self.statusBar())
        self.status_label = self.status.label  # the line a user reads first
        self.run_state = RunState()
        self.session = RunSession(self, self.engine, self.run_state, self.settings_panel, self.plots,
                                  self.status, self.runs_dir)
        self.session.before_start = self._save_state
        self.session.run_started.connect(self.run_started)
        self.session.run_ended.connect(self.run_ended)
        self.session.failed.connect(self._on_session_failed)
        self.settings_panel.setting_changed.connect(self.session.submit_live)
        self.actions = self._build_actions()
        self.exports = Exports(self, plots=self.plots, gallery=self.evaluation.gallery, say=self.status.say,
                               examples=self.examples_view)
        self.runs_dock = RunsDock(self, settings_dock=dock, settings_panel=self.settings_panel, store=self.store,
                                  runs_dir=self.runs_dir, experiment_view=self.experiment_view, show_tab=self.show_tab,
                                  say=self.status.say, current_run_dir=lambda: self.exports.run_dir)
        self.experiments = Experiments(  # the Experiments menu
            self, settings_panel=self.settings_panel, plots=self.plots, experiment_view=self.experiment_view,
            tabs=self.tabs, say=self.status.say, start_run=self.start_run, runs_dock=self.runs_dock, session=self.session,
            searches_of=lambda start, panel_config: Searches(self, panel_config=panel_config,
                                               runs_dir=self.runs_dir, search_view=self.search_view,
                                               show_tab=self.show_tab, say=self.status.say, start=start,
                                               can_start=lambda: self.run_state.state == IDLE
                                               and not self.run_state.closing))
        self.evaluations = Evaluations(self, actions=self.actions, run_state=self.run_state, session=self.session,
                                       engine=self.engine, tabs=self.tabs, panel=self.evaluation,
                                       boundary=self.plots.boundary, say=self.status.say, runs_dir=self.runs_dir)
        self.examples = Examples(self, view=self.examples_view, tabs=self.tabs, experiments=self.experiments,
                                 engine=self.engine, current_run_dir=lambda: self.exports.run_dir,
                                 runs_dir=self.runs_dir, say=self.status.say)
        self.session.job_retired.connect(self.examples.on_retired)
        self.followed = self.session.followed = FollowedRun(  # a run another process writes, followed live
            self, run_state=self.run_state, session=self.session, settings_panel=self.settings_panel, plots=self.plots,
            status=self.status, examples=self.examples, tabs=self.tabs, say=self.status.say, runs_dir=self.runs_dir)
        self.followed.watch(self.runs_dock.browser)
        self.evaluations.shown.connect(self.exports.set_report)
        self.evaluations.shown.connect(self.test_shown)
        self.evaluations.failed.connect(self._on_evaluations_failed)
        self._build_menus()
        self.actions["next_run"] = self.menu_actions[NEXT_RUN]  # enabled only while a plan trains
        self.run_state.listen(enable_actions(self.actions))
        self.run_state.listen(follow_live(self.settings_panel.set_live))
        self.keys = RunKeys(self, self.actions["pause"], self.actions["stop"])
        self.closer = CloseGuard(self, self.engine, self._on_closing, self.session.live_job)
        self._connect_runs_requests()

        self.router = EventRouter()
        self.plots.subscribe(self.router)
        self.status.subscribe(self.router)
        for event_type, handler in ((ev.ExperimentStarted, self.experiments.on_experiment_started),
                                    (ev.TrialStarted, self.exports.on_trial_started),
                                    (ev.TrialStarted, self.experiments.on_trial_started),
                                    (ev.EpochMetrics, self.epoch_shown.emit),
                                    (ev.Evaluated, self.evaluations.on_evaluated),
                                    (ev.EvaluationFailed, self.evaluations.on_failed),
                                    (ev.Thumbnails, self.evaluations.on_thumbnails),
                                    (ev.ExperimentFinished, self.experiments.on_experiment_finished)):
            self.router.subscribe(event_type, handler)
        self.examples.subscribe(self.router)
        self.router.subscribe(ev.RunStarted, self.experiments.on_run_started)  # after the Examples tab shows a twin's run
        self.session.subscribe(self.router)  # after the experiments controller: the plan's end is shown first
        self.router.subscribe(ev.RunFinished, self.experiments.on_run_finished)  # after the session's: the run's end is recorded first

        stored, stored_preset, problem = self.store.restore_settings()
        if problem:
            self.status.say(problem)
        if config is not None:
            self.settings_panel.set_config(config, preset)
        elif stored is not None:
            self.settings_panel.set_config(stored, stored_preset)
        else:
            self.settings_panel.set_config(load_preset("overfit"), "overfit")
        view = self.store.restore_view()
        if view.get("text_scale", 1.0) != 1.0:
            self.scale_text(view["text_scale"])
        if view.get("layer_plots") is False:
            self.menu_actions["Layer plots (weight and gradient norms)"].setChecked(False)
            self.plots.show_layer_plots(False)
        if not self.store.restore_geometry(self):
            self.first_fit = FirstLaunchFit(self)  # 1400 x 900, or what a smaller screen holds
        self.lessons.dock.hide()  # the last session's lesson panel, restored empty: a lesson shows it again
        self.on_screen = KeepOnScreen(self)  # never larger than the screen, whatever the text size
        self.accessibility = Accessibility(self)  # names for a screen reader, plots described, milestones said

    # ---- construction ---------------------------------------------------------------
    def _connect_runs_requests(self) -> None:
        """What the Runs dock and the Search tab ask for, to the controller that does it."""
        browser, search = self.runs_dock.browser, self.search_view
        browser.twin_requested.connect(self.experiments.twin)
        browser.resume_requested.connect(self.experiments.resume)
        search.trial_opened.connect(self.runs_dock.show_run)
        search.settings_wanted.connect(self.runs_dock.open_settings)
        search.twin_wanted.connect(self.experiments.twin)
        # The weights the trial's value is of: those its run ended with.
        search.test_wanted.connect(lambda path: self.evaluate_folder("test", str(path), ending_weights(path)))

    def _build_actions(self) -> dict[str, QAction]:
        return menus.toolbar(self, [
            ("start", N_("Start"), "Ctrl+Return", N_("Train with the settings on the left"), self._on_start_triggered),
            ("pause", N_("Pause"), "Space", N_("Pause or resume training at the next batch"), self.session.pause_or_resume),
            ("stop", N_("Stop"), "Esc", N_("Stop now and keep the best weights"), self.session.stop),
            ("reset", N_("Reset"), None, N_("Clear the plots, including earlier runs kept for comparison"),
             self.session.reset),
            None,
            ("validate", N_("Evaluate on validation"), None, N_("After a run, as often as wanted: the report on "
             "the validation split, in the Evaluation tab"), self._on_validate_triggered),
            ("test", N_("Evaluate on test set"), None, N_("Once, after a run, with the weights it ended with (the "
             "best epoch's where restore best is on): accuracy and per-class precision / recall / F1 on the "
             "locked test split"), self._on_test_triggered)])

    def _build_menus(self) -> None:
        self.settings_files = SettingsFiles(self, self.settings_panel, self.status.say)
        self.tensorboard = TensorBoardFolders(self, runs_dir=self.runs_dir, runs_dock=self.runs_dock, say=self.status.say,
                                              open_run=self.followed.open)
        self.lessons = Lessons(self, settings_panel=self.settings_panel, session=self.session, run_state=self.run_state,
                               run_started=self.run_started, epoch_shown=self.epoch_shown, run_ended=self.run_ended,
                               say=self.status.say)
        keys = QKeySequence.StandardKey
        self.presentation = Presentation(self)  # View ▸ Presentation, Light / Dark / As the system
        self.language_menu = LanguageMenu(self)  # View ▸ Language
        self.menu_actions = menus.menus(self, [
            (N_("&File"), [(N_("Open settings…"), self.settings_files.open, keys.Open),
                       (N_("Save settings as…"), self.settings_files.save_as, keys.SaveAs),
                       (N_("Open TensorBoard folder…"), self.tensorboard.open, None),
                       (N_("Open run…"), self.followed.open, None), None,
                       (N_("Evaluate a run folder on validation…"), partial(self.evaluate_folder, "val"), None),
                       (N_("Evaluate a run folder on the test set…"), partial(self.evaluate_folder, "test"), None),
                       None,
                       (N_("Export the window as PNG…"), self.exports.window_png, None),
                       (N_("Export the plots as SVG…"), self.exports.plots_svg, None),
                       (N_("Export the run's epoch metrics as CSV…"), self.exports.metrics_csv, None),
                       (N_("Export the evaluation report (CSV / JSON)…"), self.exports.report_file, None),
                       (N_("Export the gallery as a contact sheet…"), self.exports.gallery_png, None),
                       (N_("Export the suspects as CSV…"), self.exports.suspects_csv, None), None,
                       (N_("Quit"), self.close, keys.Quit)]),
            (N_("E&xperiments"), self.experiments.menu_entries()),
            (N_("&Lessons"), self.lessons.menu_entries()),
            (N_("&View"), [(N_("Larger text"), partial(self.scale_text, 1.25), [keys.ZoomIn, "Ctrl+="]),
                       (N_("Smaller text"), partial(self.scale_text, 0.8), keys.ZoomOut), None,
                       (N_("Layer plots (weight and gradient norms)"), self.plots.show_layer_plots, "Ctrl+L", True),
                       *self.presentation.menu_entries(), *self.language_menu.menu_entries()]),
            (N_("&Help"), [(N_("Where are my runs and logs?"), self._on_where_triggered, None),
                       (N_("About Overfit Lab"), partial(dialogs.about, self), None)])])
        self.exports.suspects_action_follows_the_tab(self.menu_actions["Export the suspects as CSV…"])

    def scale_text(self, factor: float) -> None:
        """View > Larger / Smaller text: the plots, and every other text of the app, for the
        back row of a room."""
        self.plots.scale_text(factor)
        self.experiment_view.scale_text(self.plots.text_scale)
        self.search_view.scale_text(self.plots.text_scale)
        self.examples_view.scale_text(self.plots.text_scale)
        app = QApplication.instance()
        base = app.property("base_font_pt")  # the application's own size, before any scaling
        if base is None:
            base = app.font().pointSizeF()
            app.setProperty("base_font_pt", base)
        font = app.font()
        font.setPointSizeF(base * self.plots.text_scale)
        app.setFont(font)
        # Wider with the text, but never more than DOCK_SHARE of the window: its panel scrolls,
        # and the plots keep the rest (at 1280 x 720 an uncapped dock took 40 %).
        self.dock.setMaximumWidth(max(300, round(DOCK_SHARE * self.width())))
        self.resizeDocks([self.dock], [round(330 * self.plots.text_scale)], Qt.Orientation.Horizontal)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.dock.setMaximumWidth(max(300, round(DOCK_SHARE * self.width())))

    # ---- state ------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self.run_state.state

    @property
    def handle(self):
        return self.session.handle

    @property
    def started_event(self) -> ev.RunStarted | None:
        return self.session.started_event

    @property
    def last_result(self) -> ev.RunFinished | None:
        return self.session.last_result

    @property
    def test_result(self) -> ev.Evaluated | None:
        return self.evaluations.test_result

    def engine_warmed(self) -> None:
        """The background warm-up has imported what a first run needs: freeze those too."""
        freeze_startup_objects()

    def set_engine_ready(self) -> None:
        freeze_startup_objects()
        if self.state == IDLE:
            # i18n: {hint} is empty, or "; " and how many experiments can be resumed
            self.status.say(_("ready: press Start ({key}){hint}").format(key=key_name("Ctrl+Return"), hint=self.runs_dock.hint))
        self.run_state.change(engine_ready=True)

    def any_thread_running(self) -> bool:
        return self.engine.is_running() or self.search_view.off_thread.busy()

    # ---- requests -------------------------------------------------------------------
    @Slot()
    def _on_start_triggered(self) -> None:
        self.session.start()

    def start_run(self, config: Config | None = None, plan: list | None = None, **job) -> bool:
        """Start the panel's settings (or `config` with a `plan` of runs: an experiment;
        `job`: RunHandle's kind, meta, name, notes or resume_dir)."""
        return self.session.start(config, plan, **job)

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

    @Slot(str)
    def _on_settings_preset_chosen(self, name: str) -> None:
        try:
            self.settings_panel.set_config(load_preset(name), name)
        except ConfigError as exc:
            self.status.say(str(exc))

    @Slot(object)
    def _on_session_failed(self, result: ev.RunFinished) -> None:
        self.error_dialog = dialogs.run_failed(self, result)

    @Slot(str)
    def _on_evaluations_failed(self, message: str) -> None:
        self.error_dialog = dialogs.evaluation_failed(self, message)

    # ---- engine events (queued from the engine thread) --------------------------------
    @Slot(int, object)
    def _on_worker_event_emitted(self, number: int, event) -> None:
        if self.session.owns(number):
            self.router.dispatch(event)  # else a late event of a retired run
        elif self.examples.is_job(number):
            self.examples.on_folder_event(event)
        elif self.evaluations.is_folder_job(number):
            if isinstance(event, ev.Evaluated):
                self.evaluations.on_evaluated(event, of_current_run=False)
            elif isinstance(event, ev.EvaluationFailed):
                self.evaluations.on_failed(event)
            elif isinstance(event, ev.Thumbnails):
                self.evaluations.on_thumbnails(event)

    # ---- closing, help -------------------------------------------------------------------
    def _save_state(self) -> None:
        try:
            config = self.settings_panel.config()
        except ConfigError:
            config = None
        self.store.save(self, config, self.settings_panel.preset_name(),
                        {"text_scale": self.plots.text_scale, "layer_plots": self.plots.grid.layers})

    def _on_closing(self) -> None:
        self._save_state()
        if self.handle is not None and self.handle.busy:
            self.status.say(_("stopping the run before closing…"))
        self.run_state.change(closing=True)

    def closeEvent(self, event) -> None:
        if not self.closer.allow_close():
            event.ignore()
            return
        self.search_view.detach()  # no new read of a study starts
        pool = self.search_view.off_thread
        if pool.busy():  # a read in flight, a storage opening (a database's timeout, say):
            event.ignore()  # closed when it is back, the GUI thread never blocked on it
            pool.drop_callbacks()  # and nothing it was to start (a search) starts
            if not self.run_state.closing:
                self.run_state.change(closing=True)  # Start refuses meanwhile
                self.status.say(_("closing once the study's storage answers…"))
                pool.idle.connect(self.close, Qt.ConnectionType.SingleShotConnection)
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
