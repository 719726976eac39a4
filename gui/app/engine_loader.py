"""Imports the training engine (and with it torch, ~2 s) on a background thread, so the
window can appear and stay responsive meanwhile; then warms it up (what a first run
would import lazily), while Start is already enabled."""

from __future__ import annotations

import importlib
import threading

from PySide6.QtCore import QObject, Signal


class EngineLoader(QObject):
    """`loaded` once the engine can train, `warmed` once the warm-up has ended, `failed`
    with a message when the engine cannot be imported (a broken installation)."""

    loaded = Signal()
    failed = Signal(str)
    warmed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, name="engine-import", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            importlib.import_module("engine.experiments.experiment")  # and with it the trainer, torch
            runtime = importlib.import_module("engine.core.runtime")
        except BaseException as exc:  # the window says what broke
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.loaded.emit()
        try:
            runtime.warm_up()
        except Exception:  # only an optimization: the first run imports what it needs itself
            pass
        self.warmed.emit()
