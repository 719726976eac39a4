"""Imports the training engine (and with it torch, ~2 s) on a background thread, so the
window can appear and stay responsive meanwhile; then warms it up (what a first run
would import lazily), while Start is already enabled."""

from __future__ import annotations

import importlib
import threading

_done = threading.Event()
_warm = threading.Event()
_error: list[BaseException] = []
_thread: threading.Thread | None = None


def _load() -> None:
    try:
        trainer = importlib.import_module("engine.trainer")
    except BaseException as exc:  # reported by wait(); the window says what broke
        _error.append(exc)
        _done.set()
        _warm.set()
        return
    _done.set()
    try:
        trainer.warm_up()
    except Exception:  # only an optimization: the first run imports what it needs itself
        pass
    finally:
        _warm.set()


def start() -> None:
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_load, name="engine-import", daemon=True)
        _thread.start()


def wait_warm() -> None:
    """Block until the warm-up after the import has ended (successfully or not)."""
    start()
    _warm.wait()


def wait() -> None:
    """Block until the engine is imported; re-raise what went wrong, if anything."""
    start()
    _done.wait()
    if _error:
        raise _error[0]
