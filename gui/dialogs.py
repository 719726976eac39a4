"""The window's message boxes: a failed run, where files are, about.

The boxes that report something are window-modal and opened with `open()`, not `exec()`:
the call returns at once, so the engine thread and the event loop go on while the box
waits; only the window's own input waits for the box to be closed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from engine.core import events as ev
from engine.core.i18n import _


def run_failed(parent, result: ev.RunFinished) -> QMessageBox:
    """A window-modal box, returning at once, saying why the run failed or diverged."""
    box = QMessageBox(parent)
    if result.bad_input:
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_("Cannot train with these settings"))
    elif result.reason == ev.FAILED:
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(_("Training failed"))
    else:
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_("Training diverged"))
    box.setText(result.message)
    if result.traceback:
        box.setDetailedText(result.traceback)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def evaluation_failed(parent, message: str) -> QMessageBox:
    """Why an evaluation could not be made (a folder that is not a run, weights that do not
    fit, ...); nothing in the folder was changed."""
    box = QMessageBox(QMessageBox.Icon.Warning, _("Cannot evaluate"),
                      message + "\n\n" + _("Nothing in the run folder was changed."), parent=parent)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def where_are_my_files(parent, runs_dir, log_path, settings_file: str) -> QMessageBox:
    text = "\n\n".join([_("Run folders (config, metrics, weights, summary):\n{folder}").format(folder=runs_dir),
                         _("Log file (errors and crashes):\n{path}").format(path=log_path),
                         # i18n: {path} is the window's settings file
                         _("Settings: {path}").format(path=settings_file)])
    box = QMessageBox(QMessageBox.Icon.Information, _("Where are my runs and logs?"), text, parent=parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


def about(parent) -> None:
    from engine import __version__

    name = f"Overfit Lab {__version__}"  # the product's name and its version: not translated
    QMessageBox.about(parent, _("About Overfit Lab"), "\n".join([
        name,
        _("See why deep networks overfit and how regularization fixes it."),
        _("Fashion-MNIST © 2017 Zalando SE, MIT licence.")]))


def confirm(parent, title: str, text: str, yes: str | None = None) -> bool:
    """A yes / no question; the one place tests answer for the user. Texts as shown
    (translated by the caller); `yes`: the accepting button's text, "OK" unless told."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    ok = box.addButton(_("OK") if yes is None else yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(ok)
    box.exec()
    return box.clickedButton() is ok


def cannot(parent, title: str, text: str) -> QMessageBox:
    """Why a request could not be done (nothing was changed); window-modal, returning at once.
    Texts as shown (translated by the caller)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box
