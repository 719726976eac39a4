"""Start-up tricks that make the window usable sooner, each kept because a paired
measurement showed it still pays (benchmarks/startup_tricks.py; figures in the README).
Nothing here is a side effect of an import: `gui.app.main` installs each one explicitly.

1. PySide6's check of every later import, made cheap (`quicken_pyside_imports`).
   Once PySide6.QtCore is imported, PySide6 watches every module imported afterwards, to
   support its opt-in `from __feature__ import snake_case, true_property`: for each new
   module, `shibokensupport.feature._mod_uses_pyside(module)` asks whether its source text
   contains "PySide6", through `inspect.getsource`. The window imports pyqtgraph and numpy
   after PySide6 (~380 modules) and then torch (~720). The quick check does the same test
   on the .py file's bytes (the same answer for every source encoding Python accepts, which
   all keep ASCII as ASCII); anything else goes to PySide6's own check. If a PySide6
   release drops or renames the function, nothing is changed.

2. libtorch loaded on the other core while the window is built (`preload_libtorch`).
   About 0.4 s of `import torch` is the dynamic loader mapping and relocating libtorch and
   the libraries it links, and running their static initializers. That is plain C: done
   through the C library's `dlopen`, called as a foreign function (ctypes releases the GIL
   for the call), it runs beside the window's construction, and the later `import torch`
   finds the library loaded. If anything fails, the import does the work itself.

   It needs `start_animation_clock` first: the first Qt animation in a thread creates a
   per-thread timer whose thread-exit destructor registration takes the dynamic loader's
   lock, which the loading thread holds until libtorch is loaded; the window's first
   show() (it starts a widget animation) waited up to 0.35 s for it.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

FEATURE_MODULE = "shibokensupport.feature"


def quick_check(fallback: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    """PySide6's "does this module use PySide6?" test, on the raw bytes of its .py file."""

    def _mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass  # no file at that path (e.g. a frozen build): PySide6's own way
        return fallback(module)

    _mod_uses_pyside.original = fallback  # type: ignore[attr-defined]
    return _mod_uses_pyside


def quicken_pyside_imports() -> bool:
    """Install the quick check (once); True when it is in place."""
    import PySide6.QtCore  # noqa: F401  (creates the feature module and its import hook)

    feature = sys.modules.get(FEATURE_MODULE)
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        return False
    if not hasattr(original, "original"):
        feature._mod_uses_pyside = quick_check(original)
    return True


# ---- libtorch, loaded ahead ----------------------------------------------------------

LIBRARY = "libtorch.so"  # Linux; elsewhere torch's own import does all the work

_thread: threading.Thread | None = None


def torch_library() -> Path | None:
    """Where torch's libtorch.so is, found without importing torch (None when absent)."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "lib" / LIBRARY
        if path.is_file():
            return path
    return None


def _load(path: Path) -> None:
    # ctypes.CDLL(path) would hold the GIL for the whole load; a foreign call releases it.
    # RTLD_LOCAL, as torch loads it. A failure is left for torch's import to report.
    try:
        dlopen = ctypes.CDLL(None).dlopen
    except (OSError, AttributeError):
        return
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL)


def preload_libtorch() -> threading.Thread | None:
    """Start loading libtorch on a daemon thread (once); returns the thread, or None when
    there is nothing to load ahead (torch absent, or not a Linux build)."""
    global _thread
    if _thread is None:
        path = torch_library()
        if path is None:
            return None
        _thread = threading.Thread(target=_load, args=(path,), name="torch-preload", daemon=True)
        _thread.start()
    return _thread


def start_animation_clock() -> None:
    """Run one (1 ms) animation now, before libtorch starts loading on another thread (see
    the module's docstring)."""
    from PySide6.QtCore import QVariantAnimation

    animation = QVariantAnimation()
    animation.setStartValue(0.0)
    animation.setEndValue(1.0)
    animation.setDuration(1)
    animation.start()
    animation.stop()
