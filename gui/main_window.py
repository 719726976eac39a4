"""The main window: composition and event dispatch only."""

from __future__ import annotations

import json
import time

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QToolBar,
)

from engine import events as ev
from engine.config import Config, ConfigError, live_keys
from gui.panels.plots import PlotsPanel
from gui.panels.settings import SettingsPanel
from gui.panels.test_results import TestResultsDialog
from gui.worker import Engine, RunHandle, collect_garbage_on_the_gui_thread, freeze_startup_objects

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"
END_LABELS = {ev.EARLY_STOPPED: "early stop", ev.USER_STOPPED: "stopped", ev.DIVERGED: "diverged",
              ev.FAILED: "failed", ev.COMPLETED: "end"}


def short_value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


class MainWindow(QMainWindow):
    run_started = Signal(object)  # RunStarted, after the plots have it
    run_ended = Signal(object)  # RunFinished, after the window has shown it
    epoch_shown = Signal(object)  # EpochMetrics, after the plots have it
    test_shown = Signal(object)

    def __init__(self, config: Config | None = None, preset: str | None = None, runs_dir=None,
                 restore: bool = True):
        super().__init__()
        self.setWindowTitle("Overfit Lab")
        self.runs_dir = runs_dir
        self.handle: RunHandle | None = None
        self.log_path = None  # the app sets it; shown by Help > Where are my runs and logs?
        collect_garbage_on_the_gui_thread()
        self.engine = Engine(self)
        self.engine.thread.finished.connect(self._on_thread_finished)
        self.engine.worker.event_emitted.connect(self._on_worker_event_emitted)
        self.engine.worker.run_finished.connect(self._on_worker_run_finished)
        self.engine.worker.test_evaluated.connect(self._on_worker_test_evaluated)
        self.state = IDLE
        self.engine_ready = False
        self.started_event: ev.RunStarted | None = None
        self.last_result: ev.RunFinished | None = None
        self.error_dialog: QMessageBox | None = None
        self.test_dialog: TestResultsDialog | None = None
        self._close_when_done = False
        self._run_t0 = 0.0
        self._live = set(live_keys())
        self._last_step: ev.StepMetrics | None = None
        self._geometry_restored = False
        self._run_label = "run"
        self._info_t = 0.0

        self.settings_panel = SettingsPanel()
        self.settings_panel.setting_changed.connect(self._on_settings_setting_changed)
        self.settings_panel.preset_chosen.connect(self._on_settings_preset_chosen)
        dock = QDockWidget("Settings", self)
        dock.setObjectName("settings_dock")
        dock.setWidget(self.settings_panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setMinimumWidth(330)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.plots = PlotsPanel()
        self.setCentralWidget(self.plots)
        self._build_actions()
        self._build_status_bar()

        stored = self._restore_state() if restore else None
        if config is not None:
            self.settings_panel.set_config(config, preset)
        elif stored is None:
            from engine.config import load_preset

            self.settings_panel.set_config(load_preset("overfit"), "overfit")
        self._update_buttons()
        if not self._geometry_restored:
            self.resize(1400, 900)

    # ---- construction ---------------------------------------------------------------
    def _build_actions(self) -> None:
        bar = QToolBar("Run")
        bar.setObjectName("run_toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)

        def action(text, shortcut, tip, slot):
            a = QAction(text, self)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
                tip = f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})"
            a.setToolTip(tip)
            a.setStatusTip(tip)
            a.triggered.connect(slot)
            bar.addAction(a)
            return a

        self.start_action = action("Start", "Ctrl+Return", "Train with the settings on the left", self._on_start_triggered)
        self.pause_action = action("Pause", "Space", "Pause or resume training at the next batch", self._on_pause_triggered)
        self.stop_action = action("Stop", "Esc", "Stop now and keep the best weights", self._on_stop_triggered)
        self.reset_action = action("Reset", None, "Clear the plots, including earlier runs kept for comparison", self._on_reset_triggered)
        bar.addSeparator()
        self.test_action = action("Evaluate on test set", None,
                                  "Once, after a run: accuracy and per-class precision / recall / F1 on "
                                  "the locked test split", self._on_test_triggered)

        help_menu = self.menuBar().addMenu("&Help")
        where = QAction("Where are my runs and logs?", self)
        where.triggered.connect(self._on_where_triggered)
        help_menu.addAction(where)
        about = QAction("About Overfit Lab", self)
        about.triggered.connect(self._on_about_triggered)
        help_menu.addAction(about)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_label = QLabel("loading engine…")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.info_label = QLabel("")
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.info_label)
        sb.addPermanentWidget(self.progress)

    # ---- state ------------------------------------------------------------------------
    def engine_warmed(self) -> None:
        """The background warm-up has imported what a first run needs: freeze those too."""
        freeze_startup_objects()

    def set_engine_ready(self) -> None:
        freeze_startup_objects()
        self.engine_ready = True
        if self.state == IDLE:
            self.status_label.setText("ready: press Start (Ctrl+Return)")
        self._update_buttons()

    def _set_state(self, state: str) -> None:
        self.state = state
        self.settings_panel.set_live(state != IDLE)
        self._update_buttons()

    def _update_buttons(self) -> None:
        s = self.state
        self.start_action.setEnabled(s == IDLE and self.engine_ready)
        self.pause_action.setEnabled(s in (RUNNING, PAUSED))
        self.pause_action.setText("Resume" if s == PAUSED else "Pause")
        self.stop_action.setEnabled(s in (RUNNING, PAUSED))
        self.reset_action.setEnabled(s == IDLE)
        can_test = (s == IDLE and self.handle is not None and self.last_result is not None
                    and self.last_result.reason in (ev.COMPLETED, ev.EARLY_STOPPED, ev.USER_STOPPED)
                    and self.handle.trainer is not None
                    and self.handle.trainer.test_result is None and not self.handle.busy
                    and not self._close_when_done)
        self.test_action.setEnabled(bool(can_test))

    # ---- requests -------------------------------------------------------------------
    @Slot()
    def _on_start_triggered(self) -> None:
        self.start_run()

    def start_run(self) -> bool:
        if self.state != IDLE or not self.engine_ready:
            return False  # a second click never starts a second worker
        try:
            config = self.settings_panel.config()
        except ConfigError as exc:
            self.status_label.setText(f"cannot start: {exc}")
            return False
        self._retire_handle()
        self.last_result = None
        self._last_step = None
        self.started_event = None
        self._save_state()
        handle = RunHandle(config, self.runs_dir)
        self.handle = handle
        self._run_label = config.run.name or self.settings_panel.current_preset() or "run"
        self.plots.prepare_run(self._run_label)
        self._run_t0 = time.perf_counter()
        self.progress.setRange(0, config.optim.epochs)
        self.progress.setValue(0)
        self.status_label.setText("starting…")
        self._set_state(RUNNING)
        self.engine.start(handle)
        return True

    @Slot()
    def _on_pause_triggered(self) -> None:
        if self.handle is None:
            return
        if self.state == RUNNING:
            self.handle.control.pause()
            self._set_state(PAUSED)
            self.status_label.setText("pausing at the next batch…")
        elif self.state == PAUSED:
            self.handle.control.resume()
            self._set_state(RUNNING)

    @Slot()
    def _on_stop_triggered(self) -> None:
        if self.handle is not None and self.state in (RUNNING, PAUSED):
            self.handle.control.request_stop()
            self._set_state(STOPPING)
            self.status_label.setText("stopping…")

    @Slot()
    def _on_reset_triggered(self) -> None:
        if self.state != IDLE:
            return
        self._retire_handle()
        self.plots.reset()
        self.progress.setValue(0)
        self.info_label.setText("")
        self.status_label.setText("ready: press Start (Ctrl+Return)")
        self._update_buttons()

    @Slot()
    def _on_test_triggered(self) -> None:
        if self.test_action.isEnabled() and self.handle is not None:
            self.test_action.setEnabled(False)
            self.status_label.setText("evaluating on the test set…")
            self.engine.evaluate(self.handle)

    @Slot(str, object)
    def _on_settings_setting_changed(self, key: str, value) -> None:
        if self.state in (RUNNING, PAUSED) and key in self._live and self.handle is not None:
            try:
                self.handle.control.submit_settings({key: value})
            except ConfigError as exc:
                self.settings_panel.show_error(exc)

    @Slot(str)
    def _on_settings_preset_chosen(self, name: str) -> None:
        from engine.config import load_preset

        try:
            self.settings_panel.set_config(load_preset(name), name)
        except ConfigError as exc:
            self.status_label.setText(str(exc))

    # ---- engine events (queued from the training thread) ------------------------------
    def _is_current(self, number: int) -> bool:
        return self.handle is not None and number == self.handle.number

    @Slot(int, object)
    def _on_worker_event_emitted(self, number: int, event) -> None:
        if not self._is_current(number):
            return  # a late event from a retired run
        if isinstance(event, ev.StepMetrics):
            self.plots.add_step(event)
            self._last_step = event
            now = time.perf_counter()
            if now - self._info_t >= 0.25:  # a status line at 4 Hz is plenty to read
                self._info_t = now
                self._update_info()
        elif isinstance(event, ev.EpochMetrics):
            self.plots.add_epoch(event)
            self.progress.setValue(event.epoch)
            self._update_info(event)
            self.epoch_shown.emit(event)
        elif isinstance(event, ev.RunStarted):
            self.started_event = event
            self.plots.start_run(event, self._run_label)
            self.status_label.setText(f"training on {event.device}")
            self._update_info()
            self.run_started.emit(event)
        elif isinstance(event, ev.DecisionBoundary):
            self.plots.set_boundary(event)
        elif isinstance(event, ev.SettingsApplied):
            text = ", ".join(f"{k.split('.')[-1]} {short_value(a)}→{short_value(b)}" for k, (a, b) in event.changes.items())
            self.plots.add_marker(self._x_of(event.step), text)
            self.status_label.setText(f"step {event.step}: {text}")
        elif isinstance(event, ev.Paused):
            self.status_label.setText(f"paused at step {event.step}")
        elif isinstance(event, ev.Resumed):
            self.status_label.setText(f"training on {self.started_event.device if self.started_event else ''}")
        elif isinstance(event, ev.EarlyStopped):
            self.status_label.setText(f"early stop: best {event.monitor} at epoch {event.best_epoch}")

    def _x_of(self, step: int) -> float:
        spe = self.started_event.steps_per_epoch if self.started_event else 1
        return step / max(spe, 1)

    def _update_info(self, epoch: ev.EpochMetrics | None = None) -> None:
        st = self.started_event
        if st is None:
            return
        step = self._last_step
        parts = []
        done_epochs = epoch.epoch if epoch else (int(step.epoch_fraction) if step else 0)
        parts.append(f"epoch {done_epochs}/{st.epochs}")
        if step:
            parts.append(f"step {step.step:,}")
            parts.append(f"{step.samples_per_sec:,.0f} samples/s")
            elapsed = time.perf_counter() - self._run_t0
            frac = step.epoch_fraction / st.epochs
            if frac > 0.02:
                remaining = elapsed * (1 - frac) / frac
                parts.append(f"ETA {int(remaining // 60)}:{int(remaining % 60):02d}")
        parts.append(st.device)
        parts.append(f"{st.parameter_count:,} parameters")
        self.info_label.setText("  ·  ".join(parts))

    @Slot(int, object)
    def _on_worker_run_finished(self, number: int, result: ev.RunFinished) -> None:
        if not self._is_current(number):
            return
        self.last_result = result
        if self.started_event is not None:
            self.plots.add_marker(self._x_of(result.step), END_LABELS[result.reason],
                                  "#c0392b" if result.reason in (ev.DIVERGED, ev.FAILED) else "#555")
        self.plots.finish_run()
        text = {ev.COMPLETED: "finished", ev.EARLY_STOPPED: "stopped early", ev.USER_STOPPED: "stopped",
                ev.DIVERGED: "diverged", ev.FAILED: "failed"}[result.reason]
        best = f"; best epoch {result.best_epoch}" if result.best_epoch else ""
        self.status_label.setText(f"{text}: {result.message}{best}")
        self._set_state(IDLE)
        if result.reason in (ev.FAILED, ev.DIVERGED) and not self._close_when_done:
            self._show_error(result)
        self.run_ended.emit(result)

    @Slot(int, object)
    def _on_worker_test_evaluated(self, number: int, result) -> None:
        if not self._is_current(number):
            return
        if isinstance(result, Exception):
            self.status_label.setText(f"test evaluation failed: {result}")
            self._update_buttons()
            return
        self.status_label.setText(f"test accuracy {result.accuracy:.2%} (macro F1 {result.macro_f1:.3f})")
        self.test_dialog = TestResultsDialog(result, self._run_label, self)
        self.test_dialog.show()
        self._update_buttons()
        self.test_shown.emit(result)

    def _show_error(self, result: ev.RunFinished) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Critical if result.reason == ev.FAILED else QMessageBox.Icon.Warning)
        box.setWindowTitle("Training failed" if result.reason == ev.FAILED else "Training diverged")
        box.setText(result.message)
        if result.traceback:
            box.setDetailedText(result.traceback)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.error_dialog = box
        box.open()  # not exec(): the window keeps running

    # ---- threads ----------------------------------------------------------------------
    def _retire_handle(self) -> None:
        """Drop the previous run (it has ended: Start and Reset are IDLE-only); its trainer
        is freed once the engine worker starts the next run."""
        if self.handle is not None:
            self.handle.shutdown()
            self.handle = None

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._close_when_done:
            self.close()

    def any_thread_running(self) -> bool:
        return self.engine.is_running()

    def closeEvent(self, event) -> None:
        if self.engine.is_running():
            # Ask a live run to stop and let the engine thread end; close for real on its
            # `finished` (the run folder is flushed by then). Never block the GUI thread
            # on QThread.wait().
            self._close_when_done = True
            self._save_state()
            if self.handle is not None and self.handle.busy:
                self.status_label.setText("stopping the run before closing…")
            self.engine.quit()  # stops the run; the loop ends once the current slot returns
            self._update_buttons()
            event.ignore()
            return
        self._save_state()
        if self.test_dialog is not None:
            self.test_dialog.close()
        event.accept()

    # ---- persistence ----------------------------------------------------------------
    def _settings_store(self) -> QSettings:
        return QSettings()

    def _save_state(self) -> None:
        store = self._settings_store()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        try:
            store.setValue("settings/config", json.dumps(self.settings_panel.config().to_dict()))
            store.setValue("settings/preset", self.settings_panel.current_preset() or "")
        except ConfigError:
            pass  # an invalid edit is not saved; the last valid settings stay
        store.sync()

    def _restore_state(self) -> Config | None:
        """Geometry and last settings; anything unreadable falls back to the defaults."""
        store = self._settings_store()
        self._geometry_restored = False
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self._geometry_restored = self.restoreGeometry(geometry)
            state = store.value("window/state")
            if isinstance(state, QByteArray):
                self.restoreState(state)
        raw = store.value("settings/config")
        if not raw:
            return None
        try:
            cfg = Config.from_dict(json.loads(raw))
        except (ValueError, TypeError) as exc:
            self.status_label.setText(f"stored settings unreadable ({exc}); using defaults")
            return None
        self.settings_panel.set_config(cfg, store.value("settings/preset") or None)
        return cfg

    # ---- help -------------------------------------------------------------------------
    @Slot()
    def _on_where_triggered(self) -> None:
        from engine.logs import LOG_NAME, log_dir
        from engine.runs import default_runs_dir

        runs = self.runs_dir or default_runs_dir()
        log = self.log_path or log_dir() / LOG_NAME
        self.where_dialog = QMessageBox(QMessageBox.Icon.Information, "Where are my runs and logs?",
                                        f"Run folders (config, metrics, weights, summary):\n{runs}\n\n"
                                        f"Log file (errors and crashes):\n{log}\n\n"
                                        f"Settings: {self._settings_store().fileName()}", parent=self)
        self.where_dialog.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where_dialog.open()

    @Slot()
    def _on_about_triggered(self) -> None:
        from engine import __version__

        QMessageBox.about(self, "About Overfit Lab",
                          f"Overfit Lab {__version__}\nSee why deep networks overfit and how "
                          "regularization fixes it.\nFashion-MNIST © 2017 Zalando SE, MIT licence.")
