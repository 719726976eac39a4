"""The Lessons menu: a shipped lesson or one opened from a file (or --lesson FILE) puts its
settings in the panel with its hidden and locked settings held, shows its step panel, pauses
the run at each step's epoch for the question, and reveals the figures the run measured."""

from __future__ import annotations

import dataclasses
import logging
from functools import partial

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog

from engine.core.config import ConfigError
from engine.core.i18n import N_, _, integer
from engine.core.lesson_figures import compute_figures, fill_reveal, lesson_text
from engine.core.lessons import Lesson, read_lesson, shipped_lessons
from gui import dialogs
from gui.panels.lesson_panel import ASKING, FINISHED, REVEALED, WATCHING, LessonPanel

log = logging.getLogger("overfit_lab")
RUNNING, PAUSED = "running", "paused"  # gui.window.run_state's names (a controller may not import window/)
# Menu entries in English: the menu shows them translated and keys window.menu_actions by them.
REVEAL, NEXT_STEP = N_("Reveal"), N_("Next step")
LIVE_RUN = N_("A run is live: stop it (or let it end) first.")


class Lessons(QObject):
    """Handed the window (the dock's home), the settings panel, the run session and its state,
    the window's signals of a run's start, epochs and end, and the status line."""

    asked = Signal()  # a step's question is shown (at its epoch, the run's end, or an epoch trained already)

    def __init__(self, window, *, settings_panel, session, run_state, run_started, epoch_shown, run_ended, say):
        super().__init__(window)
        self.window, self.panel, self.session, self.run_state, self.say = (
            window, settings_panel, session, run_state, say)
        self.lesson: Lesson | None = None
        self.index, self.phase, self.epochs = 0, WATCHING, []
        self.dialog = None  # the last refusal shown
        self._reset_pending = False  # Reset asked while a run was live: done when it has ended
        self.view = LessonPanel()
        self.dock = QDockWidget(_("Lesson"), window)
        self.dock.setObjectName("lesson_dock")
        self.dock.setAccessibleName(_("Lesson"))
        self.dock.setWidget(self.view)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.dock.dockLocationChanged.connect(lambda area: self.view.set_narrow(
            area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)))
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        # Under the plots alone: across the window's foot it took the settings' height too.
        window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.dock.hide()
        self.view.reveal_requested.connect(self.reveal)
        self.view.next_requested.connect(self.next_step)
        self.view.reset_requested.connect(self.reset)
        self.panel.lesson.refused.connect(self._on_locks_refused)
        self._paused_handle = None  # the run whose step epochs the engine pauses at
        self._pauser = None  # its PauseAtEpochs
        self._ours = False  # the run shown is the lesson's own (not a plan's, a search's or a script's)
        run_state.listen(self._on_run_state_changed)
        run_started.connect(self._on_run_started)
        epoch_shown.connect(self._on_epoch_shown)
        run_ended.connect(self._on_run_ended)

    def menu_entries(self) -> list:
        entries = []
        for path in shipped_lessons():
            try:
                title = read_lesson(path).title
            except ConfigError as exc:  # a broken shipped lesson is named, the others still listed
                log.warning("lesson %s: %s", path, exc)
                continue
            entries.append((title, partial(self.open, str(path)), None))
        # F7 / F8: the step panel's buttons by key (a teacher at the keyboard or a presenter's remote).
        return [*entries, None, (N_("Open lesson…"), self.choose, None), None,
                (REVEAL, self.reveal, "F7"), (NEXT_STEP, self.next_step, "F8"),
                (N_("Reset to the lesson's start"), self.reset, None), (N_("Close lesson"), self.close, None)]

    # ---- opening -------------------------------------------------------------------------
    @Slot()
    def choose(self) -> None:
        path, _kind = QFileDialog.getOpenFileName(self.window, _("Open lesson"), "", _("Lessons") + " (*.toml)")
        if path:
            self.open(path)

    def open(self, path: str) -> bool:
        """Read the lesson (refused in a dialog naming the key and the line) and show it."""
        try:
            lesson = read_lesson(path)
        except ConfigError as exc:
            return self._cannot(_("Cannot open this lesson"), str(exc))
        if self.run_state.state in (RUNNING, PAUSED):
            return self._cannot(_("Cannot open a lesson now"), _(LIVE_RUN))
        if not self.panel.may_replace(_("Opening the lesson “{title}”").format(title=lesson_text(lesson.title))):
            self.say(_("lesson {path} not opened: the settings on screen are kept").format(path=path))
            return False
        self.show(lesson)
        return True

    def show(self, lesson: Lesson, config=None) -> None:
        """Hold the panel for `lesson` (its settings, or `config`: them with --set), at its first step."""
        self.panel.lesson.hold(self.panel, None)  # let go of the last lesson's locks first
        self.panel.set_config(config or lesson.config, None)
        self.panel.lesson.hold(self.panel, lesson)
        self.lesson, self.index, self.phase, self.epochs = lesson, 0, WATCHING, []
        self.dock.show()
        self._show()
        self.say(_("lesson “{title}”: press Start ({key})").format(
            title=lesson_text(lesson.title), key=QKeySequence("Ctrl+Return").toString(QKeySequence.SequenceFormat.NativeText)))

    @Slot()
    def close(self) -> bool:
        """Leave the lesson: its locks let go of the panel (the settings stay), its dock hidden."""
        if self.lesson is None:
            return False
        if self.run_state.state in (RUNNING, PAUSED):
            return self._cannot(_("Cannot close the lesson now"), _(LIVE_RUN))
        title = lesson_text(self.lesson.title)
        self.panel.lesson.hold(self.panel, None)
        self.lesson, self.index, self.phase, self.epochs = None, 0, WATCHING, []
        self._paused_handle, self._pauser, self._ours, self._reset_pending = None, None, False, False
        self.dock.hide()
        self.say(_("lesson “{title}” closed: every setting is yours again").format(title=title))
        return True

    def _cannot(self, title: str, text: str) -> bool:
        log.warning("lesson: %s", text)
        self.say(text)
        self.dialog = dialogs.cannot(self.window, title, text)
        return False

    @Slot(str)
    def _on_locks_refused(self, message: str) -> None:
        self._cannot(_("This setting is locked by the lesson"), message)

    # ---- steps ---------------------------------------------------------------------------
    @property
    def step(self):
        return self.lesson.steps[self.index]

    def _show(self, reveal: str = "") -> None:
        self.view.show_step(self.lesson.title, self.index + 1, len(self.lesson.steps), self.step, self.phase, reveal)
        actions = getattr(self.window, "menu_actions", {})  # F7 / F8 as the step panel's buttons
        for name, button in ((REVEAL, self.view.reveal_button), (NEXT_STEP, self.view.next_button)):
            if name in actions:
                actions[name].setEnabled(button.isEnabled())

    def _figures(self) -> dict:
        return compute_figures(self.epochs, self.step.pause_at)

    def _ask(self) -> None:
        self.phase = ASKING
        self._show()
        self._announce(_("Step {number} of {total}: {question}").format(
            number=integer(self.index + 1), total=integer(len(self.lesson.steps)),
            question=lesson_text(self.step.question or self.step.text)))
        self.asked.emit()

    def _announce(self, text: str) -> None:
        """Spoken by the window's screen-reader announcer (gui.window.accessibility), where it has one."""
        announcer = getattr(getattr(self.window, "accessibility", None), "announcer", None)
        if announcer is not None and text:
            announcer.say(text)

    @Slot()
    def reveal(self) -> None:
        if self.lesson is None or self.phase != ASKING:
            return
        self.phase = REVEALED
        revealed = fill_reveal(self.step.reveal, self._figures())
        self._show(revealed)
        self._announce(revealed)

    @Slot()
    def next_step(self) -> None:
        if self.lesson is None or self.phase not in (ASKING, REVEALED):
            return
        if self.phase == ASKING and self.step.reveal:
            return  # the reveal first, as the step panel's disabled Next says (F8 from a presenter's remote)
        if self.index + 1 >= len(self.lesson.steps):
            self.phase = FINISHED
            self._show(fill_reveal(self.step.reveal, self._figures()))
            self.say(_("lesson “{title}”: finished").format(title=lesson_text(self.lesson.title)))
            return
        self.index, self.phase = self.index + 1, WATCHING
        self._show()
        last = self.epochs[-1]["epoch"] if self.epochs else 0
        if self.step.pause_at is not None and self.step.pause_at <= last:
            self._ask()  # its epoch has been trained already (two steps at one epoch)
        elif self.run_state.state == PAUSED:
            if self._pauser is not None:  # the engine's own pause at the epoch just answered, if late, is not made
                self._pauser.pass_through(last)
            self.session.pause_or_resume()  # on to this step's epoch

    @Slot()
    def reset(self) -> None:
        """The lesson's settings and first step, the plots cleared; a live run is stopped first."""
        if self.lesson is None:
            return
        if self.run_state.state in (RUNNING, PAUSED):
            self._reset_pending = True
            self.session.stop()
            return
        self._reset_pending = False
        self.session.reset()
        self.show(self.lesson)

    # ---- the run -------------------------------------------------------------------------
    def _on_run_state_changed(self, state) -> None:
        """A run of the lesson's settings starting: the engine pauses it at each step's epoch. Its
        handle is made before the state turns RUNNING and handed to the engine thread after."""
        handle = self.session.handle
        if (self.lesson is None or state.state != RUNNING or handle is None or handle is self._paused_handle
                or len(handle.plan) != 1 or handle.search is not None or handle.resume_dir is not None):
            return
        from engine.experiments.lesson_check import PauseAtEpochs

        self._paused_handle = handle
        self._pauser = PauseAtEpochs(handle.control, [s.pause_at for s in self.lesson.steps if s.pause_at])
        handle.subscribers.append(self._pauser)

    @Slot(object)
    def _on_run_started(self, event) -> None:
        handle = self.session.handle  # a plan's, a search's or a followed script's run is not the lesson's
        self._ours = self.lesson is not None and handle is not None and handle is self._paused_handle
        if self._ours:
            self.index, self.phase, self.epochs = 0, WATCHING, []
            self._show()

    @Slot(object)
    def _on_epoch_shown(self, metrics) -> None:
        if self.lesson is None or not self._ours:
            return
        self.epochs.append(dataclasses.asdict(metrics))
        pause = self.step.pause_at
        if self.phase == WATCHING and pause is not None and metrics.epoch >= pause:
            if self.run_state.state == RUNNING:
                self.session.pause_or_resume()  # the class answers before the run goes on
            self._ask()

    @Slot(object)
    def _on_run_ended(self, result) -> None:
        if self.lesson is None:
            return
        if self._reset_pending:
            QTimer.singleShot(0, self.reset)  # once the window has settled into idle
        elif self.phase == WATCHING and self._ours:
            self._ask()  # a step for the run's end (or a run that ended before its epoch)
