"""File ▸ Open settings… / Save settings as…: the settings panel to and from TOML or JSON."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Slot
from PySide6.QtWidgets import QFileDialog

from engine.core.config import Config, ConfigError
from engine.core.i18n import _
from gui import dialogs

log = logging.getLogger("overfit_lab")


def documents() -> str:
    """The user's documents folder (not the folder the app was started from)."""
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())


class SettingsFiles(QObject):
    def __init__(self, window, panel, say):
        super().__init__(window)
        self.window, self.panel, self.say = window, panel, say
        self.dialog = None  # the last refusal shown

    @Slot()
    def open(self) -> None:
        path, _kind = QFileDialog.getOpenFileName(self.window, _("Open settings"), documents(),
                                                  _("Settings") + " (*.toml *.json)")
        if path:
            self.load(path, ask=True)

    def load(self, path: str, ask: bool = False) -> bool:
        """Put the file's settings in the panel; `ask`: first ask before discarding settings
        the user changed on screen (File ▸ Open settings…)."""
        try:
            config = self.panel.lesson.refuse(Config.load(path))  # not a setting an open lesson locks
        except ConfigError as exc:
            return self._failed(f"{path}: {exc}")
        if ask and not self.panel.may_replace(_("Opening {file}").format(file=Path(path).name)):
            self.say(_("{path} not opened: the settings on screen are kept").format(path=path))
            return False
        self.panel.set_config(config, None)
        self.say(_("settings from {path}").format(path=path))
        return True

    @Slot()
    def save_as(self) -> None:
        path, _kind = QFileDialog.getSaveFileName(self.window, _("Save settings as"),
                                                  str(Path(documents()) / "overfit-lab.toml"),
                                                  _("Settings") + " (*.toml *.json)")
        if path:
            self.save(path)

    def save(self, path: str) -> bool:
        try:
            self.panel.config().save(path)
        except (ConfigError, OSError) as exc:
            return self._failed(f"{path}: {exc}")
        self.say(_("settings saved to {path}").format(path=path))
        return True

    def _failed(self, text: str) -> bool:
        """Said in a dialog (the status line alone was missed), naming the file and the
        field; the settings on screen are unchanged."""
        log.warning("settings: %s", text)
        self.say(text)
        self.dialog = dialogs.cannot(self.window, _("Cannot use this settings file"),
                                     text + "\n\n" + _("The settings on screen are unchanged."))
        return False
