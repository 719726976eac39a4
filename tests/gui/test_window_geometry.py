"""The first launch fits the screen with the window manager's frame included."""

from PySide6.QtCore import QMargins, QRect, QSize

from gui.window.geometry import WANTED, content_rect


def test_a_1280_by_720_projector_holds_the_window_with_its_title_bar_and_a_panel():
    available = QRect(0, 27, 1280, 693)  # a desktop panel of 27 pixels at the top
    frame = QMargins(1, 37, 1, 1)  # a window manager's title bar and borders
    inner = content_rect(available, frame)
    outer = inner.marginsAdded(frame)
    assert available.contains(outer)
    assert outer.height() == 693 and outer.width() == 1280  # all of it: nothing to spare
    assert inner.bottom() == available.bottom() - 1  # the status bar is on the screen


def test_a_large_screen_gets_the_wanted_size_centred():
    inner = content_rect(QRect(0, 0, 2560, 1440), QMargins(2, 30, 2, 2))
    assert inner.size() == WANTED and inner.center().x() in (1279, 1280)
    assert content_rect(QRect(0, 0, 1000, 800), QMargins(), QSize(800, 600)).size() == QSize(800, 600)
