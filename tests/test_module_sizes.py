"""The layout's rule of size: no module of the app over 400 lines (a module that grows past
it has more than one reason to change: split it by what it is about)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 400


def test_no_module_of_the_engine_or_the_window_is_over_400_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for package in ("engine", "gui") for p in (ROOT / package).rglob("*.py")}
    assert len(sizes) > 50  # the packages were found
    assert {name: n for name, n in sizes.items() if n > LIMIT} == {}


def test_no_module_of_the_logger_is_over_400_lines():
    """The logger (packaging/logger/src, a distribution of its own) keeps the same rule."""
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "packaging" / "logger" / "src").rglob("*.py")}
    assert len(sizes) > 10  # the package was found
    assert {name: n for name, n in sizes.items() if n > LIMIT} == {}
