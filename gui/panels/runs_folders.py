"""What the Runs dock changes on disk: renaming a folder (its timestamp stays) and moving
folders to the trash, each after asking, never a running one."""

from __future__ import annotations

import shutil

from PySide6.QtCore import QFile, Slot
from PySide6.QtWidgets import QInputDialog, QMessageBox

from engine.core.i18n import _, integer, n_
from engine.runs.reader import RUNNING
from gui.panels.runs_rows import STAMP, label, slug


class FolderActions:
    """Rename and delete for the RunsBrowser (a mix-in: it reads the browser's selection)."""

    @Slot()
    def rename_selected(self) -> None:
        """Rename the selected folder, keeping its timestamp prefix (the listing sorts and dates by it)."""
        rows = self._selected_rows()
        if len(rows) != 1:
            return
        path, run = rows[0], self._runs.get(rows[0])
        if self._status(path) == RUNNING:
            return self._warn(_("{folder} is still running: rename it when it has ended.").format(folder=path.name))
        if run is not None and run.experiment is not None:  # the experiment's record names its runs' folders
            return self._warn(_("{folder} is one run of the experiment {experiment}, which names it by its folder: "
                                "rename the experiment instead.").format(folder=path.name,
                                                                         experiment=run.experiment.name))
        name = self._ask_name(label(path))
        if name is None:
            return
        if "/" in name or "\\" in name or not slug(name):
            return self._warn(_("Cannot rename {folder} to “{name}”: a name needs letters or digits, and no “/”.")
                              .format(folder=path.name, name=name))
        prefix = STAMP.match(path.name)
        target = path.with_name((prefix.group(0) if prefix else "") + slug(name))
        if target != path and target.exists():
            return self._warn(_("Cannot rename {folder}: {target} already exists in {parent}.")
                              .format(folder=path.name, target=target.name, parent=path.parent))
        try:
            path.rename(target)
        except OSError as exc:
            # i18n: {why} is the system's reason (its own language)
            return self._warn(_("Cannot rename {folder}: {why}.").format(folder=path.name, why=exc.strerror or exc))
        self._rebuild([target])

    @Slot()
    def delete_selected(self) -> None:
        """Move the selected folders to the trash, after asking; deleting for good needs a second yes."""
        rows = self._selected_rows()
        folders = [p for p in rows if self._runs.get(p) is None or self._runs[p].experiment not in rows]
        if not folders:
            return
        if running := [p.name for p in folders if self._status(p) == RUNNING]:
            # i18n: {folders} is a list of folder names, comma-separated
            return self._warn(_("Not deleting anything: {folders} is still running.").format(folders=", ".join(running)))
        names = "\n".join(p.name for p in folders[:12]) + ("\n…" if len(folders) > 12 else "")
        n = len(folders)
        question = n_("Move {count} folder to the trash?", "Move {count} folders to the trash?", n)
        if not self._confirm(question.format(count=integer(n)) + "\n\n" + names):
            return
        failed = [p for p in folders if not QFile.moveToTrash(str(p))]
        if n == 1:
            question = _("The folder could not be moved to the trash (a network folder has none, say). Delete it "
                         "permanently? This cannot be undone.")
        else:
            # i18n: {failed} of the {count} folders that were to go to the trash ({count}: two or more); the form
            # follows {failed}, the folders that could not be moved: the verb and "it"/"them" agree with it
            question = n_("{failed} of the {count} folders could not be moved to the trash (a network folder has "
                          "none, say). Delete it permanently? This cannot be undone.",
                          "{failed} of the {count} folders could not be moved to the trash (a network folder has "
                          "none, say). Delete them permanently? This cannot be undone.", len(failed))
        if failed and self._confirm(question.format(failed=integer(len(failed)), count=integer(n)) + "\n\n"
                                    + "\n".join(p.name for p in failed)):
            for path in failed:
                try:
                    shutil.rmtree(path)
                except OSError as exc:
                    # i18n: {why} is the system's reason (its own language)
                    self._warn(_("Could not delete {folder}: {why}.").format(folder=path.name, why=exc.strerror or exc))
        self.refresh()

    # ---- dialogs: small methods the tests replace -----------------------------------------------
    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, _("Runs"), text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _ask_name(self, old: str) -> str | None:
        name, ok = QInputDialog.getText(self, _("Rename"), _("New name (the timestamp stays in front):"), text=old)
        return name.strip() if ok else None

    def _warn(self, text: str) -> None:
        QMessageBox.warning(self, _("Runs"), text)
