"""A lesson's hold on the settings panel: the settings it hides are not on screen, those it
locks are disabled (their tooltip names the lesson) and refused wherever the panel takes
settings: an edit (a click, a key), a whole config put there (a preset, a run's settings),
and the config a run starts with or a file is saved from."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFormLayout

from engine.core.config import Config, ConfigError
from engine.core.i18n import _
from engine.core.lesson_figures import lesson_text
from engine.core.lessons import LessonLocked


class LessonLocks(QObject):
    """Empty until a lesson is open. `refused(message)` says each refusal (named setting and lesson)."""

    refused = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lesson = None  # an engine.core.lessons.Lesson, or None

    @property
    def locked(self) -> dict:
        return self.lesson.locked_values() if self.lesson is not None else {}

    def why(self, key: str) -> str:
        return _("Locked by the lesson “{title}”: it shows what happens with this setting as it is.").format(
            title=lesson_text(self.lesson.title))

    def hold(self, panel, lesson) -> None:
        """Hide and lock what `lesson` says (None: let go of the panel)."""
        self.lesson = lesson
        hidden = set(lesson.hide) if lesson is not None else set()
        for key, widget in panel.widgets.items():
            holder = widget.parentWidget()
            form = holder.parentWidget().layout() if holder is not None and holder.parentWidget() else None
            if isinstance(form, QFormLayout):
                form.setRowVisible(holder, key not in hidden)
        panel.set_live(panel._live)  # enabled as the run state says, then locked below

    def apply(self, panel) -> None:
        """Locked fields disabled, their tooltip naming the lesson (after the panel's own rules)."""
        for key in self.locked:
            widget = panel.widgets.get(key)
            if widget is not None:
                widget.setEnabled(False)
                widget.setToolTip(f"{widget.property('help')}\n\n{self.why(key)}")

    def refuse(self, config: Config) -> Config:
        """`config`, or ConfigError naming the locked setting it changes and the lesson."""
        return self.lesson.refuse_locked(config) if self.lesson is not None else config

    def refuse_job(self, config: Config, plan: list | None, job: dict) -> Config:
        """`config` as a run starts it, or ConfigError at the first locked setting that it, a change
        of its `plan`, a search's space (`job["search"]`) or a resumed experiment's recorded plan
        (`job["resume_dir"]`) varies."""
        plan = list(plan or [])
        for changes in plan or [{}]:  # each run's settings must be settings
            self.refuse(config.with_updates({k: v for k, v in changes.items() if "." in k}))
        if self.lesson is None:
            return config
        if job.get("resume_dir") is not None:
            try:
                record = json.loads((Path(job["resume_dir"]) / "experiment.json").read_text(encoding="utf-8"))
                plan += [c for c in record.get("plan") or [] if isinstance(c, dict)]
            except (OSError, ValueError, AttributeError):
                pass  # the resume itself names what is wrong with the folder
        search = job.get("search")
        return self.lesson.refuse_plan(config, plan, search[0].space if search else ())

    def accepts(self, config: Config) -> bool:
        try:
            self.refuse(config)
        except ConfigError as exc:
            self.refused.emit(str(exc))
            return False
        return True

    def refuse_edit(self, panel, key: str) -> bool:
        """An edit of a locked field (a key or a script reached a disabled widget): put back and said."""
        if key not in self.locked:
            return False
        value = panel.value(key)
        panel._loading = True
        try:
            panel.set_value(key, self.locked[key])
        finally:
            panel._loading = False
        message = str(LessonLocked(key, value, self.locked[key], self.lesson.title, self.lesson.path))
        self.refused.emit(message)
        return True
