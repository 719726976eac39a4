"""The window's size at its first launch: what fits the screen's available area (panels left
out) with the window manager's frame (title bar, borders) included. On a 1280 x 720
projector a window whose content alone was 1280 x 720 lost its status bar below the screen."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMargins, QObject, QRect, QSize, QTimer
from PySide6.QtGui import QGuiApplication

WANTED = QSize(1400, 900)
# The frame before the window manager has drawn one (it is measured once the window shows).
FRAME_GUESS = QMargins(4, 32, 4, 4)


def content_rect(available: QRect, frame: QMargins, wanted: QSize = WANTED) -> QRect:
    """The content rectangle of a window centred in `available` whose frame fits in it too."""
    room_w = available.width() - frame.left() - frame.right()
    room_h = available.height() - frame.top() - frame.bottom()
    w, h = min(wanted.width(), room_w), min(wanted.height(), room_h)
    return QRect(available.x() + frame.left() + (room_w - w) // 2,
                 available.y() + frame.top() + (room_h - h) // 2, w, h)


def _margins(window) -> QMargins:
    outer, inner = window.frameGeometry(), window.geometry()
    return QMargins(inner.left() - outer.left(), inner.top() - outer.top(),
                    outer.right() - inner.right(), outer.bottom() - inner.bottom())


class FirstLaunchFit(QObject):
    """Sizes the window before it shows (with a guessed frame), and once more after it has
    shown, where the real frame is larger than the guess."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        if QGuiApplication.platformName() == "offscreen":  # no real screen to fit (screenshot mode)
            window.resize(WANTED)
            return
        window.setGeometry(content_rect(window.screen().availableGeometry(), FRAME_GUESS))
        window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Show:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self._refit)  # the frame is known once the show is handled
        return False

    def _refit(self) -> None:
        room = self.window.screen().availableGeometry()
        if not room.contains(self.window.frameGeometry()):
            self.window.setGeometry(content_rect(room, _margins(self.window)))
