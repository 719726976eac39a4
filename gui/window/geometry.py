"""The window's size at its first launch: what fits the screen's available area (panels left
out) with the window manager's frame (title bar, borders) included. On a 1280 x 720
projector a window whose content alone was 1280 x 720 lost its status bar below the screen.

Afterwards the window is kept within the screen: Larger text once grew it past a 720-px
screen (the Examples tab's minimum height), and it stayed that tall after the text was made
smaller again."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMargins, QObject, QRect, QSize, Qt, QTimer
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


def has_screen() -> bool:
    """Whether there is a screen to fit: not the offscreen platform's default one (screenshot
    mode, tests), but one its configfile declares (a named screen: tests of a projector's size)."""
    if QGuiApplication.platformName() != "offscreen":
        return True
    screen = QGuiApplication.primaryScreen()
    return screen is not None and bool(screen.name())


class FirstLaunchFit(QObject):
    """Sizes the window before it shows (with a guessed frame), and once more after it has
    shown, where the real frame is larger than the guess."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        if not has_screen():  # no real screen to fit (screenshot mode)
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


class KeepOnScreen(QObject):
    """Whenever the window has grown larger than the screen's available area (a minimum size that
    grew with the text, a stored geometry from a larger screen), it is fitted back once the
    layout allows; maximized and full-screen windows are the window manager's."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._pending = False
        if has_screen():
            window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if (obj is self.window and event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Show)
                and not self._pending):
            self._pending = True
            QTimer.singleShot(0, self._fit)  # after the layout has settled
        return False

    def _fit(self) -> None:
        self._pending = False
        w = self.window
        if not w.isVisible() or w.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            return
        room, frame = w.screen().availableGeometry(), w.frameGeometry()
        desktop = w.screen().availableVirtualGeometry()  # (several screens: a window across two is the user's)
        if frame.width() <= desktop.width() and frame.height() <= desktop.height():
            return  # it fits (partly off the screen is where the user moved it)
        target = content_rect(room, _margins(w), w.size())
        if target != w.geometry():
            w.setGeometry(target)
