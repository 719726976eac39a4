"""The start-up tricks of gui.startup: PySide6's quick import check gives PySide6's own
answers, and libtorch can be loaded ahead of `import torch`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gui import startup

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="libtorch.so is Linux's")


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pyside_check():
    return sys.modules[startup.FEATURE_MODULE]._mod_uses_pyside


def test_importing_the_window_installs_nothing_and_the_app_installs_it_explicitly():
    code = textwrap.dedent("""
        import sys
        import gui.main_window
        feature = sys.modules["shibokensupport.feature"]
        print(hasattr(feature._mod_uses_pyside, "original"))
        from gui import startup
        print(startup.quicken_pyside_imports())
        quick = feature._mod_uses_pyside
        print(hasattr(quick, "original"), startup.quicken_pyside_imports(), feature._mod_uses_pyside is quick)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    # Not installed by the import; installed once by the call (a second call keeps it).
    assert out.stdout.split() == ["False", "True", "True", "True", "True"]


def test_quick_check_reads_the_source_file(tmp_path):
    calls = []
    check = startup.quick_check(lambda module: calls.append(module) or "fallback")
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

    startup.quicken_pyside_imports()
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


@linux_only
def test_finds_libtorch_inside_the_installed_torch_package():
    path = startup.torch_library()
    torch_dir = Path(importlib.util.find_spec("torch").submodule_search_locations[0])
    assert path == torch_dir / "lib" / "libtorch.so" and path.is_file()


@linux_only
def test_preload_maps_libtorch_without_importing_torch_and_torch_then_imports():
    # A fresh interpreter: this one has long imported torch.
    code = textwrap.dedent("""
        import sys
        from gui import startup
        thread = startup.preload_libtorch()
        assert startup.preload_libtorch() is thread  # once
        thread.join(60)
        maps = open("/proc/self/maps").read()
        print("torch" in sys.modules, "/libtorch.so" in maps, "/libtorch_cpu.so" in maps)
        import torch
        print(float(torch.ones(3).sum()))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True", "3.0"]


def test_nothing_to_preload_without_torch(monkeypatch):
    monkeypatch.setattr(startup, "_thread", None)
    monkeypatch.setattr(startup.importlib.util, "find_spec", lambda name: None)
    assert startup.torch_library() is None
    assert startup.preload_libtorch() is None
    assert startup._thread is None  # no thread was started


@linux_only
def test_a_library_that_fails_to_load_is_left_to_torchs_import(tmp_path):
    broken = tmp_path / "libtorch.so"
    broken.write_bytes(b"not an ELF file")
    startup._load(broken)  # no exception: `import torch` reports a broken install
    assert str(broken) not in Path("/proc/self/maps").read_text()
