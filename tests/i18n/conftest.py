from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging" / "i18n"))


@pytest.fixture(autouse=True)
def english_afterwards():
    """A test that sets a language leaves the next one in English (the process default)."""
    yield
    from engine.core import i18n

    i18n.set_language(i18n.ENGLISH)
    i18n.set_number_formatter(None)
