"""Experiments ▸ Hyperparameter search and Attach to a study: a study's storage opened off
the GUI thread, then the search started on the engine thread (or only followed), its study
shown in the Search tab."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

from engine.core.config import ConfigError
from engine.core.i18n import _, integer, n_
from gui.controllers.experiment_dialogs import SearchDialog


class Searches:
    """Handed the parent of its dialogs, `panel_config` (the panel's settings, or None after
    saying why not), the runs folder, the Search tab (`search_view`, `show_tab`), `say` and
    `start(config, plan, kind=, say=, **job)` that starts an experiment's job."""

    def __init__(self, parent, *, panel_config, runs_dir, search_view, show_tab, say, start, can_start):
        """can_start(): whether the window would start a run now (idle, not closing)."""
        self.parent, self.panel_config, self.runs_dir = parent, panel_config, runs_dir
        self.can_start = can_start
        self.search_view, self.show_tab, self.say, self.start = search_view, show_tab, say, start
        self.dialog: SearchDialog | None = None  # one dialog, kept: what was typed survives a refusal

    def search(self, dialog: SearchDialog | None = None) -> None:
        """A hyperparameter search of the panel's settings, its study followed in the Search tab."""
        if not self.can_start():
            self.say(_("not started: a run is live — stop it first (Esc)"))
            return
        config = self.panel_config()
        if config is None:
            return
        interactive = dialog is None
        if interactive:
            studies = sorted(p.name for p in Path(self.runs_dir).glob("*/study.journal") for p in [p.parent])
            dialog = self.dialog = self.dialog or SearchDialog(
                self.parent, f"{config.run.name or 'search'}-search", studies)
            dialog.fit_to(config)  # the command line's default space for these settings
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
        else:
            dialog.fit_to(config)
        try:
            settings = dialog.settings()
            name, url = dialog.name.currentText().strip() or "search", dialog.storage.text().strip() or None
        except ConfigError as exc:
            QMessageBox.warning(self.parent, _("Hyperparameter search"), str(exc))
            if interactive:
                self.search()  # back to the dialog, as it was
            return
        folder = Path(self.runs_dir) / name

        def opened(storage) -> None:  # on the GUI thread again, the storage open or refused
            if isinstance(storage, Exception):
                QMessageBox.warning(self.parent, _("Hyperparameter search"), str(storage))
                if interactive and isinstance(storage, ConfigError):
                    self.search()
                return
            if not self.start(config, [], kind="search", search=(settings, name, url), name=name,
                              say=n_("search '{name}': {count} trial of {settings}",
                                     "search '{name}': {count} trials of {settings}", settings.trials).format(
                                  name=name, count=integer(settings.trials), settings=", ".join(settings.space))):
                # Something started while the storage opened (Ctrl+Return, say): no search, no tab
                # following a study that nothing runs. (Idle: the settings were refused, the window said why.)
                if self.can_start():
                    return
                self.say(_("search '{name}' not started: a run started while its storage was opening").format(
                    name=name))
                return
            self.search_view.attach(name, lambda: storage)
            self.show_tab(self.search_view)

        self.say(_("search '{name}': opening its storage…").format(name=name))
        # A database may take up to its connect timeout to answer: never on the GUI thread.
        self.search_view.off_thread.submit(lambda: _open_storage(url, folder), opened)

    def attach_study(self) -> None:
        """Follow a study another process or machine runs: its folder (journal) or a URL."""
        from engine.search.storage import STUDY_FILE

        text, ok = QInputDialog.getText(self.parent, _("Attach to a study"), _(
            "A study's folder, or a postgresql+psycopg:// URL followed by a space and the study's name:"))
        if not ok or not text.strip():
            return
        parts = text.strip().split()
        try:
            if "://" in parts[0]:
                if len(parts) < 2:
                    raise ConfigError("study", text, _("a URL and the study's name, separated by a space"))
                url, folder, name = parts[0], None, parts[1]
            else:
                folder = Path(parts[0])
                if not (folder / STUDY_FILE).is_file():
                    raise ConfigError("study", str(folder), _("a study's folder (with {file})").format(file=STUDY_FILE))
                url, name = None, folder.name
        except ConfigError as exc:
            QMessageBox.warning(self.parent, _("Attach to a study"), str(exc))
            return

        def opened(storage) -> None:  # on the GUI thread again
            if isinstance(storage, Exception):
                QMessageBox.warning(self.parent, _("Attach to a study"), str(storage))
                return
            self.search_view.attach(name, lambda: storage)
            self.show_tab(self.search_view)

        self.search_view.off_thread.submit(lambda: _open_storage(url, folder, create=False), opened)


def _open_storage(url: str | None, folder: Path | None, create: bool = True):
    """A study's storage, on the pool thread (a journal's folder made first when starting)."""
    from engine.search.storage import open_storage

    if url is None and create:
        folder.mkdir(parents=True, exist_ok=True)
    return open_storage(url, folder)
