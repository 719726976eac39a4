"""Imports the training engine (and with it torch, ~2 s) on a background thread, so the
window can appear and stay responsive meanwhile."""

from __future__ import annotations

import importlib
import threading

_done = threading.Event()
_error: list[BaseException] = []
_thread: threading.Thread | None = None


def _load() -> None:
    try:
        importlib.import_module("engine.trainer")
    except BaseException as exc:  # reported by wait(); the window says what broke
        _error.append(exc)
    finally:
        _done.set()


def start() -> None:
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_load, name="engine-import", daemon=True)
        _thread.start()


def wait() -> None:
    """Block until the engine is imported; re-raise what went wrong, if anything."""
    start()
    _done.wait()
    if _error:
        raise _error[0]
