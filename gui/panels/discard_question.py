"""Asking before settings the user changed are replaced (a preset picked over them, a
settings file opened): Discard / Cancel, with the changed settings listed."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from engine.core.i18n import _, integer, n_, number

SHOWN = 12  # changes listed in the question; the rest are counted


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        # i18n: a setting's value that is a list of examples (a cleaned twin's), by its length
        return n_("{count} example", "{count} examples", len(value)).format(count=integer(len(value))) if value \
            else _("none")
    if isinstance(value, dict):
        # i18n: a setting's value that is a table of values: set, or none
        return _("set") if value else _("none")
    if isinstance(value, float):
        return number(value)
    return str(value) if value != "" else _("(empty)")


def changed_settings(before: dict, now: dict) -> list[str]:
    """'key: old → new' for each setting whose value differs."""
    return [f"{key}: {_short(before.get(key))} → {_short(value)}" for key, value in now.items()
            if value != before.get(key)]


def ask_discard(parent, what: str, action: str, changes: list[str]) -> bool:
    """True when the user chose Discard; Cancel (the default) or Escape keep the settings."""
    # i18n: {what} names the settings: "the settings", "the “overfit” settings"
    question = _("Discard your changes to {what}?").format(what=what)
    box = QMessageBox(QMessageBox.Icon.Question, _("Discard changes?"), question, parent=parent)
    box.setObjectName("discard_question")
    listed = "\n".join(changes[:SHOWN])
    if len(changes) > SHOWN:
        more = len(changes) - SHOWN
        listed += "\n" + n_("… and {count} more", "… and {count} more", more).format(count=integer(more))
    # i18n: {action}: "Opening settings.toml", "Switching to the preset “overfit”"…; {listed}: one change a line
    box.setInformativeText(_("{action} replaces the settings you changed:\n{listed}").format(action=action, listed=listed))
    discard = box.addButton(_("Discard"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is discard
