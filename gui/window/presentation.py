"""View ▸ Presentation (F5): the window for a room. Text at least 1/50 of the window's height
(14.4 px at a projector's 1280 × 720), every line at least 3 px, the side panels (settings,
runs) and the layer plots folded away and given back on leaving; a lesson's step panel stays.

View ▸ Light / Dark / As the system: the scheme chosen in the app, not only by the OS. Qt ≥ 6.8
forces the scheme through QStyleHints.setColorScheme where the platform allows it; where it
does not (no platform theme), the application's palette is set. The plots follow: their
background, axes, titles, legends and each pen, lighter where a colour would fall under 3:1
on the dark background."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QPen
from PySide6.QtWidgets import QApplication, QDockWidget

from engine.core.i18n import N_
from gui.plotting import colors as c
from gui.plotting.axes import LEGEND_PT, TICK_PT

MIN_LINE_PX = 3.0  # WCAG's graphics are 3:1; a projector's lines at least 3 px wide to be seen at all
TEXT_SHARE = 1 / 50  # tick and legend text at least this share of the window's height
LIGHT = {"background": "#ffffff", "foreground": "#333333", "ground": (255, 255, 255, 225)}
DARK = {"background": "#121212", "foreground": "#e0e0e0", "ground": (18, 18, 18, 225)}
# The series colours on the dark background: black becomes white; Okabe–Ito's blue (3.7:1 on
# #121212, under 3:1 once faded) its sky blue, which keeps its distance from vermillion for
# every eye. Any other colour under 3:1 is drawn with its lightness turned over (dark_color).
DARK_COLORS = {c.BLACK: "#ffffff", c.BLUE: "#56b4e9"}
SCHEMES = ("Light", "Dark", "As the system")
SCHEME_KEY = "view/color_scheme"  # kept between launches, as the other View choices
_system_palette: QPalette | None = None
TOP, BOTTOM = Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea


def contrast(a: QColor, b: QColor) -> float:
    la, lb = c.luminance((a.red(), a.green(), a.blue())), c.luminance((b.red(), b.green(), b.blue()))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def over(color: QColor, background: QColor) -> QColor:
    """`color` as drawn over `background`, its transparency blended."""
    a = color.alphaF()
    return QColor.fromRgbF(*(a * x + (1 - a) * y for x, y in zip(
        (color.redF(), color.greenF(), color.blueF()), (background.redF(), background.greenF(), background.blueF()),
        strict=True)))


def dark_color(color: QColor, background: QColor = QColor(DARK["background"])) -> QColor:
    """A light scheme's colour for the dark background, at least 3:1 as drawn (alpha kept)."""
    mapped = QColor(DARK_COLORS.get(color.name(), color.name()))
    mapped.setAlpha(color.alpha())
    if contrast(over(mapped, background), background) >= 3:
        return mapped
    h, s, lightness, a = mapped.getHslF()
    turned = QColor.fromHslF(max(h, 0.0), s, max(1 - lightness, 0.6), a)
    while contrast(over(turned, background), background) < 3 and turned.lightnessF() < 0.98:
        turned = QColor.fromHslF(max(h, 0.0), s, min(1.0, turned.lightnessF() + 0.05), a)
    return turned


def text_px(pt: float, widget) -> float:
    """A font's size in pixels on `widget`'s screen (its em, as a reader of the screen sees it)."""
    return pt * widget.logicalDpiY() / 72


def _pens(item):
    """(get, set) of the pens of a plot item that draws lines."""
    if isinstance(item, pg.PlotDataItem):
        return lambda: item.opts.get("pen"), item.setPen
    if isinstance(item, pg.PlotCurveItem):
        return lambda: item.opts.get("pen"), item.setPen
    if isinstance(item, pg.InfiniteLine):
        return lambda: item.pen, item.setPen
    return None


def line_items(plot: pg.PlotWidget):
    """Every item of `plot` drawn as a line: curves, a curve's own curve, marker lines."""
    for item in plot.getPlotItem().items:
        if _pens(item) is not None:
            yield item


class Presentation(QObject):
    """The View menu's Presentation and colour-scheme entries, for `window` (a MainWindow)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.on = False
        self.scheme = "As the system"
        self._before: dict = {}  # what presentation mode changed, given back on leaving
        global _system_palette
        if _system_palette is None:  # the application's own, before any scheme was forced
            _system_palette = QPalette(QApplication.instance().palette())
        window.run_started.connect(self._on_window_shown_more)
        window.epoch_shown.connect(self._on_window_shown_more)
        window.run_ended.connect(self._on_window_shown_more)
        window.installEventFilter(self)
        if window.store.enabled:  # the scheme of the last session, once the menu is there to show it
            stored = QSettings().value(SCHEME_KEY)
            if stored in SCHEMES and stored != self.scheme:
                QTimer.singleShot(0, lambda: self.set_scheme(stored))

    def eventFilter(self, obj, event) -> bool:
        """Closing while presenting: the window leaves presentation first, so what it stores for
        the next launch is the user's own (docks shown, their text size, the layer plots), not
        the room's; back in presentation if the close is refused (a run the user keeps)."""
        if obj is self.window and event.type() == QEvent.Type.Close and self.on:
            self.toggle(False)
            QTimer.singleShot(0, self._on_close_answered)
        return False

    def _on_close_answered(self) -> None:
        if self.window.isVisible() and not self.on:
            self.toggle(True)

    def menu_entries(self) -> list:
        """The View menu's entries (text, slot, key, checked)."""
        return [None, (N_("Presentation"), self.toggle, "F5", False),
                # i18n: View ▸ Light / Dark / As the system: the window's colour scheme
                (N_("Light"), lambda: self.set_scheme("Light"), None, False),
                (N_("Dark"), lambda: self.set_scheme("Dark"), None, False),
                (N_("As the system"), lambda: self.set_scheme("As the system"), None, True)]

    def _action(self, text: str):
        return self.window.menu_actions.get(text)

    # ---- presentation --------------------------------------------------------------------
    def toggle(self, on: bool | None = None) -> None:
        """Enter or leave presentation mode (the menu entry's check, or the other way round)."""
        on = (not self.on) if on is None or not isinstance(on, bool) else on
        if on == self.on:
            return
        self.on = on
        action = self._action("Presentation")
        if action is not None and action.isChecked() != on:
            action.setChecked(on)
        (self._enter if on else self._leave)()

    def plots(self) -> list[pg.PlotWidget]:
        """Every plot of the window, with the Training plots no run has shown yet (outside the
        window's tree until then)."""
        found = self.window.findChildren(pg.PlotWidget)
        return found + [p for p in self.window.plots.plots.values() if p not in found]

    def _enter(self) -> None:
        w = self.window
        # A lesson's step panel (lesson_dock) stays: the room reads its question.
        docks = [d for d in w.findChildren(QDockWidget) if d.isVisible() and "lesson" not in d.objectName()]
        raised = [d for d in docks if not d.visibleRegion().isEmpty()]  # of docks tabbed together, the one in front
        layers = w.plots.grid.layers
        self._before = {"docks": docks, "raised": raised, "scale": w.plots.text_scale, "layers": layers,
                        "moved": []}
        for dock in docks:
            dock.hide()
        for dock in w.findChildren(QDockWidget):
            area = w.dockWidgetArea(dock)
            if "lesson" in dock.objectName() and dock.isVisible() and area in (TOP, BOTTOM):
                # Beside the plots, not under them: below, at 1280 × 720, it left each plot
                # 165 px and their legends shrank under 14.4 px; a projector is wide.
                self._before["moved"].append((dock, area))
                w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
                panel = dock.widget()  # narrower beside the plots (its buttons on two rows): laid out anew first
                if panel is not None and panel.layout() is not None:
                    panel.layout().activate()
                w.resizeDocks([dock], [dock.minimumSizeHint().width()], Qt.Orientation.Horizontal)
        if layers:
            self._layers(False)  # their room to the plots a room reads
        wanted = self.wanted_scale()
        if wanted > w.plots.text_scale:
            w.scale_text(wanted / w.plots.text_scale)
        self.widen_lines()

    def _leave(self) -> None:
        w, before = self.window, self._before
        if not before:
            return
        if w.plots.text_scale != before["scale"]:
            w.scale_text(before["scale"] / w.plots.text_scale)  # the curves' pens back to their width at that scale
        self.narrow_lines()
        if before["layers"]:
            self._layers(True)
        for dock, area in before["moved"]:
            w.addDockWidget(area, dock)
        for dock in before["docks"]:
            dock.show()
        for dock in before["raised"]:
            dock.raise_()
        self._before = {}

    def _layers(self, on: bool) -> None:
        action = self._action("Layer plots (weight and gradient norms)")
        if action is not None:
            action.setChecked(on)  # the menu says what is shown
        self.window.plots.show_layer_plots(on)

    def wanted_scale(self) -> float:
        """The text scale at which tick and legend text are TEXT_SHARE of the window's height."""
        plot = self.window.plots.plots["loss"]
        px = TEXT_SHARE * self.window.height()
        wanted = max(px / text_px(TICK_PT, plot), px / text_px(LEGEND_PT, plot))
        return math.ceil(wanted * 100 + 1) / 100  # a little over: 14.4 px, not 14.39999

    def widen_lines(self) -> None:
        """Every line of every plot at least MIN_LINE_PX wide (the width its text scale sets
        otherwise is kept in the plot's own record, `base_width`, and comes back on leaving)."""
        for plot in self.plots():
            for item in line_items(plot):
                get, put = _pens(item)
                pen = get()
                if isinstance(pen, QPen) and pen.style() != Qt.PenStyle.NoPen and pen.widthF() < MIN_LINE_PX:
                    item.__dict__.setdefault("base_width", pen.widthF())
                    item.__dict__["widened"] = True
                    wider = QPen(pen)
                    wider.setWidthF(MIN_LINE_PX)
                    put(wider)

    def narrow_lines(self) -> None:
        """The lines widen_lines widened, at their own width again: a curve at its width for the
        text scale, a marker line (which the text scale leaves alone) at its first."""
        for plot in self.plots():
            curves = set(map(id, plot.getPlotItem().listDataItems()))
            for item in line_items(plot):
                if not item.__dict__.pop("widened", False):
                    continue
                get, put = _pens(item)
                pen = QPen(get())
                scale = getattr(plot, "text_scale", 1.0) if id(item) in curves else 1.0
                pen.setWidthF(item.__dict__["base_width"] * scale)
                put(pen)

    # ---- colour scheme -------------------------------------------------------------------
    def set_scheme(self, scheme: str) -> None:
        """Light, Dark or As the system: the widgets' palette and every plot's colours."""
        self.scheme = scheme
        if self.window.store.enabled:
            QSettings().setValue(SCHEME_KEY, scheme)
        for name in SCHEMES:
            action = self._action(name)
            if action is not None:
                action.setChecked(name == scheme)
        app = QApplication.instance()
        wanted = {"Light": Qt.ColorScheme.Light, "Dark": Qt.ColorScheme.Dark}.get(scheme, Qt.ColorScheme.Unknown)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "setColorScheme"):  # Qt ≥ 6.8
            hints.setColorScheme(wanted)
        honoured = wanted == Qt.ColorScheme.Unknown or hints.colorScheme() == wanted
        if not honoured:  # no platform theme to follow the hint: the palette itself
            app.setPalette(dark_palette() if wanted == Qt.ColorScheme.Dark else light_palette())
        else:
            app.setPalette(_system_palette)
        self.colour_plots()
        self.window.status.warning.colour()  # text in a style sheet of its own: told, as the plots are

    def dark(self) -> bool:
        if self.scheme == "Dark":
            return True
        if self.scheme == "Light":
            return False
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark

    def colour_plots(self) -> None:
        """Each plot's background, axes, title, legend and lines in the scheme's colours."""
        scheme = DARK if self.dark() else LIGHT
        background, foreground = QColor(scheme["background"]), QColor(scheme["foreground"])
        for plot in self.plots():
            plot.setBackground(background)
            item = plot.getPlotItem()
            for side in ("left", "bottom", "right", "top"):
                axis = item.getAxis(side) if side in item.axes else None
                if axis is not None:
                    axis.setPen(foreground)
                    axis.setTextPen(foreground)  # the ticks, and the label's HTML colour
                    axis.label.setDefaultTextColor(foreground)  # the label's own, outside its HTML
            label = item.titleLabel
            if label.text:
                label.setText(label.text, color=foreground.name())
            legend = item.legend
            if legend is not None:
                legend.setLabelTextColor(foreground)
                for _sample, entry in legend.items:
                    entry.setText(entry.text)  # pyqtgraph keeps the colour; the text is drawn with it anew
                ground = getattr(legend, "ground", None)
                if ground is not None:
                    ground.setBrush(pg.mkBrush(*scheme["ground"]))
            for line in line_items(plot):
                self._colour_line(line, self.dark())
        if self.on:
            self.widen_lines()

    @staticmethod
    def _colour_line(item, dark: bool) -> None:
        get, put = _pens(item)
        pen = get()
        if not isinstance(pen, QPen):
            return
        light = item.__dict__.get("light_color")
        if light is not None and pen.color() != item.__dict__.get("put_color"):
            light = None  # the plots set a pen since (a run pinned, an item reused): its colour is the light one
        if light is None:
            if not dark:
                item.__dict__.pop("light_color", None)
                return  # never recoloured since its pen was set: it has its light colour
            light = item.__dict__["light_color"] = QColor(pen.color())
        wanted = dark_color(light) if dark else light
        if pen.color() != wanted:
            recoloured = QPen(pen)
            recoloured.setColor(wanted)
            put(recoloured)
        item.__dict__["put_color"] = QColor(wanted)
        label = getattr(item, "label", None)
        if isinstance(item, pg.InfiniteLine) and label is not None:
            label.setColor(wanted)

    def _on_window_shown_more(self, *_) -> None:
        """New curves (a run's layers, an earlier run kept): in the scheme, and wide enough."""
        if self.scheme != "As the system" or self.dark():
            self.colour_plots()
        elif self.on:
            self.widen_lines()


def dark_palette() -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    for role, color in ((roles.Window, "#202020"), (roles.WindowText, "#e0e0e0"), (roles.Base, "#121212"),
                        (roles.AlternateBase, "#262626"), (roles.Text, "#e0e0e0"), (roles.Button, "#2b2b2b"),
                        (roles.ButtonText, "#e0e0e0"), (roles.ToolTipBase, "#2b2b2b"), (roles.ToolTipText, "#e0e0e0"),
                        (roles.Highlight, "#3d7ab8"), (roles.HighlightedText, "#ffffff"), (roles.Link, "#56b4e9"),
                        (roles.PlaceholderText, "#a0a0a0")):
        p.setColor(role, QColor(color))
    p.setColor(QPalette.ColorGroup.Disabled, roles.WindowText, QColor("#8a8a8a"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor("#8a8a8a"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor("#8a8a8a"))
    return p


def light_palette() -> QPalette:
    return QApplication.style().standardPalette()
