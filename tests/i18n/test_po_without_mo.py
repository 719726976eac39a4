"""A checkout that skipped `make catalogs` reads the .po directly (compiled in memory, polib),
and so does one whose .mo is older than its .po; a fuzzy entry (a guess a translator has not
confirmed) is not used: its message stays English."""

from __future__ import annotations

import os
import shutil

import polib

from engine.core import i18n


def _shipped_po_in(folder, fuzzy: str | None = None):
    target = folder / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    catalog = polib.pofile(str(i18n.resources_dir() / "locale" / "de" / "LC_MESSAGES" / "overfit_lab.po"))
    if fuzzy is not None:
        catalog.find(fuzzy).flags.append("fuzzy")
    catalog.save(str(target / "overfit_lab.po"))
    return target


def test_a_catalog_without_its_mo_is_read_from_the_po_and_fuzzy_entries_stay_english(tmp_path, monkeypatch):
    target = _shipped_po_in(tmp_path, fuzzy="Later")
    assert not (target / "overfit_lab.mo").exists()
    monkeypatch.setattr(i18n, "locale_dirs", lambda: [tmp_path])
    assert "de" in i18n.available()
    assert i18n.set_language("de") == "de"
    assert i18n._("Stop") == "Stopp"
    assert i18n._("Later") == "Later"  # fuzzy: not confirmed, not used


def test_a_po_newer_than_its_mo_is_the_one_read(tmp_path, monkeypatch):
    target = _shipped_po_in(tmp_path)
    old = polib.pofile(str(target / "overfit_lab.po"))
    old.find("Stop").msgstr = "Halt"
    old.save_as_mofile(str(target / "overfit_lab.mo"))  # compiled before the .po was edited
    os.utime(target / "overfit_lab.mo", (1_000_000, 1_000_000))
    monkeypatch.setattr(i18n, "locale_dirs", lambda: [tmp_path])
    assert i18n.set_language("de") == "de"
    assert i18n._("Stop") == "Stopp"
    shutil.copystat(target / "overfit_lab.po", target / "overfit_lab.mo")  # as new as the .po: the .mo is read
    assert i18n.set_language("de") == "de" and i18n._("Stop") == "Halt"
