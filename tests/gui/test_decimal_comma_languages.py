"""Numbers in the window's language: Spanish, French, German and Brazilian Portuguese write a
decimal comma (as the docs say), Chinese and English a point."""

from __future__ import annotations

import pytest

from engine.core import i18n
from gui.window import language


@pytest.mark.parametrize(("code", "comma"), [("es", True), ("fr", True), ("de", True), ("pt_BR", True),
                                              ("zh_CN", False), ("en", False)])
def test_each_language_writes_its_decimal_separator(qapp, code, comma):
    assert language.install(qapp, code) == code
    assert i18n.number(0.5, 1) == ("0,5" if comma else "0.5")
    assert i18n.number(1234.75, 2).endswith(",75" if comma else ".75")
