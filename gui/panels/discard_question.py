"""Asking before settings the user changed are replaced (a preset picked over them, a
settings file opened): Discard / Cancel, with the changed settings listed."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

SHOWN = 12  # changes listed in the question; the rest are counted


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        return f"{len(value):,} examples" if value else "none"
    if isinstance(value, dict):
        return "set" if value else "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "(empty)"


def changed_settings(before: dict, now: dict) -> list[str]:
    """'key: old → new' for each setting whose value differs."""
    return [f"{key}: {_short(before.get(key))} → {_short(value)}" for key, value in now.items()
            if value != before.get(key)]


def ask_discard(parent, what: str, action: str, changes: list[str]) -> bool:
    """True when the user chose Discard; Cancel (the default) or Escape keep the settings."""
    box = QMessageBox(QMessageBox.Icon.Question, "Discard changes?", f"Discard your changes to {what}?",
                      parent=parent)
    box.setObjectName("discard_question")
    listed = "\n".join(changes[:SHOWN]) + (f"\n… and {len(changes) - SHOWN} more" if len(changes) > SHOWN else "")
    box.setInformativeText(f"{action} replaces the settings you changed:\n{listed}")
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is discard
