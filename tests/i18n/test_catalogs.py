"""The shipped catalogs: each language translates at least 98 % of what the source marks
today, no translation has other fields than its source, plural forms are the language's,
and a bad or damaged catalog falls back to English with a warning instead of a crash."""

from __future__ import annotations

import logging

import catalogs
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural

from engine.core import i18n

SHIPPED = [code for code in i18n.LANGUAGES if code != i18n.ENGLISH]
THRESHOLD = 98.0


@pytest.fixture(scope="module")
def source_messages():
    """What the code and the shipped data mark now (not the .pot on disk, which may be old)."""
    return {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalogs.extract() if m.id}


@pytest.mark.parametrize("code", SHIPPED)
def test_each_language_translates_at_least_98_percent_of_the_catalog(code, source_messages):
    path = catalogs.po_path(code)
    assert path.is_file(), f"{code}: no catalog at {path}"
    catalog = catalogs.read(path, code)
    translated = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalog
                  if catalogs._is_translated(m)}
    missing = sorted(source_messages - translated, key=str)
    share = 100 * (len(source_messages) - len(missing)) / len(source_messages)
    assert share >= THRESHOLD, (f"{code}: {share:.1f} % of {len(source_messages)} messages translated "
                                f"(needs {THRESHOLD} %; run `make catalogs-update` and translate). "
                                f"Missing, e.g.: {missing[:15]}")


@pytest.mark.parametrize("code", SHIPPED)
def test_no_translation_has_other_fields_than_its_source(code):
    problems = catalogs.problems(catalogs.read(catalogs.po_path(code), code))
    assert not problems, f"{code}:\n" + "\n".join(problems[:30])


@pytest.mark.parametrize("code", SHIPPED)
def test_plural_forms_are_the_languages(code):
    catalog = catalogs.read(catalogs.po_path(code), code)
    expected = get_plural(code)
    assert catalog.num_plurals == expected.num_plurals, f"{code}: {catalog.plural_forms}"
    for message in catalog:
        if message.pluralizable and catalogs._is_translated(message):
            assert len(message.string) == expected.num_plurals, (code, message.id)


def test_the_check_catches_a_translation_whose_fields_differ():
    catalog = Catalog(locale="de")
    catalog.add("Trained {done} of {total} epochs", "{fertig} von {total} Epochen trainiert")
    catalog.add(("{count} run", "{count} runs"), ("ein Lauf", "{count} Läufe"))
    catalog.add("Stop", "Stopp")
    problems = catalogs.problems(catalog)
    assert len(problems) == 1 and "fertig" in problems[0], problems


def _compiled(folder, code, pairs):
    catalog = Catalog(locale="de")
    for source, translated in pairs:
        catalog.add(source, translated)
    target = folder / code / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "overfit_lab.mo", "wb") as fp:
        write_mo(fp, catalog)


def test_a_translation_with_other_fields_falls_back_to_english_at_run_time(tmp_path, monkeypatch, caplog):
    _compiled(tmp_path, "de", [("Trained {done} epochs", "{fertig} Epochen trainiert"), ("Stop", "Stopp")])
    monkeypatch.setattr(i18n, "locale_dirs", lambda: [tmp_path])
    with caplog.at_level(logging.WARNING):
        assert i18n.set_language("de") == "de"
    assert i18n._("Stop") == "Stopp"
    assert i18n._("Trained {done} epochs").format(done=3) == "Trained 3 epochs"
    assert any("fertig" in r.getMessage() for r in caplog.records)


def test_a_damaged_catalog_falls_back_to_english_with_a_logged_warning(tmp_path, monkeypatch, caplog):
    target = tmp_path / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "overfit_lab.mo").write_bytes(b"\x00not a catalog at all")
    monkeypatch.setattr(i18n, "locale_dirs", lambda: [tmp_path])
    with caplog.at_level(logging.WARNING):
        assert i18n.set_language("de") == i18n.ENGLISH
    assert i18n._("Stop") == "Stop"
    assert any("de catalog could not be read" in r.getMessage() for r in caplog.records)


def test_a_language_no_catalog_speaks_is_refused_naming_the_shipped_ones():
    with pytest.raises(i18n.UnknownLanguage) as refused:
        i18n.set_language("tlh")
    for code in SHIPPED:
        assert code in str(refused.value)
    assert "tlh" in str(refused.value)


def test_every_shipped_catalog_compiles(tmp_path):
    for code in SHIPPED:
        catalog = catalogs.read(catalogs.po_path(code), code)
        with open(tmp_path / f"{code}.mo", "wb") as fp:
            write_mo(fp, catalog)
        assert (tmp_path / f"{code}.mo").stat().st_size > 1000


def test_a_plural_form_may_use_the_fields_of_the_plural_source_at_run_time(tmp_path, monkeypatch, caplog):
    """A compiled catalog keys a plural by its singular only: {count}, which only the plural
    source has, is still a field the call fills; a field neither source has is not."""
    catalog = Catalog(locale="zh_CN")
    catalog.add(("one run", "{count} runs"), ("{count} 次运行",))
    catalog.add(("one file", "{count} files"), ("{bogus} 个文件",))
    target = tmp_path / "zh_CN" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "overfit_lab.mo", "wb") as fp:
        write_mo(fp, catalog)
    monkeypatch.setattr(i18n, "locale_dirs", lambda: [tmp_path])
    problems = catalogs.problems(catalog)  # the catalog check, which knows both sources, agrees
    assert len(problems) == 1 and "bogus" in problems[0], problems
    with caplog.at_level(logging.WARNING):
        assert i18n.set_language("zh_CN") == "zh_CN"
    assert i18n.n_("one run", "{count} runs", 5).format(count=5) == "5 次运行"
    assert i18n.n_("one file", "{count} files", 5).format(count=5) == "5 files"
    warned = [r.getMessage() for r in caplog.records]
    assert any("bogus" in w for w in warned) and not any("one run" in w for w in warned), warned
