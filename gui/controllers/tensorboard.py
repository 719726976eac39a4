"""File ▸ Open TensorBoard folder…: event files become run folders (stub, filled in next)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot


class TensorBoardFolders(QObject):
    def __init__(self, window, *, runs_dir, runs_dock, say):
        super().__init__(window)
        self.window, self.runs_dir, self.runs_dock, self.say = window, runs_dir, runs_dock, say

    @Slot()
    def open(self, path=None) -> None:
        self.say("Open TensorBoard folder: not yet")
