"""What a user can read in a window, gathered from its widgets: every text on screen (labels,
buttons, titles, items, headers, cells, tooltips, accessible names, the plots' texts), each with
where it is; which labels and buttons are too narrow for their text; the plots' tick labels.

Used by the language tests (tests/gui/test_pseudo_locale.py, test_numbers_in_language.py):
walk the window, a dialog or the menus, then judge the texts collected."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QImage, QPainter, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QToolBar,
    QTreeView,
    QWidget,
)

ROOT = Path(__file__).resolve().parents[2]
MAX_ROWS = 200  # of a table or tree: its first rows say what all of them are made of

# Kinds whose text is the user's (what was typed, a value in a field): numbers are judged there,
# words are not (a run's name, a path typed).
USER_KINDS = {"field value"}


@dataclass(frozen=True)
class Shown:
    where: str  # widget class#objectName path, from the window down
    kind: str  # what the text is: "label", "tooltip", "menu entry"…
    text: str

    def __str__(self) -> str:
        return f"{self.where} [{self.kind}]: {self.text!r}"


def where(widget: QWidget, depth: int = 6) -> str:
    """The widget's place: its window, then its nearest ancestors, as Class#objectName."""
    parts = []
    w = widget
    while w is not None:
        name = type(w).__name__
        if w.objectName():
            name += "#" + w.objectName()
        parts.append(name)
        w = w.parentWidget()
    parts.reverse()
    if len(parts) > depth:
        parts = [parts[0], "…", *parts[-(depth - 1):]]
    return " > ".join(parts)


def plain(text: str, rich: bool | None = None) -> str:
    """Rich text as the user reads it (tags gone, entities decoded)."""
    if rich is None:
        rich = GuiQt.mightBeRichText(text)
    if not rich:
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def no_mnemonic(text: str) -> str:
    """'&File' -> 'File' ('&&' stays one '&')."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


# Qt's own parts, named by Qt, that carry Qt's words (its catalog translates them): a dock's
# float and close buttons, the extension buttons of a toolbar or menu bar, a tab bar's arrows.
QT_PARTS = ("qt_dockwidget_", "qt_toolbar_ext_button", "qt_menubar_ext_button", "ScrollLeftButton",
            "ScrollRightButton")


def _internal(widget: QWidget) -> bool:
    """One of Qt's own parts, or inside a file dialog (Qt's dialog: only its title and
    filters are ours)."""
    w = widget
    while w is not None:
        if w.objectName().startswith(QT_PARTS) or isinstance(w, QFileDialog) and w is not widget:
            return True
        w = w.parentWidget()
    return False


def _qt_standard_button(button: QAbstractButton) -> bool:
    """OK, Cancel, Yes… of a message box or a button box: Qt's catalog translates them."""
    box = button.parentWidget()
    while box is not None:
        if isinstance(box, (QDialogButtonBox, QMessageBox)):
            if box.standardButton(button) != QDialogButtonBox.StandardButton.NoButton:
                return True
            if isinstance(box, QMessageBox):  # "Show Details…" is the box's own
                return button.text().replace(".", "").replace("…", "").strip() in ("Show Details", "Hide Details")
        box = box.parentWidget()
    return False


def _label_text(label: QLabel) -> str:
    fmt = label.textFormat()
    rich = None if fmt == Qt.TextFormat.AutoText else fmt == Qt.TextFormat.RichText
    return plain(label.text(), rich)


def _model_texts(view: QAbstractItemView, at: str) -> list[Shown]:
    out: list[Shown] = []
    model = view.model()
    if model is None:
        return out
    headers = [(Qt.Orientation.Horizontal, getattr(view, "horizontalHeader", lambda: None)()),
               (Qt.Orientation.Vertical, getattr(view, "verticalHeader", lambda: None)())]
    if hasattr(view, "header"):  # a tree
        headers = [(Qt.Orientation.Horizontal, view.header())]
    for orientation, header in headers:
        if header is None or header.isHidden():
            continue
        count = model.columnCount() if orientation == Qt.Orientation.Horizontal else model.rowCount()
        for section in range(min(count, MAX_ROWS)):
            if header.isSectionHidden(section):
                continue
            for role, kind in ((Qt.ItemDataRole.DisplayRole, "header"), (Qt.ItemDataRole.ToolTipRole, "header tooltip")):
                value = model.headerData(section, orientation, role)
                if isinstance(value, str) and value:
                    out.append(Shown(at, kind, plain(value)))

    def cells(parent: QModelIndex, budget: list[int]) -> None:
        for row in range(model.rowCount(parent)):
            if budget[0] <= 0:
                return
            budget[0] -= 1
            if hasattr(view, "isRowHidden") and _row_hidden(view, row, parent):
                continue
            for column in range(_columns(model, parent)):
                if hasattr(view, "isColumnHidden") and view.isColumnHidden(column):
                    continue
                index = model.index(row, column, parent)
                for role, kind in ((Qt.ItemDataRole.DisplayRole, "cell"), (Qt.ItemDataRole.ToolTipRole, "cell tooltip")):
                    value = index.data(role)
                    if isinstance(value, str) and value:
                        out.append(Shown(at, kind, plain(value)))
                if column == 0 and isinstance(view, QTreeView) and model.rowCount(index) > 0:
                    cells(index, budget)

    cells(QModelIndex(), [MAX_ROWS])
    return out


def _columns(model, parent: QModelIndex) -> int:
    try:
        return model.columnCount(parent)
    except TypeError:  # a list's model: one column, its count private
        return 1


def _row_hidden(view, row: int, parent: QModelIndex) -> bool:
    try:
        return view.isRowHidden(row, parent)  # a tree
    except TypeError:
        return view.isRowHidden(row)  # a table or a list


def widget_texts(widget: QWidget) -> list[Shown]:
    """The texts one widget shows (not its children's)."""
    at = where(widget)
    out: list[Shown] = []

    def add(kind: str, text) -> None:
        if isinstance(text, str) and text.strip():
            out.append(Shown(at, kind, text))

    if isinstance(widget, QFileDialog):  # Qt's own dialog: its title and filters are ours
        add("window title", widget.windowTitle())
        for name_filter in widget.nameFilters():
            add("file filter", name_filter)
        return out
    add("tooltip", plain(widget.toolTip()))
    add("status tip", widget.statusTip())
    add("what's this", plain(widget.whatsThis()))
    add("accessible name", widget.accessibleName())
    add("accessible description", widget.accessibleDescription())
    if widget.isWindow() or isinstance(widget, (QDockWidget, QToolBar)):
        add("window title", widget.windowTitle())
    if isinstance(widget, QMessageBox):
        add("message", plain(widget.text(), widget.textFormat() == Qt.TextFormat.RichText or None))
        add("informative text", plain(widget.informativeText()))
        add("detailed text", widget.detailedText())
    if isinstance(widget, QLabel):
        add("label", _label_text(widget))
    elif isinstance(widget, QAbstractButton):
        if not _qt_standard_button(widget):
            add("button", no_mnemonic(widget.text()))
    elif isinstance(widget, QGroupBox):
        add("group title", no_mnemonic(widget.title()))
    elif isinstance(widget, QComboBox):
        for i in range(widget.count()):  # (an editable one's: names the user gave, a study's)
            add("field value" if widget.isEditable() else "combo item", widget.itemText(i))
            add("combo item tooltip", widget.itemData(i, Qt.ItemDataRole.ToolTipRole))
        if widget.isEditable() and widget.lineEdit() is not None:
            add("placeholder", widget.lineEdit().placeholderText())
    elif isinstance(widget, QAbstractSpinBox):
        add("field value", widget.text())
        for kind in ("prefix", "suffix", "specialValueText"):
            if hasattr(widget, kind):
                add(kind, getattr(widget, kind)())
    elif isinstance(widget, QLineEdit):
        parent = widget.parentWidget()
        if not isinstance(parent, (QAbstractSpinBox, QComboBox)):
            add("placeholder", widget.placeholderText())
            add("label" if widget.isReadOnly() else "field value", widget.text())
    elif isinstance(widget, (QTextEdit, QPlainTextEdit)):
        add("placeholder", widget.placeholderText())
        add("text" if widget.isReadOnly() else "field value", widget.toPlainText())
    elif isinstance(widget, QProgressBar):
        if widget.isTextVisible():
            add("progress text", widget.text())
    elif isinstance(widget, QTabBar):
        for i in range(widget.count()):
            add("tab title", no_mnemonic(widget.tabText(i)))
            add("tab tooltip", plain(widget.tabToolTip(i)))
    elif isinstance(widget, QMainWindow):
        bar = widget.statusBar() if widget.findChild(type(widget.statusBar())) else None
        if bar is not None:
            add("status bar", bar.currentMessage())
    if isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView):
        out.extend(_model_texts(widget, at))
    if isinstance(widget, pg.GraphicsView):
        out.extend(scene_texts(widget))
    return out


def scene_texts(view: pg.GraphicsView) -> list[Shown]:
    """A plot's texts: titles, axis labels, legend labels, text items (pyqtgraph draws each as
    a QGraphicsTextItem)."""
    out = []
    at = where(view)
    for item in view.scene().items():
        if not item.isVisible():
            continue
        if isinstance(item, QGraphicsTextItem):
            text = item.toPlainText()
        elif isinstance(item, QGraphicsSimpleTextItem):
            text = item.text()
        else:
            continue
        owner = item.parentItem()
        kind = f"plot text ({type(owner).__name__ if owner is not None else 'scene'})"
        if isinstance(owner, pg.AxisItem):
            kind = f"axis label ({owner.orientation})"
        if text.strip():
            out.append(Shown(at, kind, text))
    return out


def shown_widgets(root: QWidget) -> list[QWidget]:
    """The root and its descendants that are on screen, in the root's own window (a dialog
    parented to it is walked as its own), Qt's internal parts left out."""
    found = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible() or w.window() is not root.window():
            continue
        if w is not root and _internal(w):
            continue
        found.append(w)
    return found


def window_texts(root: QWidget) -> list[Shown]:
    """Every text shown in `root`'s window now (a file dialog: its title and filters)."""
    if isinstance(root, QFileDialog):
        return widget_texts(root)
    out = []
    for w in shown_widgets(root):
        out.extend(widget_texts(w))
    return out


def action_texts(action: QAction, at: str) -> list[Shown]:
    out = []
    for kind, text in (("action", no_mnemonic(action.text())), ("action tooltip", action.toolTip()),
                       ("action status tip", action.statusTip()), ("action what's this", action.whatsThis())):
        if text and text.strip():
            out.append(Shown(at, kind, plain(text)))
    return out


def menu_texts(window: QMainWindow) -> list[Shown]:
    """The menu bar's titles and every entry of every menu and submenu; the toolbars' actions."""
    out = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.isSeparator():
                continue
            out.extend(action_texts(action, f"menu {path}"))
            if action.menu() is not None:
                walk(action.menu(), f"{path} ▸ {no_mnemonic(action.text())}")

    for action in window.menuBar().actions():
        out.extend(action_texts(action, "menu bar"))
        if action.menu() is not None:
            walk(action.menu(), no_mnemonic(action.text()))
    for bar in window.findChildren(QToolBar):
        for action in bar.actions():
            if not action.isSeparator():
                out.extend(action_texts(action, f"{where(bar)} action"))
    return out


def _elides(label: QLabel) -> bool:
    """A label that draws its own text, cut with "…" (its whole text in its tooltip)."""
    return type(label).paintEvent is not QLabel.paintEvent


def clipped(root: QWidget, slack: int = 2) -> list[Shown]:
    """Labels and buttons on screen narrower than their text: the end of it is not seen. A
    label that wraps, or that elides its text itself, is never clipped."""
    out = []
    for w in shown_widgets(root):
        if isinstance(w, QLabel):
            if w.wordWrap() or _elides(w) or not w.text() or w.pixmap() is not None and not w.pixmap().isNull():
                continue
            need = w.sizeHint().width()
            text = _label_text(w)
        elif isinstance(w, QAbstractButton) and not _qt_standard_button(w) and w.text():
            if isinstance(w.parentWidget(), QToolBar):
                continue  # a toolbar moves what does not fit into its extension menu
            need = w.minimumSizeHint().width()
            text = no_mnemonic(w.text())
        else:
            continue
        if w.width() + slack < need:
            out.append(Shown(where(w), f"clipped: {w.width()} px of {need}", text))
    return out


def tick_texts(view: pg.PlotWidget) -> list[Shown]:
    """The tick labels each shown axis of a plot draws for its current range (its tickStrings)."""
    out = []
    at = where(view)
    for item in view.scene().items():
        if not isinstance(item, pg.AxisItem) or not item.isVisible() or not item.style.get("showValues", True):
            continue
        image = QImage(8, 8, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            _axis, _ticks, texts = item.generateDrawSpecs(painter)
        finally:
            painter.end()
        out.extend(Shown(at, f"tick ({item.orientation})", text) for _rect, _flags, text in texts if text)
    return out


def plot_views(root: QWidget) -> list[pg.GraphicsView]:
    return [w for w in shown_widgets(root) if isinstance(w, pg.GraphicsView)]


def reveal(widget: QWidget) -> None:
    """Bring the tab pages and docks that hold `widget` to the front."""
    w = widget
    while w is not None:
        parent = w.parentWidget()
        if isinstance(parent, QStackedWidget) and isinstance(parent.parentWidget(), QTabWidget):
            parent.parentWidget().setCurrentWidget(w)
        if isinstance(w, QDockWidget):
            w.raise_()
        w = parent


def each_view(qtbot, window: QWidget):
    """Shows each enabled page of every tab widget (nested ones too) and each dock in turn,
    yielding the page or dock once it is on screen."""
    for tabs in window.findChildren(QTabWidget):
        for i in range(tabs.count()):
            if tabs.isTabEnabled(i):
                reveal(tabs.widget(i))
                qtbot.wait(30)
                yield tabs.widget(i)
    for dock in window.findChildren(QDockWidget):
        if not dock.isHidden():
            reveal(dock)
            qtbot.wait(30)
            yield dock


def catalogs():
    """The catalog tooling (packaging/i18n/catalogs.py): extract() gives what the code marks now."""
    folder = str(ROOT / "packaging" / "i18n")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import catalogs as module

    return module
