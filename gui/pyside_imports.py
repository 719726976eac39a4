"""Makes PySide6's check of every later import cheap.

Once PySide6.QtCore is imported, PySide6 watches every module imported afterwards, to
support its opt-in `from __feature__ import snake_case, true_property`: for each new
module, `shibokensupport.feature._mod_uses_pyside(module)` asks whether its source text
contains "PySide6", through `inspect.getsource` (linecache, tokenize, a joined copy of
the text). The window imports pyqtgraph and numpy after PySide6 (~380 modules) and then
torch (~720): those checks took 0.19-0.23 s of the ~3 s before Start is enabled, on the
GUI's critical path.

`quicken()` swaps in the same test done on the file's bytes: for a module loaded from a
.py file, whether b"PySide6" occurs in it (the same answer for every source encoding
Python accepts, which all keep ASCII as ASCII); anything else goes to PySide6's own
check. Same answers, ~4x quicker (compared over the 2,510 modules of a window that has
trained: no difference). If a PySide6 release drops or renames the function, nothing is
changed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
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


def quicken() -> bool:
    """Install the quick check (once); True when it is in place."""
    import PySide6.QtCore  # noqa: F401  (creates the feature module and its import hook)

    feature = sys.modules.get(FEATURE_MODULE)
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        return False
    if not hasattr(original, "original"):
        feature._mod_uses_pyside = quick_check(original)
    return True
