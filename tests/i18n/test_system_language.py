"""The first default follows the system's preferred languages, but Traditional Chinese (Taiwan,
Hong Kong, Macau, zh-Hant) is never served the Simplified catalog: English instead, and an
explicit --language zh_TW is refused naming the shipped languages."""

from __future__ import annotations

import pytest

from engine.core import i18n


@pytest.mark.parametrize("system", ["zh_TW.UTF-8", "zh-TW", "zh_HK", "zh-Hant-TW", "zh_Hant", "zh-MO", "zh-Hant-HK"])
def test_a_traditional_chinese_system_opens_in_english(system):
    assert i18n.from_system([system]) == i18n.ENGLISH
    assert i18n.from_system([system, "de-DE"]) == "de"  # the next preferred language that ships


@pytest.mark.parametrize("system", ["zh_CN.UTF-8", "zh-Hans-CN", "zh_SG", "zh", "zh-Hans"])
def test_a_simplified_chinese_system_speaks_simplified_chinese(system):
    assert i18n.from_system([system]) == "zh_CN"


def test_asking_for_traditional_chinese_names_the_shipped_languages():
    with pytest.raises(i18n.UnknownLanguage) as refused:
        i18n.set_language("zh_TW")
    assert "zh_TW" in str(refused.value) and "zh_CN (简体中文)" in str(refused.value)
    assert i18n.language() == i18n.ENGLISH
