"""View ▸ Language: the languages this installation speaks, each named in its own language.
The choice is kept for the next launches and takes effect at the next start (every text of
the window is built once, in its language); Restart now starts it again at once."""

from __future__ import annotations

import logging
from functools import partial

from PySide6.QtCore import QObject, QProcess, QTimer
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMessageBox

from engine.core import i18n
from engine.core.i18n import N_, _
from engine.core.lesson_figures import lesson_text
from gui.window import language

log = logging.getLogger(__name__)


class LanguageMenu(QObject):
    """The View menu's Language submenu, for `window` (a MainWindow)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.speakable = i18n.available()
        self.spoken = i18n.language()
        self.group: QActionGroup | None = None
        QTimer.singleShot(0, self._group_actions)  # once the menu's actions exist

    def menu_entries(self) -> list:
        """A separator and the Language submenu: (text, [entries]); each entry checkable."""
        return [None, (N_("Language"), [(name, partial(self.choose, code), None, code == self.spoken)
                                         for code, name in self.speakable.items()])]

    def actions(self) -> dict:
        found = getattr(self.window, "menu_actions", {}) or {}
        return {code: found[name] for code, name in self.speakable.items() if name in found}

    def _group_actions(self) -> None:
        if self.group is not None:
            return
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        for action in self.actions().values():
            self.group.addAction(action)

    def choose(self, code: str) -> None:
        """Keep `code` for the next launches and offer to restart now."""
        self._group_actions()
        language.store(code)
        log.info("language %s chosen (speaking %s until the next start)", code, self.spoken)
        if code == self.spoken:
            self.window.status.say(_("The window already speaks {language}.").format(language=self.speakable[code]))
            return
        box = QMessageBox(QMessageBox.Icon.Information, _("Language"),
                          _("Overfit Lab will speak {language} from its next start.").format(
                              language=self.speakable[code]), QMessageBox.StandardButton.NoButton, self.window)
        box.setObjectName("language_restart_question")
        lesson = self.window.lessons.lesson
        said = [_("Every text of the window is made in its language when it starts. Restart now? "
                  "A run that is training is stopped first, as when the window is closed.")]
        if lesson is not None:
            said.append(_("The lesson “{title}” starts again at its first step.").format(
                title=lesson_text(lesson.title)))
        box.setInformativeText("\n\n".join(said))
        now = box.addButton(_("Restart now"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(_("Later"), QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is now and self.restart(lesson.path if lesson is not None else None):
            return
        self.window.status.say(_("The window will speak {language} from its next start.").format(
            language=self.speakable[code]))

    def restart(self, lesson=None) -> bool:
        """Close the window as its close button would (a live run is asked about and stopped
        first; the window may close only once the engine thread has ended); gui.app.start
        starts this installation again once the event loop is over, with the window's own
        arguments and `lesson` (language.restart_command). False: the user kept the window."""
        window = self.window
        window.restart_command = language.restart_command(getattr(window, "launch_arguments", None), lesson)
        window.close()
        if window.isVisible() and not window.closer.closing:  # the user kept the window and its run
            window.restart_command = None
            return False
        return True


def restart_if_asked(window) -> bool:
    """After the event loop: start again if Restart now closed the window."""
    command = getattr(window, "restart_command", None)
    if not command or window.isVisible():
        return False
    started, _pid = QProcess.startDetached(command[0], command[1:])
    if not started:
        log.error("could not start %s again", command)
    return bool(started)
