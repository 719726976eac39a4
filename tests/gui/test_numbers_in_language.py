"""Numbers in the language's format: in German and French every number the window shows after
a run and an evaluation (labels, table cells, the status bar, fields, the plots' tick labels)
has a decimal comma, as QLocale writes it, never "0.5"; and a number typed the language's way
("0,5") is taken."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtTest import QTest

from engine.core import i18n
from tests.gui import visible_texts as vt
from tests.gui.conftest import RUN_TIMEOUT

# A number written with a decimal point: "0.5", "72.7", "-1.25e-3" (a German group separator,
# "12.000", is told apart: a first group of 1 to 3 digits, not 0, then groups of three).
POINT_DECIMAL = re.compile(r"(?<![\w.,])[-−]?\d+\.\d+(?:[eE][-−+]?\d+)?(?![\w.])")
GERMAN_GROUPS = re.compile(r"[-−]?[1-9]\d{0,2}(?:\.\d{3})+")
# What is not a number of the window's: paths and file names, a run folder's name, dates and
# times, version strings, settings' keys ("optim.lr"), an IP or a URL.
NOT_NUMBERS = [
    re.compile(r"[^\s⟦⟧]*[/\\][^\s⟦⟧]*"),
    re.compile(r"[\w.-]+\.(?:png|svg|csv|json|jsonl|toml|txt|log|ini|py|safetensors|journal|db)\b"),
    re.compile(r"\b[\w.-]*[_-][0-9a-f]{8}\b"),
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\b"),
    re.compile(r"\b\d+\.\d+\.\d+(?:\.\d+)*\b"),
    re.compile(r"\b[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+\b"),
]


def point_decimals(text: str, code: str, written: tuple[str, ...] = ()) -> list[str]:
    """The numbers of `text` written with a decimal point, in a language whose separator is a
    comma; those inside a message of `written` (a number written in the message itself, a
    setting's help: its translator writes it the language's way) are the catalog's."""
    for message in written:
        text = text.replace(message, " ")
    for pattern in NOT_NUMBERS:
        text = pattern.sub(" ", text)
    found = POINT_DECIMAL.findall(text)
    if code == "de":
        found = [n for n in found if not GERMAN_GROUPS.fullmatch(n)]
    return found


def test_a_point_decimal_is_found_and_names_and_german_groups_are_not():
    assert point_decimals("accuracy 72.7 % (F1 0,5)", "fr") == ["72.7"]
    assert point_decimals("lr 1.5e-3, 0,001", "de") == ["1.5e-3"]
    assert point_decimals("12.000 examples", "de") == [] and point_decimals("12.000", "fr") == ["12.000"]
    assert point_decimals("runs/2026-12-07/best.safetensors optim.lr 0.1.0 2026-12-07 13:54", "de") == []
    assert point_decimals("Help: at most 0.08. Now 0.5", "fr", ("at most 0.08.",)) == ["0.5"]


@pytest.fixture(scope="module")
def written_numbers() -> tuple[str, ...]:
    """The messages of the catalog with a number written in them."""
    messages = (m.id if isinstance(m.id, str) else m.id[0] for m in vt.catalogs().extract() if m.id)
    return tuple(m for m in messages if POINT_DECIMAL.search(m))


@pytest.fixture
def language_window(request, qapp):
    """A window built in request.param's language (its catalog if shipped, else English
    words: the numbers are what is checked), 1280 x 720."""
    from gui.window import language

    assert QLocale().decimalPoint() == "."  # (the process's default before: the test changes it)
    code = language.install(qapp, request.param)
    window = request.getfixturevalue("window")
    window.resize(1280, 720)
    return code, window


@pytest.mark.parametrize("language_window", ["de", "fr"], indirect=True)
def test_every_number_shown_has_the_languages_decimal_comma_and_typed_ones_are_taken(qtbot, language_window,
                                                                                      written_numbers):
    code, window = language_window
    assert QLocale().decimalPoint() == ",", (code, QLocale().name())
    assert i18n.number(0.5, 1) == "0,5"
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT):
        window.actions["validate"].trigger()

    shown: list[vt.Shown] = []
    for _view in vt.each_view(qtbot, window):
        window.plots.refresh()
        shown += vt.window_texts(window)
        shown.append(vt.Shown("status bar", "status line", window.status_label.text()))
        for plot in vt.plot_views(window):
            shown += vt.tick_texts(plot)
    written = tuple({text for m in written_numbers for text in (m, i18n._(m))})
    wrong = sorted({f"{s} -> {found}" for s in shown if (found := point_decimals(s.text, code, written))})
    assert not wrong, f"{len(wrong)} texts show a number with a decimal point in {code}:\n" + "\n".join(wrong)
    decimal_comma = re.compile(r"\d,\d")  # what is looked at holds numbers with decimals, and ticks
    assert any(s.kind.startswith("tick") and decimal_comma.search(s.text) for s in shown)
    assert any(s.kind in ("cell", "label", "status line") and decimal_comma.search(s.text) for s in shown)

    panel = window.settings_panel
    field = panel.widgets["data.label_noise"]
    vt.reveal(field)  # the settings dock in front of the Runs dock
    window.activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    field.lineEdit().selectAll()
    QTest.keyClicks(field, "0,5")
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert panel.config().data.label_noise == 0.5
    assert field.lineEdit().text() == "0,5"
