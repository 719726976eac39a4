"""A run another process writes, followed live in the window: a script using the logger, a
headless `main.py train`, a folder on a shared disk.

Picked up when it starts (a script's run appearing in a watched runs folder while the window
is idle) or opened by hand (double-click in the Runs dock, File ▸ Open run…). Its metrics are
read incrementally (only the new bytes; a half-written last line waits for its newline) when
the file changes and every POLL_MS, turned back into the engine's events and fed to the same
plots and status line as the window's own runs; its dynamics go to the Examples tab.

The toolbar's Pause and Stop reach the writer through the folder's control file
(engine.runs.remote); the window shows paused / stopped as the writer acknowledges (its
Paused / Resumed / RunFinished lines), and "stopped — writer gone" when its heartbeat stops.
Live remedy controls are off meanwhile: the run's settings are its writer's."""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from engine.core import events as ev
from engine.core.config import live_keys
from engine.core.i18n import _
from engine.runs.checked import UnreadableRun, read_config, read_summary
from engine.runs.index import MetricsTail
from engine.runs.reader import RUNNING, writer_alive
from gui.controllers.followed_records import (
    GONE_TEXT,
    SEND_FAILED,
    WRITER_GONE,
    event_of,
    label_of,
    locked_reason,
    progress_text,
    reason_of,
    started_of,
)
from gui.panels.plots import EPOCH_PLOTS
from gui.plotting.markers import change_label, change_text

# The run state's words (gui.window.run_state, a layer above: it hands the state in).
IDLE, LIVE, PAUSED, STOPPING = "idle", "running", "paused", "stopping"

POLL_MS = 250  # where no file watcher reaches (a network folder): a stat this often
FIRST_AXIS = 10  # epochs on the axis at first, for a script that does not say how many it trains
LIVENESS_S = 1.0  # how often the summary and the writer's heartbeat are looked at


class FollowedRun(QObject):
    """Handed what it touches: the run state, the session (its previous job is retired), the
    settings panel (its live controls locked), the plots and status (fed the folder's events),
    the Examples controller and the tabs, `say` for the status line and the runs folder."""

    opened = Signal(object)  # Path: a run folder now shown in the Training tab
    epoch_shown = Signal(object)  # EpochMetrics read from the folder, once the plots have it
    ended = Signal(object)  # RunFinished of the followed run (read, or concluded: writer gone)

    def __init__(self, parent, *, run_state, session, settings_panel, plots, status, examples, tabs, say,
                 runs_dir):
        super().__init__(parent)
        self.parent_window = parent
        self.run_state, self.session, self.panel = run_state, session, settings_panel
        self.plots, self.status, self.examples, self.tabs = plots, status, examples, tabs
        self.say, self.runs_dir = say, Path(runs_dir)
        self.path: Path | None = None
        self.live = False  # following a run whose writer is alive: Pause and Stop act on it
        self.reason = ""  # why the live controls are off
        self.tail: MetricsTail | None = None
        self.started: ev.RunStarted | None = None  # shown to the plots once the writer said it started
        self._config, self._summary = {}, {}  # the folder's, as opened
        self.result: ev.RunFinished | None = None
        self.epochs: list[dict] = []  # the epoch rows shown so far
        self._events_seen = 0
        self._checked = 0.0
        self._examples_shown = False
        self._since = time.time()  # a script's run that starts after this is picked up
        self._seen: set[Path] = set()
        self.router = Router()  # the plots and status line only: the window's job is not this run
        plots.subscribe(self.router)
        # The status line's pause and end; its progress is said here (a script may not say
        # how many epochs it trains, and sends no steps to time an ETA by).
        self.router.subscribe(ev.Paused, status.on_paused)
        self.router.subscribe(ev.RunFinished, status.on_finished)
        self.label = ""
        self._said = 0.0
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._on_watcher_file_changed)
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        settings_panel.setting_changed.connect(self._on_panel_setting_changed)

    # ---- requests ------------------------------------------------------------------------
    def open(self, path=None) -> bool:
        """Show a run folder in the Training tab (and its examples): followed while its
        writer is alive, else as it ended."""
        if not isinstance(path, str | Path):  # (the menu's action passes its checked state)
            from PySide6.QtWidgets import QFileDialog

            path = QFileDialog.getExistingDirectory(self.parent_window, _("Open a run folder"), str(self.runs_dir))
            if not path:
                return False
        path = Path(path)
        if self.run_state.state != IDLE and not self.live:
            self.say(_("not opened: a run of the window is live — stop it first (Esc) to open {run}").format(
                run=path.name))
            return False
        if not (path / "config.json").is_file():
            self.say(_("cannot open {path}: not a run folder (no config.json)").format(path=path))
            return False
        try:
            config, summary = read_config(path), read_summary(path)
        except UnreadableRun as exc:
            self.say(_("cannot open {path}: {why}").format(path=path.name, why=exc))
            return False
        self.let_go()
        self.session.retire()  # the window's previous job (and the Examples tab's run) gives way
        self.path, self.tail, self.result, self.started = path, MetricsTail(path), None, None
        self._events_seen, self._examples_shown, self._checked = 0, False, 0.0
        self.reason = locked_reason(summary)
        self._config, self._summary = config, summary
        self.tail.read()
        label = self.label = label_of(path, config, summary)
        if summary.get("source"):  # a script's run or an import: the preset's text is not this run's
            self.panel.show_followed(_("Shown: {run}, {why}; the settings below are the window's own.").format(
                run=label, why=self.reason))
        planned = started_of(path, self.tail.events, config, summary)  # (until the writer says)
        self.plots.prepare_run(label, planned.epochs or FIRST_AXIS, planned.dataset)
        self.status.clear()
        status = summary.get("status", RUNNING)
        alive = status == RUNNING and writer_alive(summary, path)
        self._show_start(force=not alive)
        self.opened.emit(path)
        if alive:
            self.live = True
            self.run_state.change(state=LIVE, can_test=False, can_validate=False, test_pending=False,
                                  after_search=False, following=True)
            self._lock_remedies()
            self.timer.start()
            self.say(_("following {run} ({why}); Pause and Stop act on it").format(run=label, why=self.reason))
        self._show_new()
        if not self.live and self.result is None:  # ended without a last line: the summary tells
            self._end(self._result_of(summary, status))
        self._show_examples()
        return True

    def pause_or_resume(self) -> None:
        """The toolbar's Pause: asks the writer; the window shows paused once it says so."""
        if not self.live:
            return
        if self.run_state.state == LIVE:
            if self._send("pause"):
                self.say(_("asked {run} to pause at its next batch…").format(run=self.path.name))
        elif self.run_state.state == PAUSED and self._send("resume"):
            self.say(_("asked {run} to resume…").format(run=self.path.name))

    def stop(self) -> None:
        """The toolbar's Stop: asks the writer to stop (as the window's own Stop: best weights kept)."""
        if self.live and self.run_state.state in (LIVE, PAUSED) and self._send("stop"):
            self.run_state.set(STOPPING)
            self.say(_("asked {run} to stop…").format(run=self.path.name))

    def _send(self, command: str) -> bool:
        from engine.runs import remote

        try:
            remote.send_command(self.path, command, by="window")
        except (OSError, ValueError, RuntimeError, LookupError) as exc:
            self.say(_(SEND_FAILED[command]).format(run=self.path.name, why=exc))
            return False
        return True

    # ---- a script's run appearing ---------------------------------------------------------
    def watch(self, browser) -> None:
        """The Runs dock's browser: a double-clicked run opens here; its scans (a folder
        appeared in a runs folder) bring a script's new run."""
        browser.tree.doubleClicked.connect(self._on_tree_double_clicked)
        browser.scanner.scanned.connect(self.on_runs_scanned)
        self._browser = browser

    @Slot(object)
    def _on_tree_double_clicked(self, index) -> None:
        from gui.panels.runs_browser import PATH_ROLE, RUN

        path = self._browser.proxy.mapToSource(index.siblingAtColumn(RUN)).data(PATH_ROLE)
        if path is not None and (Path(path) / "config.json").is_file():  # (an experiment's row: expanded, not opened)
            self.open(Path(path))
            self.tabs.setCurrentWidget(self.plots)

    @Slot(object)
    def on_runs_scanned(self, result) -> None:
        """The runs folders were scanned (a folder appeared): a script's run that started
        since the window opened is followed, when the window has nothing live."""
        _experiments, runs, _studies = result
        for run in runs:
            if run.path in self._seen:
                continue
            self._seen.add(run.path)
            if (run.status == RUNNING and run.summary.get("source") == "script" and self._new(run.path)
                    and self.run_state.state == IDLE and not self.run_state.closing):
                self.open(run.path)

    def _new(self, path: Path) -> bool:
        try:
            return (path / "config.json").stat().st_mtime >= self._since - 1.0
        except OSError:
            return False

    # ---- following ------------------------------------------------------------------------
    @Slot(str)
    def _on_watcher_file_changed(self, _path: str) -> None:
        self._show_new()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self._show_new()
        now = time.monotonic()
        if self.live and now - self._checked >= LIVENESS_S:
            self._checked = now
            self._check_writer()
            self._show_examples()

    def _show_new(self) -> None:
        """The lines appended since the last read, as events to the plots and status line."""
        if self.tail is None:
            return
        epochs_before = len(self.epochs)
        self.tail.read()
        self._show_start()
        for row in self.tail.epochs[epochs_before:]:
            self._epoch(row)
        for row in self.tail.events[self._events_seen:]:
            self._event(row)
        self._events_seen = len(self.tail.events)
        if self.live and not self.watcher.files() and self.tail.path.is_file():
            self.watcher.addPath(str(self.tail.path))  # (created after the folder was opened)

    def _show_start(self, force: bool = False) -> None:
        """The run's start to the plots, once: its RunStarted line (its layers, device, length)
        as soon as the writer has written it. A script's logger writes it at the first batch,
        seconds after the folder appears (data loading, the model moved to the GPU); one made
        from the folder's config and summary stands in where none came before the first epoch
        or the end (`force`)."""
        if self.started is not None or self.tail is None:
            return
        if not (force or self.tail.epochs or any(e.get("event") == "RunStarted" for e in self.tail.events)):
            return  # the writer has not said yet
        try:
            summary = read_summary(self.path)  # (the logger names its layers and device there as it starts)
        except UnreadableRun:
            summary = self._summary
        self.started = started_of(self.path, self.tail.events, self._config, summary)
        axis = self.started.epochs or FIRST_AXIS  # grown as epochs come where the script did not say
        self.router.dispatch(dataclasses.replace(self.started, epochs=axis))

    def _epoch(self, row: dict) -> None:
        event = event_of({**row, "type": "epoch"})
        self.epochs.append(row)
        if isinstance(event, ev.EpochMetrics):
            self._grow_epoch_axis(event.epoch)
            self.router.dispatch(event)
            self._show_progress(event.epoch)
            self.epoch_shown.emit(event)

    def _grow_epoch_axis(self, epoch: int) -> None:
        """A script that did not say how many epochs it trains (or trains more): the epoch
        axis doubles when an epoch reaches its end."""
        end = self.plots.x_end
        if epoch < end:
            return
        while end <= epoch:
            end *= 2
        self.plots.x_end = float(end)
        for name in EPOCH_PLOTS:
            self.plots.plots[name].getPlotItem().setXRange(-0.02 * end, 1.04 * end, padding=0)

    def _show_progress(self, epoch: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._said < 0.25:  # a status line at 4 Hz is plenty to read
            return
        self._said = now
        st = self.started
        self.status.info.setText(progress_text(epoch, st))
        if st.epochs:
            self.status.progress.setRange(0, st.epochs)
            self.status.progress.setValue(min(epoch, st.epochs))

    def _event(self, row: dict) -> None:
        event = event_of(row)
        if isinstance(event, ev.Paused | ev.Resumed):
            self.router.dispatch(event)
            if isinstance(event, ev.Resumed):
                self.say(_("{run} resumed ({why})").format(run=self.label, why=self.reason))
            if self.live and self.run_state.state != STOPPING:
                self.run_state.set(PAUSED if isinstance(event, ev.Paused) else LIVE)
        elif isinstance(event, ev.SettingsApplied) and event.changes:
            self.plots.add_marker(event.epoch, change_text(event.changes), short=change_label(event.changes))
        elif isinstance(event, ev.RunFinished) and self.result is None:
            self._end(event)

    def _check_writer(self) -> None:
        """The summary says the run ended (a writer that wrote no last line), or the writer is
        gone (its heartbeat stale, its process dead)."""
        try:
            summary = read_summary(self.path)
        except UnreadableRun:
            return  # (being rewritten: the next look reads it)
        status = summary.get("status", RUNNING)
        if status != RUNNING:
            self._show_new()  # its last lines first
            if self.result is None:
                self._end(self._result_of(summary, status))
        elif not writer_alive(summary, self.path):
            self._end(ev.RunFinished(reason=ev.USER_STOPPED, message=_(GONE_TEXT),
                                     epochs_completed=len(self.epochs), step=0, best_epoch=None,
                                     best_value=None), gone=True)

    def _result_of(self, summary: dict, status: str) -> ev.RunFinished:
        if status == RUNNING:  # a folder whose writer is gone
            return ev.RunFinished(reason=ev.USER_STOPPED, message=_(GONE_TEXT),
                                  epochs_completed=len(self.epochs), step=0, best_epoch=None, best_value=None)
        return ev.RunFinished(reason=reason_of(status), message=summary.get("message") or "",
                              epochs_completed=summary.get("epochs_completed") or len(self.epochs),
                              step=summary.get("steps") or 0, best_epoch=summary.get("best_epoch"),
                              best_value=summary.get("best_value"), final_metrics=summary.get("final_metrics") or {})

    def _end(self, result: ev.RunFinished, gone: bool = False) -> None:
        self._show_start(force=True)  # (a run that ended before its writer said it started)
        gone = gone or (result.message == _(GONE_TEXT))
        self.result = result
        text = _(WRITER_GONE) if gone else _(ev.REASON_TEXT[result.reason])
        last = self.epochs[-1].get("epoch", 0) if self.epochs else 0
        self.plots.add_marker(last, text, "#c0392b" if result.reason in (ev.DIVERGED, ev.FAILED) or gone else "#555")
        self.plots.finish_run()
        self.router.dispatch(result)
        if self.epochs:
            self._show_progress(self.epochs[-1].get("epoch", 0), force=True)
        if gone:
            self.say(_("{run}: stopped — writer gone ({why})").format(run=self.path.name, why=_(GONE_TEXT)))
        was_live, self.live = self.live, False
        self.timer.stop()
        if self.watcher.files():
            self.watcher.removePaths(self.watcher.files())
        if was_live:
            self.run_state.change(state=IDLE, can_test=False, can_validate=False, following=False)
        self._show_examples()
        self.ended.emit(result)

    def _show_examples(self) -> None:
        """The run's dynamics to the Examples tab, once it has written who its examples are."""
        if self._examples_shown or self.path is None:
            return
        if not (self.path / "dynamics" / "examples.safetensors").is_file():
            return
        self._examples_shown = True
        shown = self.tabs.currentWidget()
        self.examples.open_folder(self.path)  # (read and followed on its pool thread)
        self.tabs.setCurrentWidget(shown)  # the tab the user looks at stays

    def let_go(self) -> None:
        """Stop following the run shown before (it goes on: only the window looks away)."""
        was_live, self.live = self.live, False
        self.timer.stop()
        if self.watcher.files():
            self.watcher.removePaths(self.watcher.files())
        self.tail = None
        self.epochs = []
        if was_live:
            self.run_state.change(state=IDLE, following=False)
            self.say(_("{run}: no longer followed (its writer goes on)").format(run=self.label))

    # ---- the settings panel -----------------------------------------------------------------
    def _lock_remedies(self) -> None:
        """The live controls off, saying why (the run state's listener has made the others so)."""
        off = _("Off: {why}").format(why=self.reason)
        for widget in filter(None, (self.panel.widgets.get(key) for key in live_keys())):
            widget.setEnabled(False)
            widget.setToolTip(f"{widget.property('help') or ''}\n\n{off}".strip())

    @Slot(str, object)
    def _on_panel_setting_changed(self, key: str, _value) -> None:
        if self.live:
            self.say(_("{key} not sent: the run shown is {why}").format(key=key, why=self.reason))


class Router:
    """The followed run's events to the plots and status line (their `subscribe(router)`)."""

    def __init__(self):
        self._handlers: dict[type, list] = defaultdict(list)

    def subscribe(self, event_type: type, handler) -> None:
        self._handlers[event_type].append(handler)

    def dispatch(self, event) -> None:
        for handler in self._handlers.get(type(event), ()):
            handler(event)
