"""Space (pause / resume) and Esc (stop) work from anywhere in the window while a run is live.

A focused field would otherwise take the key: a spin box turned Space into text and lost
the value being edited. Here a number being typed is committed first (so the edit is not
lost, and a live setting applies), then the run control acts. The keys are taken only
when they mean something: while no run is live (Pause and Stop disabled) every widget
keeps its own Space and Esc, and at any time a focused check box or button keeps Space
(it toggles or presses it, as everywhere else), a text field keeps Space for typing, and an
open menu or dialog keeps both (Esc closes it)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QApplication, QLineEdit


def key_name(keys: str) -> str:
    """A shortcut as the menus show it, in the window's language ("Strg+Eingabe" in German)."""
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def _spin_box(widget) -> QAbstractSpinBox | None:
    while widget is not None:
        if isinstance(widget, QAbstractSpinBox):
            return widget
        widget = widget.parentWidget()
    return None


class RunKeys(QObject):
    """An application event filter; `pause` and `stop` are the window's QActions."""

    KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Escape)

    def __init__(self, window, pause, stop):
        super().__init__(window)
        self.window, self.pause, self.stop = window, pause, stop
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        if event.key() not in self.KEYS or event.modifiers() not in (Qt.KeyboardModifier.NoModifier,
                                                                      Qt.KeyboardModifier.KeypadModifier):
            return False
        if QApplication.activePopupWidget() is not None or QApplication.activeModalWidget() is not None:
            return False  # an open menu or dialog takes its own Esc (and Space): it closes, the run goes on
        focus = QApplication.focusWidget()
        if focus is None or focus.window() is not self.window:
            return False
        space = event.key() == Qt.Key.Key_Space
        action = self.pause if space else self.stop
        if not action.isEnabled():
            return False  # no run to pause or stop: the focused widget has its key
        spin = _spin_box(focus)
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # a key press, not Pause's or Stop's shortcut: decided below
            return True
        if space and spin is None and isinstance(focus, (QLineEdit, QAbstractButton)):
            return False  # typing a space; toggling a check box or pressing a button
        if event.isAutoRepeat():
            return True  # a held key acts once
        if spin is not None:
            spin.interpretText()  # commit what was typed, then act
        action.trigger()
        return True
