"""What a screen reader says: a name for every control and plot, a description of each live
plot updated every epoch, and the run's milestones announced politely.

Names are found by walking the widget tree, not written per widget: a form's row label (or
a label's buddy), the control's own text, its group's title, its tooltip's first sentence.
Before this, 9 of the window's controls had a name; a reader said "spin box" for each of
the settings."""

from __future__ import annotations

import math
import re
import time

import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QBoxLayout,
    QDockWidget,
    QFormLayout,
    QGroupBox,
    QLabel,
    QTabBar,
    QTabWidget,
    QWidget,
)

from engine.core import events as ev
from engine.core.i18n import C_, _, integer, n_, number, percent

MIN_GAP_S = 4.0  # between two announcements: a reader that speaks over itself is not heard


def _plain(text: str) -> str:
    """Label text as spoken: no mnemonic '&', no markup, no ellipsis."""
    text = re.sub(r"<[^>]+>", " ", text or "").replace("&&", "\0").replace("&", "").replace("\0", "&")
    return " ".join(text.replace("…", "").split()).strip(" :：")


def _first_sentence(text: str) -> str:
    """Up to the first full stop, colon or semicolon: one followed by a space or the end, or a
    full-width one (Chinese writes no space after 。：；！？)."""
    text = _plain(text)
    match = re.match(r"(.+?)(?:[.:;](?:\s|$)|[。：；！？])", text)
    return (match.group(1).rstrip(".:;") if match else text)[:120]


def _form_label(widget: QWidget) -> str:
    """The label of the form row that holds `widget` (or a holder of it)."""
    child, parent = widget, widget.parentWidget()
    while parent is not None:
        layout = parent.layout()
        if isinstance(layout, QFormLayout):
            label = layout.labelForField(child)
            if isinstance(label, QLabel) and label.text():
                return _plain(label.text())
            return ""
        child, parent = parent, parent.parentWidget()
    return ""


def _context(widget: QWidget) -> str:
    """The title of the group box, dock or tab page around `widget`."""
    path, parent = [widget], widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QGroupBox) and parent.title():
            return _plain(parent.title())
        if isinstance(parent, QDockWidget) and parent.windowTitle():
            return _plain(parent.windowTitle())
        if isinstance(parent, QTabWidget):
            pages = [parent.indexOf(w) for w in path[-2:]]  # a page sits in the tab widget's stack
            if max(pages) >= 0:
                return _plain(parent.tabText(max(pages)))
        path.append(parent)
        parent = parent.parentWidget()
    return ""


def _label_before(widget: QWidget) -> str:
    """A label just before `widget` in a row of its parent ("Preset" and its box)."""
    parent = widget.parentWidget()
    if parent is None:
        return ""
    for row in parent.findChildren(QBoxLayout):
        i = row.indexOf(widget)
        if i >= 1 and isinstance(row.itemAt(i - 1).widget(), QLabel):
            return _plain(row.itemAt(i - 1).widget().text())
    return ""


def spoken_name(widget: QWidget, buddies: dict) -> str:
    """The name a reader should say for `widget`, from what a sighted user reads near it."""
    if isinstance(widget, pg.PlotWidget):
        # i18n: a plot's spoken name: "plot: Loss"
        return _("plot: {title}").format(title=getattr(widget, "title_text", "") or _("untitled"))
    if widget in buddies:
        return buddies[widget]
    row = _form_label(widget) or _label_before(widget)
    if isinstance(widget, QAbstractButton):
        own = _plain(widget.text())
        if own:
            return own
        if widget.isCheckable() and row:
            return row  # a check box beside its row's label ("early stopping"): its state is said with it
        tip = _first_sentence(widget.toolTip())  # a "…" button: what it chooses
        return f"{row}: {tip}" if row and tip else row or tip or _("button")
    if row:
        return row
    if isinstance(widget, QTabBar):
        tabs = ", ".join(_plain(widget.tabText(i)) for i in range(widget.count()))
        return _("tabs: {tabs}").format(tabs=tabs) if tabs else _("tabs")
    if isinstance(widget, QAbstractScrollArea) and not isinstance(widget, QAbstractItemView):
        context = _context(widget)
        # i18n: a scrolling area's spoken name: the title of its group, dock or tab, e.g. "Settings (scrolls)"
        return _("{context} (scrolls)").format(context=context) if context else _("scrolling area")
    tip = _first_sentence(widget.toolTip())
    if tip:
        return tip
    placeholder = getattr(widget, "placeholderText", None)
    if callable(placeholder) and placeholder():
        return _plain(placeholder())
    context = _context(widget)
    if not context and not widget.objectName() and isinstance(widget, QTabWidget):
        return spoken_name(widget.tabBar(), buddies)  # its tabs, not its class's name ("QTabWidget")
    return context or _plain(widget.objectName()) or type(widget).__name__


def focusable_controls(root: QWidget) -> list[QWidget]:
    """The widgets Tab can reach under `root`: enabled, shown, taking focus by Tab."""
    from PySide6.QtCore import Qt

    return [w for w in root.findChildren(QWidget)
            if w.isVisibleTo(root) and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
            and w.focusProxy() is None]


def name_widgets(root: QWidget) -> int:
    """Give every focusable control under `root` that has no accessible name one; returns how many."""
    buddies = {}
    for label in root.findChildren(QLabel):
        if label.buddy() is not None and label.text():
            buddies[label.buddy()] = _plain(label.text())
    named = 0
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QAbstractItemView):
            # Tab leaves a table or a list (the arrows move inside it): with Qt's tab key
            # navigation the Experiment tab's table of runs kept Tab going round its cells.
            widget.setTabKeyNavigation(False)
        if widget.accessibleName() or not widget.focusPolicy():
            continue
        widget.setAccessibleName(spoken_name(widget, buddies))
        named += 1
    return named


def trend(values: list[float], epochs: list[int]) -> str:
    """'gap rising since epoch 8' where the last two or more epochs rose, falling alike,
    else 'gap steady'."""
    if len(values) < 3:
        return ""
    i, direction = len(values) - 1, math.copysign(1, values[-1] - values[-2]) if values[-1] != values[-2] else 0
    if direction == 0:
        return _("gap steady")
    while i > 0 and (values[i] - values[i - 1]) * direction > 0:
        i -= 1
    if len(values) - 1 - i < 2:
        return _("gap steady")
    since = integer(epochs[i])
    # i18n: the gap between the train and validation curves, told to a screen reader
    return (_("gap rising since epoch {epoch}") if direction > 0 else _("gap falling since epoch {epoch}")).format(
        epoch=since)


def _fmt(value: float, in_percent: bool) -> str:
    if not math.isfinite(value):
        return _("not a number")
    # three significant digits (a loss of 0.213), in the language's format
    return percent(value, 1) if in_percent else number(float(f"{value:.3g}"))


def describe(title: str, curves: list[tuple[str, list, list]], percent: bool = False) -> str:
    """A plot in words: its last epoch's values, and where train and validation are both on
    it, how their gap moves ('epoch 12: train 0.21, validation 0.48, gap rising since epoch 8')."""
    shown = [(name, x, y) for name, x, y in curves if len(y)]
    if not shown:
        return _("{title}: no data yet").format(title=title)
    epoch = int(max(x[-1] for _name, x, _y in shown))
    parts = [f"{name} {_fmt(y[-1], percent)}" for name, _x, y in shown]
    # i18n: {values} lists each curve's name and its last value: "train 0.21, validation 0.48"
    text = _("epoch {epoch}: {values}").format(epoch=integer(epoch), values=", ".join(parts))
    by_name = {name: (x, y) for name, x, y in shown}
    train, validation = C_("split", "train"), C_("split", "validation")  # the curves' names, as the plots show them
    if train in by_name and validation in by_name:
        (_x, yt), (xv, yv) = by_name[train], by_name[validation]
        n = min(len(yt), len(yv))
        sign = -1 if percent else 1  # a loss gap is validation − train; an accuracy gap train − validation
        gaps = [sign * (yv[i] - yt[i]) for i in range(n)]
        moving = trend(gaps, [int(e) for e in xv[:n]])
        if moving:
            text += f", {moving}"
    return text


# A run's start or turn-up still waiting is stale once a run has ended or another started.
STARTED, TURNED, ENDED = "started", "turned", "ended"  # the kinds of a run's milestones
STALE_AFTER = {ENDED: {STARTED, TURNED}, STARTED: {TURNED}}
SAID_KEPT = 100  # announcements kept in `said` (the window's life would grow it without end)


class Announcer(QObject):
    """Milestones spoken politely (they wait for the reader to finish), at most one every
    `gap_s` seconds: one that comes sooner waits its turn. Only news waits: a milestone of a
    kind already waiting replaces it, and a run's start or turn-up still waiting is dropped once
    a run ends or starts (a tour stepped quickly would else be spoken runs late). `said` keeps
    the latest SAID_KEPT announced."""

    def __init__(self, window, gap_s: float = MIN_GAP_S):
        super().__init__(window)
        self.window, self.gap_s = window, gap_s
        self.said: list[str] = []
        self.waiting: list[str] = []
        self._kinds: list[str] = []  # each waiting text's kind ("" for one that never goes stale)
        self._last = -math.inf
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._on_timer_timeout)

    def say(self, text: str, kind: str = "") -> None:
        """kind: "started", "turned" or "ended" for a run's milestones (stale ones are dropped)."""
        stale = {kind} | STALE_AFTER.get(kind, set()) if kind else set()
        kept = [(t, k) for t, k in zip(self.waiting, self._kinds, strict=True) if k not in stale]
        self.waiting, self._kinds = [t for t, _ in kept] + [text], [k for _, k in kept] + [kind]
        self._next()

    def _next(self) -> None:
        if not self.waiting or self._timer.isActive():
            return
        wait = self._last + self.gap_s - time.monotonic()
        if wait > 0:
            self._timer.start(math.ceil(wait * 1000))
            return
        text = self.waiting.pop(0)
        self._kinds.pop(0)
        self._last = time.monotonic()
        self.said.append(text)
        del self.said[:-SAID_KEPT]
        announce(self.window, text)
        if self.waiting:
            self._timer.start(math.ceil(self.gap_s * 1000))

    @Slot()
    def _on_timer_timeout(self) -> None:
        self._next()


def announce(widget: QWidget, text: str) -> None:
    """A polite announcement (Qt ≥ 6.8's QAccessibleAnnouncementEvent); older Qt: a name change
    of the window's status line, which readers also speak."""
    try:
        from PySide6.QtGui import QAccessibleAnnouncementEvent
    except ImportError:
        QAccessibleAnnouncementEvent = None
    if not QAccessible.isActive():
        return  # no reader listening: nothing to build
    if QAccessibleAnnouncementEvent is not None:
        event = QAccessibleAnnouncementEvent(widget, text)
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Polite)
        QAccessible.updateAccessibility(event)


class Accessibility(QObject):
    """Names the window's controls (now, and again once a new widget takes focus), describes
    its Training plots after each epoch and announces the run's milestones."""

    def __init__(self, window, gap_s: float = MIN_GAP_S):
        super().__init__(window)
        self.window = window
        self.announcer = Announcer(window, gap_s)
        self._best_val = (math.inf, 0)
        self._turned_up = False
        window.run_started.connect(self._on_window_run_started)
        window.epoch_shown.connect(self._on_window_epoch_shown)
        window.run_ended.connect(self._on_window_run_ended)
        QApplication.instance().focusChanged.connect(self._on_app_focus_changed)
        self.name_all()
        self.describe_plots()

    def name_all(self) -> int:
        """Names for what has none; the plots a run has not shown yet are outside the window's
        tree (no parent until shown), and named too."""
        for plot in self.window.plots.plots.values():
            if not plot.accessibleName():
                plot.setAccessibleName(spoken_name(plot, {}))
        return name_widgets(self.window)

    @Slot(QWidget, QWidget)
    def _on_app_focus_changed(self, _old, new) -> None:
        if new is None or new.window() is not self.window:
            return
        if not new.accessibleName() or (isinstance(new, QAbstractItemView) and new.tabKeyNavigation()):
            self.name_all()  # a widget made since (a dialog's, a new run's row)

    def describe_plots(self) -> None:
        from gui.panels.plots import PERCENT_PLOTS, SERIES_PLOTS

        panel = self.window.plots
        for name, plot in panel.plots.items():
            title = getattr(plot, "title_text", name)
            if name in SERIES_PLOTS:
                series = [panel.series[k] for k in SERIES_PLOTS[name]]
            elif name == "norms":
                series = list(panel.layer_series.values())
            elif name == "grads":
                series = list(panel.grad_series.values())
            else:
                series = []
            curves = [(s.curve.name() or "", list(s.x[: s.n]), list(s.y[: s.n])) for s in series]
            text = describe(title, curves, percent=name in PERCENT_PLOTS) if series else title
            if name == "noise" and series:
                text = describe(title, curves, percent=True)
            if plot.accessibleDescription() != text:
                plot.setAccessibleDescription(text)
                if QAccessible.isActive():
                    QAccessible.updateAccessibility(QAccessibleEvent(plot, QAccessible.Event.DescriptionChanged))

    @Slot(object)
    def _on_window_run_started(self, started: ev.RunStarted) -> None:
        self._best_val, self._turned_up = (math.inf, 0), False
        name = started.config.get("run", {}).get("name") or C_("noun", "run")
        self.announcer.say(n_("{name} started: {count} epoch on {dataset}", "{name} started: {count} epochs on {dataset}",
                              started.epochs).format(name=name, count=integer(started.epochs), dataset=started.dataset),
                           STARTED)
        self.name_all()  # a toy run's or a noisy run's plots are shown now
        self.describe_plots()

    @Slot(object)
    def _on_window_epoch_shown(self, e: ev.EpochMetrics) -> None:
        self.describe_plots()
        best, at = self._best_val
        if e.val_loss < best:
            self._best_val = (e.val_loss, e.epoch)
        elif not self._turned_up and e.epoch - at >= 2 and e.val_loss > best * 1.02:
            self._turned_up = True  # the rule of the plots' "val loss turns up" line
            self.announcer.say(_("validation loss turned up after epoch {epoch}").format(epoch=integer(at)), TURNED)

    @Slot(object)
    def _on_window_run_ended(self, result: ev.RunFinished) -> None:
        what = {ev.EARLY_STOPPED: _("early stop"), ev.USER_STOPPED: _("run stopped"), ev.COMPLETED: _("run finished"),
                ev.DIVERGED: _("run diverged"), ev.FAILED: _("run failed")}.get(result.reason, _("run ended"))
        n = result.epochs_completed
        if result.best_epoch is not None:
            # i18n: {what} is how the run ended ("early stop", "run finished"…)
            said = n_("{what} after {count} epoch, best epoch {best}", "{what} after {count} epochs, best epoch {best}",
                      n).format(what=what, count=integer(n), best=integer(result.best_epoch))
        else:
            said = n_("{what} after {count} epoch", "{what} after {count} epochs", n).format(what=what, count=integer(n))
        self.announcer.say(said, ENDED)
