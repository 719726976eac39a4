"""Overfit Lab window."""

from gui import pyside_imports

# First, before the rest of the window and the engine are imported: PySide6 checks every
# later import, and the quick check saved ~0.16 s before Start is enabled.
pyside_imports.quicken()
