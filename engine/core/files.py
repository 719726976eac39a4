"""Writing files so that a crash never leaves half of one, and where shipped files live.

The lowest layer of the engine: it imports nothing of ours.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any


def resources_dir() -> Path:
    """The folder of everything that ships and is not code: data, presets, icons."""
    return Path(__file__).resolve().parents[2] / "resources"


def command_line_of_this_app() -> list[str]:
    """How to start this installation's command line in a child process: the bundle's own
    executable when frozen (it has no main.py), else this Python with main.py."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, str(Path(__file__).resolve().parents[2] / "main.py")]


def command_hint() -> str:
    """How a user types this installation's command line, for the hints it prints: the
    bundle's executable, the installed `overfit-lab-cli` script (pip, the install kits), or
    `python main.py` in a checkout."""
    if getattr(sys, "frozen", False):
        exe = sys.executable
        return f'"{exe}"' if " " in exe else exe
    if "site-packages" in Path(__file__).resolve().parts:
        return "overfit-lab-cli"
    return "python main.py"


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write via a temp file in the same folder, fsync, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def jsonable(value):
    """json.dumps's `default`: tuples as lists, paths as text."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def atomic_write_json(path: str | Path, data: Any) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=2, default=jsonable) + "\n")
