"""The window's toolbar and menus, declared as tables: text, what it does, its key."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar


def _action(parent, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    a = QAction(text, parent)
    if isinstance(shortcut, (list, tuple)):
        a.setShortcuts([QKeySequence(k) for k in shortcut])
    elif shortcut:
        a.setShortcut(QKeySequence(shortcut))
    if tip:
        if shortcut:
            key = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            tip = f"{tip} ({key})"
        a.setToolTip(tip)
        a.setStatusTip(tip)
    a.triggered.connect(slot)
    return a


def toolbar(window, entries: list) -> dict[str, QAction]:
    """entries: (name, text, shortcut, tip, slot), or None for a separator."""
    bar = QToolBar("Run")
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


def menus(window, table: list) -> dict[str, QAction]:
    """table: (menu title, [(text, slot, shortcut[, checked]) or None for a separator]).
    A fourth value makes the entry a check box with that state. Returns actions by text."""
    made = {}
    for title, entries in table:
        menu = window.menuBar().addMenu(title)
        for entry in entries:
            if entry is None:
                menu.addSeparator()
                continue
            text, slot, shortcut, *checked = entry
            a = _action(window, text, slot, shortcut)
            if checked:
                a.setCheckable(True)
                a.setChecked(checked[0])
            menu.addAction(a)
            made[text] = a
    return made
