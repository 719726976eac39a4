"""Space (pause / resume) and Esc (stop) work from anywhere in the window.

A focused field would otherwise take the key: a spin box turned Space into text and lost
the value being edited. Here a number being typed is committed first (so the edit is not
lost, and a live setting applies), then the run control acts; a text field keeps its Space
for typing, but not while a run is live (text settings are locked then)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit


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
        focus = QApplication.focusWidget()
        if focus is None or focus.window() is not self.window:
            return False
        spin = _spin_box(focus)
        if spin is None and isinstance(focus, QLineEdit) and event.key() == Qt.Key.Key_Space:
            return False  # typing a space in a text field
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # ours: the field does not get it as text
            return True
        if event.isAutoRepeat():
            return True  # a held key acts once
        if spin is not None:
            spin.interpretText()  # commit what was typed, then act
        action = self.pause if event.key() == Qt.Key.Key_Space else self.stop
        if action.isEnabled():
            action.trigger()
        return True
