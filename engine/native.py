"""Loads torch's C++ library ahead of `import torch`, on a background thread.

About 0.4 s of `import torch` is the dynamic loader mapping and relocating libtorch and the
libraries it links, and running their static initializers (which register thousands of
operators). That is plain C: done through the C library's `dlopen`, called as a foreign
function (ctypes releases the GIL for the call), it runs on another core while Python
code runs on this one, and the later `import torch` finds the library loaded. Nothing here
imports torch or changes how it loads; if anything fails, the import does the work itself.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import threading
from pathlib import Path

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


def preload_in_background() -> threading.Thread | None:
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
