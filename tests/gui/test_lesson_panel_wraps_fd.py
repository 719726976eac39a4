"""A lesson in German (~30 % longer than English) at 1280 x 720 with View ▸ Larger text twice:
the step panel cut every text to one line ("…Beobachten Sie die beiden"), the reveal stopped
mid-sentence, nothing scrolled, and the panel took half the window's height, leaving the
settings panel about three fields."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QScrollArea

from tests.gui.conftest import RUN_TIMEOUT

LEAST_SETTINGS_FIELDS = 6  # a teacher still reads and edits a handful of settings beside the lesson


def _reachable(label: QLabel, panel) -> bool:
    """The whole label inside the panel, or inside a scroll area of the panel whose range reaches
    its bottom (a label cut by the panel's edge with nothing to scroll is lost to the room)."""
    scroll = next((w for w in _ancestors(label, panel) if isinstance(w, QScrollArea)), None)
    if scroll is None:
        top, bottom = label.mapTo(panel, label.rect().topLeft()), label.mapTo(panel, label.rect().bottomRight())
        return panel.rect().contains(top) and panel.rect().contains(bottom)
    bottom = label.mapTo(scroll.widget(), label.rect().bottomLeft()).y()
    return bottom < scroll.viewport().height() + scroll.verticalScrollBar().maximum()


def _ancestors(widget, stop):
    w = widget.parentWidget()
    while w is not None and w is not stop:
        yield w
        w = w.parentWidget()


def _fields_shown(settings) -> list[str]:
    """The settings whose field is wholly inside the settings panel's visible scroll area."""
    viewport = settings.scroll.viewport()
    shown = []
    for key, widget in settings.widgets.items():
        if not widget.isVisibleTo(settings):
            continue
        top = widget.mapTo(viewport, widget.rect().topLeft())
        bottom = widget.mapTo(viewport, widget.rect().bottomRight())
        if viewport.rect().contains(top) and viewport.rect().contains(bottom):
            shown.append(key)
    return shown


def test_a_german_lessons_texts_wrap_and_scroll_and_leave_the_settings_their_room(qapp, qtbot, request, tmp_path):
    from gui.window import language

    assert language.install(qapp, "de") == "de"
    window = request.getfixturevalue("window")
    window.resize(1280, 720)
    for _ in range(2):
        window.menu_actions["Larger text"].trigger()
    window.menu_actions["Memorizing"].trigger()  # the first shipped lesson
    dock, panel = window.lessons.dock, window.lessons.view
    qtbot.waitUntil(dock.isVisible, timeout=5000)
    settings = window.settings_panel
    settings.set_value("optim.epochs", 5)  # not locked: the run ends soon after the step's pause
    window.actions["start"].trigger()
    qtbot.waitUntil(panel.reveal_button.isEnabled, timeout=RUN_TIMEOUT)  # paused at the step's epoch
    panel.reveal_button.click()
    qtbot.wait(200)  # the layouts settle in the next event-loop turns
    assert panel.reveal.isVisible() and panel.reveal.text().startswith("Bisher:")
    shot = os.environ.get("LESSON_SHOT") or str(tmp_path / "lesson_de.png")
    window.grab().save(shot)

    labels = [label for label in panel.findChildren(QLabel) if label.isVisible() and label.text()]
    assert {"lesson_title", "lesson_text", "lesson_question", "lesson_reveal"} <= {x.objectName() for x in labels}
    for label in labels:
        needed = label.heightForWidth(label.width())
        assert needed <= label.height(), (label.objectName(), label.width(), needed, label.height(), label.text())
        assert _reachable(label, panel), (label.objectName(), label.text())
    for button in (panel.reveal_button, panel.next_button, panel.reset_button):  # outside what scrolls
        assert not any(isinstance(w, QAbstractScrollArea) for w in _ancestors(button, panel)), button.text()
        corner = button.mapTo(window, button.rect().bottomRight())
        assert button.isVisible() and window.rect().contains(corner), button.text()
    # The answer just revealed is in view without scrolling by hand.
    scroll = next(w for w in _ancestors(panel.reveal, panel) if isinstance(w, QScrollArea))
    seen = scroll.viewport().rect()
    assert seen.contains(panel.reveal.mapTo(scroll.viewport(), panel.reveal.rect().bottomRight()))
    assert seen.contains(panel.reveal.mapTo(scroll.viewport(), panel.reveal.rect().topLeft()))
    shown = _fields_shown(settings)
    assert len(shown) >= LEAST_SETTINGS_FIELDS, (shown, settings.scroll.viewport().height(), dock.height())


def test_a_reveal_taller_than_the_panel_is_shown_from_its_first_line(qtbot, window, tmp_path, monkeypatch):
    """Centred in the view (as a scroll area brings a widget into view), a long reveal was cut
    at its top: its first line, the answer, was out of sight."""
    from tests.gui.test_lessons_window import LESSON, open_lesson

    long_reveal = "Validation accuracy {final_val} at epoch {epoch}. " + "The rest explains why. " * 60
    text = LESSON.replace('reveal = "Validation accuracy {final_val} at epoch {epoch}; training {final_train}."',
                          f'reveal = "{long_reveal}"')
    assert text != LESSON
    window.resize(1280, 720)
    open_lesson(window, tmp_path, monkeypatch, text)
    panel = window.lessons.view
    window.actions["start"].trigger()
    qtbot.waitUntil(panel.reveal_button.isEnabled, timeout=RUN_TIMEOUT)
    panel.reveal_button.click()
    scroll, reveal = panel.scroll, panel.reveal
    qtbot.waitUntil(lambda: reveal.isVisible() and reveal.height() > scroll.viewport().height(), timeout=5000)

    def first_line_in_view():
        top = reveal.mapTo(scroll.viewport(), reveal.rect().topLeft())
        return scroll.viewport().rect().contains(top)

    qtbot.waitUntil(first_line_in_view, timeout=5000)
    assert scroll.verticalScrollBar().value() > 0  # scrolled down to it, past the title and the text
