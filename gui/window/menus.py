"""The window's toolbar and menus, declared as tables: text, what it does, its key.

The tables hold English source texts (marked N_("…") where written); a menu shows _(text),
and the actions are returned keyed by the English text, whatever the language spoken."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from engine.core.i18n import C_, _


def _action(parent, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    a = QAction(_(text), parent)
    if isinstance(shortcut, (list, tuple)):
        a.setShortcuts([QKeySequence(k) for k in shortcut])
    elif shortcut:
        a.setShortcut(QKeySequence(shortcut))
    if tip:
        tip = _(tip)
        if shortcut:
            key = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            # i18n: a toolbar button's tooltip and its key, e.g. "Stop now and keep the best weights (Esc)"
            tip = _("{tip} ({key})").format(tip=tip, key=key)
        a.setToolTip(tip)
        a.setStatusTip(tip)
    a.triggered.connect(slot)
    return a


def toolbar(window, entries: list) -> dict[str, QAction]:
    """entries: (name, text, shortcut, tip, slot), or None for a separator."""
    # i18n: the title of the toolbar of run controls (Start, Pause, Stop…)
    bar = QToolBar(C_("noun", "Run"))
    bar.setObjectName("run_toolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    window.addToolBar(bar)
    actions = {}
    for entry in entries:
        if entry is None:
            bar.addSeparator()
            continue
        name, text, shortcut, tip, slot = entry
        actions[name] = _action(window, text, slot, shortcut, tip)
        bar.addAction(actions[name])
        bar.widgetForAction(actions[name]).setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Qt's NoFocus: no key reached Reset
    return actions


def _fill(window, menu: QMenu, entries: list, made: dict[str, QAction]) -> None:
    for entry in entries:
        if entry is None:
            menu.addSeparator()
            continue
        text, slot, *rest = entry
        if isinstance(slot, list):  # (title, [entries]): a submenu
            sub = menu.addMenu(_(text))
            made[text] = sub.menuAction()
            _fill(window, sub, slot, made)
            continue
        shortcut, *checked = rest
        a = _action(window, text, slot, shortcut)
        if checked:
            a.setCheckable(True)
            a.setChecked(checked[0])
        menu.addAction(a)
        made[text] = a


def menus(window, table: list) -> dict[str, QAction]:
    """table: (menu title, [(text, slot, shortcut[, checked]) or None for a separator]).
    A fourth value makes the entry a check box with that state; (text, [entries]) makes a
    submenu of those entries (its own submenus too). Returns the actions by their English
    text, a submenu's entries among them and the submenu itself (its menuAction)."""
    made: dict[str, QAction] = {}
    for title, entries in table:
        _fill(window, window.menuBar().addMenu(_(title)), entries, made)
    return made
