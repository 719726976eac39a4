"""A plot's right-click menu (pyqtgraph's: View All, X axis, Mouse Mode, Plot Options and its
panels, Export...) and the export dialog speak the window's language; in English they read as
pyqtgraph writes them. The texts come from the window's catalog (context "pyqtgraph <Qt
context>"), extracted from the installed pyqtgraph's source."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QListWidget,
    QMenu,
    QWidgetAction,
)

from engine.core import i18n
from engine.core.i18n import C_
from gui.window import language
from tests.gui.visible_texts import catalogs

# What pyqtgraph shows in English, by its Qt context (as it calls QCoreApplication.translate).
MENU = {
    "ViewBox": ["View All", "Mouse Mode", "3 button", "1 button"],
    "PlotItem": ["Plot Options", "Transforms", "Downsample", "Average", "Alpha", "Grid", "Points"],
    "GraphicsScene": ["Export..."],
    "Form": ["Link Axis:", "Manual", "Auto", "Invert Axis", "Mouse Enabled", "Visible Data Only",
             "Auto Pan Only", "Log X", "Log Y", "Power Spectrum (FFT)", "Subtract Mean", "Show X Grid",
             "Show Y Grid", "Opacity", "Clip to View", "Max Traces:", "Forget hidden traces", "Peak",
             "Mean", "Subsample"],
}
AXIS = ("ViewBox", "axis")  # the X axis / Y axis submenus: f"{X or Y} {translate('ViewBox', 'axis')}"
EXPORT_DIALOG = {"Form": ["Item to export:", "Export format", "Export options", "Export", "Close", "Copy"],
                 "Exporter": ["Image File (PNG, TIF, JPG, ...)", "Scalable Vector Graphics (SVG)",
                              "CSV of original plot data"]}


def right_click_menu(qtbot, window, name: str = "loss") -> QMenu:
    """Right-click the middle of a plot, as a user does; the menu pyqtgraph pops up."""
    plot = window.plots.plots[name]
    qtbot.waitUntil(plot.isVisible, timeout=5000)
    view = plot.getPlotItem().getViewBox()
    where = plot.mapFromScene(view.sceneBoundingRect().center())
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.RightButton, pos=where)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=5000)
    return QApplication.activePopupWidget()


def texts(menu: QMenu) -> list[str]:
    """Every text of the menu: its actions, its submenus' titles and everything in them, the
    panels they hold (check boxes, radio buttons, labels, group titles)."""
    found = []
    for action in menu.actions():
        if action.text():
            found.append(action.text())
        if action.menu() is not None:
            found += texts(action.menu())
        if isinstance(action, QWidgetAction) and action.defaultWidget() is not None:
            found += widget_texts(action.defaultWidget())
    return found


def widget_texts(widget) -> list[str]:
    found = [w.text() for w in widget.findChildren(QAbstractButton) + widget.findChildren(QLabel) if w.text()]
    found += [w.title() for w in widget.findChildren(QGroupBox) if w.title()]
    return found


def dismiss(qtbot, menu: QMenu) -> None:
    while isinstance(QApplication.activePopupWidget(), QMenu):
        qtbot.keyClick(QApplication.activePopupWidget(), Qt.Key.Key_Escape)
    assert not menu.isVisible()


def trigger(menu: QMenu, text: str) -> None:
    for action in menu.actions():
        if action.text() == text:
            action.trigger()
            return
    raise AssertionError(f"no {text!r} in the menu: {texts(menu)}")


@pytest.fixture
def german_window(request, qapp):
    assert language.install(qapp, "de") == "de"
    return request.getfixturevalue("window")  # built as a user's window is: after the language


def test_a_plots_right_click_menu_and_its_export_dialog_read_german(qtbot, german_window):
    window = german_window
    expected = {(context, text): C_(f"pyqtgraph {context}", text)
                for context, words in MENU.items() for text in words}
    # The catalog translates them (else the test below could not fail): the common words at least.
    for key in [("ViewBox", "View All"), ("ViewBox", "Mouse Mode"), ("PlotItem", "Plot Options"),
                ("PlotItem", "Transforms"), ("GraphicsScene", "Export..."), ("Form", "Invert Axis"),
                ("Form", "Visible Data Only")]:
        assert expected[key] != key[1], f"the German catalog does not translate {key}"
    menu = right_click_menu(qtbot, window)
    shown = texts(menu)
    missing = {key: german for key, german in expected.items() if german not in shown}
    assert not missing, f"not in the menu: {missing}\nshown: {shown}"
    axis = C_("pyqtgraph " + AXIS[0], AXIS[1])
    assert {f"X {axis}", f"Y {axis}"} <= set(shown), shown
    english_left = sorted({text for (_context, text), german in expected.items()
                           if german != text and text in shown} | ({"X axis", "Y axis"} & set(shown)))
    assert not english_left, f"still English in the German menu: {english_left}"

    # Export... (its German name) opens pyqtgraph's export dialog, in German too.
    trigger(menu, expected[("GraphicsScene", "Export...")])
    dismiss(qtbot, menu)
    dialog = window.plots.plots["loss"].scene().exportDialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    formats = dialog.findChild(QListWidget, "formatList")
    dialog_texts = widget_texts(dialog) + [formats.item(i).text() for i in range(formats.count())]
    want = {C_(f"pyqtgraph {context}", text): text for context, words in EXPORT_DIALOG.items() for text in words}
    assert set(want) <= set(dialog_texts), (want, dialog_texts)
    assert not {english for german, english in want.items() if german != english} & set(dialog_texts)
    dialog.close()


def test_in_english_the_menu_reads_as_pyqtgraph_writes_it(qtbot, qapp, window):
    assert i18n.language() == i18n.ENGLISH
    menu = right_click_menu(qtbot, window, "accuracy")
    shown = set(texts(menu))
    assert {text for words in MENU.values() for text in words} | {"X axis", "Y axis"} <= shown, shown
    dismiss(qtbot, menu)


def test_german_then_english_again_leaves_pyqtgraphs_english(qtbot, qapp):
    """Switching back to English removes the translator: a plot made then reads English."""
    import pyqtgraph as pg

    def plot_options_title() -> str:
        plot = pg.PlotWidget()
        qtbot.addWidget(plot)
        return plot.getPlotItem().ctrlMenu.title()

    language.install(qapp, "de")
    assert plot_options_title() == C_("pyqtgraph PlotItem", "Plot Options") != "Plot Options"
    language.install(qapp, i18n.ENGLISH)
    assert plot_options_title() == "Plot Options"


def test_every_text_of_the_menu_and_export_dialog_is_in_the_catalog_template():
    """What the tests above read is what `catalogs.py extract` gives the translators."""
    extracted = {(m.context, m.id) for m in catalogs().extract() if m.id}
    wanted = {(f"pyqtgraph {context}", text) for table in (MENU, EXPORT_DIALOG)
              for context, words in table.items() for text in words}
    wanted.add(("pyqtgraph " + AXIS[0], AXIS[1]))
    assert not wanted - extracted, sorted(wanted - extracted)
    shown = {(c, text) for c, text in extracted if c and c.startswith("pyqtgraph ")}
    assert not {text for _c, text in shown if text in ("PyQtGraph", "0", "%")}  # never shown / no words
