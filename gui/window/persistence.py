"""Window geometry and the last settings, kept between launches (QSettings).

Scripted launches (a screenshot run) open with a store that neither reads nor writes:
they must not change what the user's next launch shows."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings

from engine.core.config import Config, ConfigError
from engine.core.i18n import _


class SettingsStore:
    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def _store(self) -> QSettings:
        return QSettings()

    def file_name(self) -> str:
        return self._store().fileName()

    def save(self, window, config: Config | None, preset: str | None, view: dict | None = None) -> None:
        if not self.enabled:
            return
        store = self._store()
        store.setValue("window/geometry", window.saveGeometry())
        store.setValue("window/state", window.saveState())
        if config is not None:  # an invalid edit is not saved; the last valid settings stay
            store.setValue("settings/config", json.dumps(config.to_dict()))
            store.setValue("settings/preset", preset or "")
        for key, value in (view or {}).items():  # View menu choices: text size, layer plots
            store.setValue(f"view/{key}", value)
        store.sync()

    def restore_view(self) -> dict:
        """The View menu's choices of the last session ({} when none or unreadable)."""
        if not self.enabled:
            return {}
        store = self._store()
        view = {}
        try:
            if store.contains("view/text_scale"):
                view["text_scale"] = min(3.0, max(0.6, float(store.value("view/text_scale"))))
            if store.contains("view/layer_plots"):
                view["layer_plots"] = str(store.value("view/layer_plots")).lower() in ("true", "1")
        except (TypeError, ValueError):
            return {}
        return view

    def restore_geometry(self, window) -> bool:
        if not self.enabled:
            return False
        store = self._store()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty() and window.restoreGeometry(geometry):
            state = store.value("window/state")
            if isinstance(state, QByteArray):
                window.restoreState(state)
            return True
        return False

    def run_folders(self) -> list[str]:
        """The folders added to the Runs dock in earlier sessions."""
        if not self.enabled:
            return []
        raw = self._store().value("runs/added_folders")
        try:
            folders = json.loads(raw) if raw else []
        except (TypeError, ValueError):
            return []
        return [f for f in folders if isinstance(f, str)] if isinstance(folders, list) else []

    def save_run_folders(self, folders: list) -> None:
        if self.enabled:
            store = self._store()
            store.setValue("runs/added_folders", json.dumps([str(f) for f in folders]))
            store.sync()

    def restore_settings(self) -> tuple[Config | None, str | None, str]:
        """(config, preset name, problem): anything unreadable gives (None, None, why)."""
        if not self.enabled:
            return None, None, ""
        store = self._store()
        raw = store.value("settings/config")
        if not raw:
            return None, None, ""
        try:
            cfg = Config.from_dict(json.loads(raw))
        except (ValueError, TypeError, ConfigError) as exc:
            return None, None, _("stored settings unreadable ({reason}); using defaults").format(reason=exc)
        return cfg, store.value("settings/preset") or None, ""
