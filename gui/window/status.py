"""The status bar: what the run is doing, how far it is, how fast, and how long it has left."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QStatusBar,
)

from engine.core import events as ev
from engine.core.i18n import _, integer, n_, number
from gui.plotting.colors import TEXT_OF, VERMILLION

WARNING_TEXT = TEXT_OF[VERMILLION]  # 5.2:1 on white: read from the back row (text needs 4.5:1)
WARNING_ON_DARK = "#ffb070"  # 9.1:1 on #202020

STEP_INFO_INTERVAL = 0.25  # seconds: a status line at 4 Hz is plenty to read


class RunStatus:
    """Owns the status bar's widgets; fed the run's events by the window."""

    def __init__(self, bar: QStatusBar):
        self.label = StatusLine(_("loading engine…"))
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.info = QLabel("")
        # A warning about the run (images left out) stays until the next run starts: in the
        # line above, "finished" replaced it within half a second.
        self.warning = StatusWarning("")
        self.warning.setObjectName("run_warning")
        self.warning.colour()
        self.warning.hide()
        bar.addWidget(self.label, 1)
        bar.addWidget(self.warning)
        bar.addPermanentWidget(self.info)
        bar.addPermanentWidget(self.progress)
        self.started: ev.RunStarted | None = None
        self.step: ev.StepMetrics | None = None
        self.epochs_done = 0
        self._t0 = 0.0  # the run's start
        self._info_t = 0.0
        # An experiment of several runs: how many planned, which one trains (0-based), since when.
        self.planned: int | None = None
        self.trial = 0
        self._experiment_t0 = 0.0
        # A resumed experiment tells its kept runs again in milliseconds: the plan's ETA counts
        # only the runs this session trains (kept: told again; ran: trained and ended here).
        self.kept = self.ran = 0
        # A hovered action's status tip goes to the same line, not to QStatusBar's own message,
        # which it drew over this line and up against the figures on the right ("…per-class
        # pr7 of 8 epochs"): one message at a time.
        self._tips = StatusTips(self.label, bar.window())

    def subscribe(self, router) -> None:
        for event_type, handler in ((ev.RunStarted, self.on_started), (ev.StepMetrics, self.on_step),
                                    (ev.EpochMetrics, self.on_epoch), (ev.Paused, self.on_paused),
                                    (ev.Resumed, self.on_resumed), (ev.RunFinished, self.on_finished),
                                    (ev.ExperimentStarted, self.on_experiment_started),
                                    (ev.TrialStarted, self.on_trial_started),
                                    (ev.TrialFinished, self.on_trial_finished),
                                    (ev.ExperimentFinished, self.on_experiment_finished)):
            router.subscribe(event_type, handler)

    def say(self, text: str) -> None:
        self._tips.said = None  # news replaces a hovered action's tip (and is not undone when it goes)
        self.label.setText(text)

    def warn(self, text: str) -> None:
        """A warning kept in view (full text as a tooltip) until the next run starts."""
        flat = " ".join(text.split())  # one line: a warning never makes the bar taller
        shown = flat if len(flat) <= 80 else flat[:77] + "…"
        self.warning.setText(f"⚠ {shown}" if not self.warning.text() else f"{self.warning.text()}; {shown}")
        self.warning.setToolTip("\n".join(filter(None, [self.warning.toolTip(), text])))
        self.warning.show()

    def refuse(self, text: str) -> None:
        """A request refused (cannot start: …): said alone, without an earlier run's warning."""
        self.clear_warning()
        self.say(text)

    def clear_warning(self) -> None:
        self.warning.setText("")
        self.warning.setToolTip("")
        self.warning.hide()

    def clear(self) -> None:
        self.started, self.step, self.epochs_done = None, None, 0
        self.planned, self.trial, self.kept, self.ran = None, 0, 0, 0
        self.warning.setText("")
        self.warning.setToolTip("")
        self.warning.hide()
        self.progress.setValue(0)
        self.info.setText("")

    def starting(self, epochs: int) -> None:
        """A run is about to start: the job's first, or the next of its plan (whose place in
        the plan stays)."""
        plan = self.planned, self.trial, self.kept, self.ran
        self.clear()
        self.planned, self.trial, self.kept, self.ran = plan
        self._t0 = time.perf_counter()
        self.progress.setRange(0, epochs)
        self.say(_("starting…"))

    def on_experiment_started(self, e: ev.ExperimentStarted) -> None:
        self.planned = e.planned_trials if e.planned_trials and e.planned_trials > 1 else None
        self.kept = self.ran = 0
        self._experiment_t0 = time.perf_counter()

    def on_trial_started(self, e: ev.TrialStarted) -> None:
        self.trial = e.index

    def on_trial_finished(self, e: ev.TrialFinished) -> None:
        if e.kept:
            self.kept += 1
        else:
            self.ran += 1

    def on_experiment_finished(self, _e: ev.ExperimentFinished) -> None:
        self.planned = None

    def on_started(self, e: ev.RunStarted) -> None:
        self.started, self.step, self.epochs_done = e, None, 0
        self._t0 = time.perf_counter()  # this run's ETA: not the earlier runs' time (an experiment)
        self.progress.setRange(0, e.epochs)
        self.progress.setValue(0)
        self.say(_("training on {device}").format(device=e.device))
        self._show()

    def on_step(self, e: ev.StepMetrics) -> None:
        self.step = e
        now = time.perf_counter()
        if now - self._info_t >= STEP_INFO_INTERVAL:
            self._info_t = now
            self._show()

    def on_epoch(self, e: ev.EpochMetrics) -> None:
        self.epochs_done = e.epoch
        now = time.perf_counter()
        # At the status line's own rate: short epochs come 30 a second, and each new text
        # lays the status bar out again on the GUI thread, which the engine thread waits for.
        if now - self._info_t >= STEP_INFO_INTERVAL:
            self._info_t = now
            self.progress.setValue(e.epoch)
            self._show()

    def on_paused(self, e: ev.Paused) -> None:
        if e.between_epochs:
            # Between two epochs (a lesson's step pauses so): the epoch just finished, as the
            # step says it ("pauses at epoch 4"), not the one about to start ("(epoch 5)").
            # i18n: the run paused between two epochs: {epoch} is the last one finished
            said = _("paused at step {step}, after epoch {epoch}").format(step=integer(e.step),
                                                                           epoch=integer(e.epoch - 1))
        else:
            said = _("paused at step {step} (epoch {epoch})").format(step=integer(e.step), epoch=integer(e.epoch))
        self.say(said)
        self._show(paused_step=e.step)

    def on_resumed(self, e: ev.Resumed) -> None:
        self.say(_("training on {device}").format(device=self.started.device if self.started else ""))

    def on_finished(self, r: ev.RunFinished) -> None:
        """A finished run's figures replace the live ones: no ETA, the bar where it ended."""
        # i18n: how a run ended ("finished", "stopped early"…) and the engine's message about it
        self.say(_("{ended}: {message}").format(ended=_(ev.REASON_TEXT[r.reason]), message=r.message))
        st = self.started
        if st is None:  # it never started: nothing of an earlier run stays on screen
            self.clear()
            return
        self.progress.setRange(0, max(r.epochs_completed, 1) if r.reason == ev.EARLY_STOPPED else st.epochs)
        self.progress.setValue(r.epochs_completed)
        # i18n: the form follows {total}, the epochs planned: the noun goes with {total} ("1 of 80 epochs"; fr
        # "{done} sur {total} époques"), not with {done}, the epochs trained (1 after an early stop at epoch 1)
        parts = [n_("{done} of {total} epoch", "{done} of {total} epochs", st.epochs).format(
                     done=integer(r.epochs_completed), total=integer(st.epochs)),
                 n_("{count} step", "{count} steps", r.step).format(count=integer(r.step)),
                 # i18n: the run's duration in seconds
                 _("{seconds} s").format(seconds=_whole(time.perf_counter() - self._t0))]
        if r.best_epoch and r.reason != ev.EARLY_STOPPED:  # an early stop's message names it
            parts.append(_("best epoch {epoch}").format(epoch=integer(r.best_epoch)))
        self.info.setText("  ·  ".join(parts))

    def _show(self, paused_step: int | None = None) -> None:
        st = self.started
        if st is None:
            return
        step = self.step
        done = self.epochs_done
        # i18n: the epoch training now (or the last done) of the run's epochs, e.g. "epoch 4/80"
        parts = [_("epoch {epoch}/{epochs}").format(epoch=integer(min(done + 1, st.epochs) if step else done),
                                                     epochs=integer(st.epochs))]
        if self.planned:
            parts.insert(0, _("run {run} of {runs}").format(run=integer(min(self.trial + 1, self.planned)),
                                                             runs=integer(self.planned)))
        if step or paused_step:
            parts.append(_("step {step}").format(step=integer(paused_step if paused_step is not None else step.step)))
        if step and paused_step is None:
            parts.append(_("{rate} samples/s").format(rate=_whole(step.samples_per_sec)))
            now = time.perf_counter()
            frac = max(step.epoch_fraction, done) / st.epochs
            if frac > 0.02:
                # i18n: the time the run has left, m:ss or h:mm:ss
                parts.append(_("ETA {time}").format(time=_clock((now - self._t0) * (1 - frac) / frac)))
            to_train = (self.planned or 0) - self.kept  # this session's runs, this one among them
            if self.planned and to_train > 0:  # the whole plan: runs done here and this one's share, at the pace so far
                overall = min((self.ran + min(frac, 1.0)) / to_train, 1.0)
                if overall > 0.02:
                    remaining = (now - self._experiment_t0) * (1 - overall) / overall
                    parts.append(_("all runs ETA {time}").format(time=_clock(remaining)))
        parts.append(st.device)
        parts.append(n_("{count} parameter", "{count} parameters", st.parameter_count).format(
            count=integer(st.parameter_count)))
        self.info.setText("  ·  ".join(parts))


def _whole(value: float) -> str:
    """A measured figure to the unit, grouped ('12,346'), in the language's format."""
    return integer(round(value)) if math.isfinite(value) else number(value)


def _clock(seconds: float) -> str:
    """m:ss, or h:mm:ss from an hour on."""
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class ReadOnClick:
    """A status bar label cut with "…": a click shows its whole text in a box (its tooltip did
    only on hovering, which a user does not think of, and went at the next move)."""

    def full_text(self) -> str:
        return self.toolTip()

    def mousePressEvent(self, event) -> None:
        text = self.full_text()
        if not text:
            return
        box = QMessageBox(QMessageBox.Icon.Information, _("The whole message"), text,
                          QMessageBox.StandardButton.Close, self.window())
        box.setObjectName("status_message")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # to copy a path or a key
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


class StatusWarning(ReadOnClick, QLabel):
    """A warning about the run, cut to 80 characters; the whole of it as its tooltip. Its colour
    follows View ▸ Light / Dark: the light scheme's vermillion text was 2.8:1 on the dark bar."""

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.colour()

    def colour(self) -> None:
        # the application's palette: a label's own is fixed by its style sheet
        dark = QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
        sheet = f"color: {WARNING_ON_DARK if dark else WARNING_TEXT}; font-weight: bold;"
        if sheet != self.styleSheet():  # (a style sheet set changes the palette: once, not again)
            self.setStyleSheet(sheet)


class StatusLine(ReadOnClick, QLabel):
    """The status line: never wider than the room the bar leaves it (a long message made the
    window wider than the screen), elided with "…" there, the whole text as its tooltip."""

    def full_text(self) -> str:
        return self.text() if self.elided() != self.text() else ""

    def __init__(self, text: str = ""):
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text if self.fontMetrics().horizontalAdvance(text) > self.width() else "")

    def elided(self) -> str:
        """The text as drawn: on one line (a failure's traceback is several), cut with "…"."""
        flat = " ".join(self.text().split())
        return self.fontMetrics().elidedText(flat, Qt.TextElideMode.ElideRight, self.contentsRect().width())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """One line tall, whatever the text: a traceback of twenty lines made the status bar
        take a fifth of the window."""
        m = self.contentsMargins()
        return QSize(super().sizeHint().width(), self.fontMetrics().height() + m.top() + m.bottom())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.minimumWidth(), self.sizeHint().height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawText(self.contentsRect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         self.elided())


class StatusTips(QObject):
    """Shows the status tip of whatever is hovered in the status line, then what it said before."""

    def __init__(self, line: StatusLine, window):
        super().__init__(window)
        self.line = line
        self.said: str | None = None  # the line's own text while a tip covers it
        window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() != QEvent.Type.StatusTip:
            return False
        tip = event.tip()
        if tip:
            if self.said is None:
                self.said = self.line.text()
            self.line.setText(tip)
        elif self.said is not None:
            self.line.setText(self.said)
            self.said = None
        return True  # handled: QMainWindow would show it again as the bar's own message
