"""The quick version of PySide6's per-import check gives PySide6's own answers."""

from __future__ import annotations

import importlib.util
import sys

from gui import pyside_imports


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pyside_check():
    return sys.modules[pyside_imports.FEATURE_MODULE]._mod_uses_pyside


def test_the_window_package_installs_the_quick_check():
    import gui  # noqa: F401

    quick = pyside_check()
    assert quick.original.__module__ == pyside_imports.FEATURE_MODULE
    assert pyside_imports.quicken()  # a second call keeps it, not wrapping it twice
    assert pyside_check() is quick


def test_quick_check_reads_the_source_file(tmp_path):
    calls = []
    check = pyside_imports.quick_check(lambda module: calls.append(module) or "fallback")
    (tmp_path / "uses.py").write_text("from PySide6.QtCore import QObject\n", encoding="utf-8")
    (tmp_path / "plain.py").write_text("# utf-8: é\nimport json\n", encoding="utf-8")
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\n# \xe9 PySide6\n")
    assert check(load(tmp_path / "uses.py", "uses_pyside")) is True
    assert check(load(tmp_path / "plain.py", "plain_module")) is False
    assert check(load(tmp_path / "latin.py", "latin_module")) is True
    assert calls == []
    # no .py file: PySide6's own check decides
    assert check(sys) == "fallback" and calls == [sys]
    gone = load(tmp_path / "plain.py", "gone_module")
    (tmp_path / "plain.py").unlink()
    assert check(gone) == "fallback" and calls[-1] is gone


def test_same_answers_as_pyside_for_the_modules_the_window_loads():
    import gui.main_window  # noqa: F401  (pyqtgraph, numpy, our panels)

    quick = pyside_check()
    original = quick.original
    compared = uses = 0
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not (isinstance(path, str) and path.endswith(".py")):
            continue
        try:
            expected = original(module)
        except Exception:  # some odd module objects make inspect itself fail
            continue
        assert quick(module) == expected, module.__name__
        compared += 1
        uses += expected
    assert compared > 300 and uses >= 5  # pyqtgraph's Qt modules and our panels use PySide6
