"""A menu table's entry whose second value is a list is a submenu: shown in the language
spoken, its actions keyed by their English text with the menus' own."""

from __future__ import annotations

import gettext

import pytest
from PySide6.QtWidgets import QMainWindow

from engine.core import i18n
from gui.window import menus


class Bracketed(gettext.NullTranslations):
    """A stand-in catalog: every message shown as [its English]."""

    def gettext(self, message):
        return f"[{message}]"


@pytest.fixture
def bracketed(monkeypatch):
    monkeypatch.setattr(i18n, "_translations", Bracketed())


def _menu_titled(menu_bar_or_menu, title):
    for action in menu_bar_or_menu.actions():
        if action.menu() is not None and action.text() == title:
            return action.menu()
    shown = [a.text() for a in menu_bar_or_menu.actions()]
    raise AssertionError(f"no menu {title!r} among {shown}")


def test_a_submenu_is_shown_translated_and_its_entries_keyed_by_their_english_text(qtbot, bracketed):
    window = QMainWindow()
    qtbot.addWidget(window)
    picked = []
    made = menus.menus(window, [
        ("&View", [("Larger text", lambda: picked.append("larger"), None), None,
                   ("Language", [("English", lambda: picked.append("en"), None, True),
                                 ("More", [("Deutsch", lambda: picked.append("de"), None, False)])])]),
    ])

    view = _menu_titled(window.menuBar(), "[&View]")
    language = _menu_titled(view, "[Language]")  # reached through the menu bar, as a user does
    assert [a.text() for a in language.actions()] == ["[English]", "[More]"]
    english = language.actions()[0]
    assert english.isCheckable() and english.isChecked()
    more = _menu_titled(language, "[More]")  # a submenu's own submenu
    more.actions()[0].trigger()
    assert picked == ["de"]

    # Keyed by the English source, whatever is shown: the submenu's entries with the rest.
    assert made["English"] is english
    assert made["Deutsch"] is more.actions()[0]
    assert made["Language"] is language.menuAction()
    assert made["Larger text"].text() == "[Larger text]"
    made["English"].trigger()
    assert picked == ["de", "en"]


def test_the_window_s_view_menu_has_the_language_submenu_with_the_language_spoken_checked(window):
    view = _menu_titled(window.menuBar(), i18n._("&View"))
    language = _menu_titled(view, i18n._("Language"))
    english = next(a for a in language.actions() if a.text() == "English")  # each named in its own language
    assert english.isCheckable() and english.isChecked()  # the tests speak English
    assert window.menu_actions["English"] is english
    assert window.menu_actions["Language"] is language.menuAction()
    assert view.actions()[-1] is language.menuAction()  # the View menu's last entry, after a separator
    assert view.actions()[-2].isSeparator()
