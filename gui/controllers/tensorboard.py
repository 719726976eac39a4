"""File ▸ Open TensorBoard folder…: each run of a TensorBoard log folder becomes a run folder in
the window's runs folder (engine.runs.tensorboard_import), shown in the Training tab (the first
run), the Experiment tab and the Runs dock; where two tags could be one curve a dialog asks
which. The folder is read again every few seconds while it is open (engine.runs.
tensorboard_follow: its run folders read "running" meanwhile, and the toolbar's Stop and Pause
reach the import), so a run still writing it grows epoch by epoch.

Reading happens on a pool thread (the first read of a long log takes a while, and imports
tensorboard); only the dialogs and the status line run here."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QFileDialog

from engine.core.i18n import _, integer, n_
from gui import dialogs
from gui.controllers.tensorboard_pairs import PairDialog
from gui.panels.off_thread import OffThread

FOLLOW_MS = 3000  # how often an open TensorBoard folder is read again


class TensorBoardFolders(QObject):
    """Handed the window (the parent of its dialogs), the runs folder the imports go to, the
    Runs dock (to show them) and `say` for the status line."""
    imported = Signal(list)  # [RunImport] of each read that wrote something (first import included)

    def __init__(self, window, *, runs_dir, runs_dock, say, open_run=None):
        """open_run(folder): show a run folder in the Training tab, followed while its writer lives."""
        super().__init__(window)
        self.window, self.runs_dir, self.runs_dock, self.say = window, Path(runs_dir), runs_dock, say
        self.open_run = open_run
        self.reader = OffThread(self)
        self.importer = None  # the folder open now (engine.runs.tensorboard_import.TensorBoardImport)
        self.pair_dialog: PairDialog | None = None
        self.dialog = None  # the last message box shown
        self.shown: list[Path] = []  # the run folders shown in the Experiment tab
        self.paused_said = False  # whether the status line said the folder's reading paused
        self.follow = QTimer(self, interval=FOLLOW_MS)
        self.follow.timeout.connect(self._on_follow_timeout)
        QApplication.instance().aboutToQuit.connect(self._on_app_about_to_quit)

    @Slot()
    def open(self, path=None) -> None:
        if not path:
            path = QFileDialog.getExistingDirectory(self.window, _("Open a TensorBoard folder"), str(Path.home()))
        if not path:
            return
        self._let_go()
        self.say(_("reading the TensorBoard folder {folder}…").format(folder=path))
        self.reader.submit(lambda: _preview(path, self.runs_dir), self._on_previewed)

    def _on_previewed(self, result) -> None:
        if isinstance(result, Exception):
            return self._failed(result)
        importer, pairings = result
        self.importer = importer
        if any(p.ambiguous for p in pairings.values()):
            self.pair_dialog = PairDialog(self.window, importer.logdir, pairings)
            self.pair_dialog.finished.connect(self._on_pair_dialog_finished)
            self.pair_dialog.open()
        else:
            self._read()

    @Slot(int)
    def _on_pair_dialog_finished(self, code: int) -> None:
        dialog, self.pair_dialog = self.pair_dialog, None
        if self.importer is not None and dialog is not None:
            if code == PairDialog.DialogCode.Accepted:
                self.importer.chosen.update(dialog.chosen())
            dialog.deleteLater()
            self._read()

    def _read(self) -> None:
        importer = self.importer
        self.reader.submit(importer.update, lambda results: self._on_read(importer, results))

    @Slot()
    def _on_follow_timeout(self) -> None:
        if self.importer is not None and self.importer.ended is not None:
            self.follow.stop()  # a Stop asked from the toolbar (or `main.py stop`) ended it
            self.say(_("{folder}: no longer followed").format(folder=self.importer.logdir))
            return
        if self.importer is not None and self.importer.paused != self.paused_said:
            self.paused_said = self.importer.paused  # (the status line's "paused at step …" is the run's)
            self.say((_("{folder}: paused, not read until Resume") if self.paused_said else
                      _("{folder}: resumed, read again every {seconds} s")).format(
                folder=self.importer.logdir, seconds=integer(FOLLOW_MS // 1000)))
        if self.importer is not None and not self.reader.busy():
            self._read()

    def _let_go(self) -> None:
        """The folder open before is no longer followed: its run folders say so."""
        self.follow.stop()
        importer, self.importer, self.paused_said = self.importer, None, False
        self.shown = []  # (the next folder's first run is shown in the Training tab)
        if importer is not None:
            self.reader.submit(lambda: _let_go(importer, _("another folder was opened")),
                               lambda _: None)  # after a read in flight

    @Slot()
    def _on_app_about_to_quit(self) -> None:
        self.follow.stop()
        if self.importer is not None and self.reader.wait(5000):
            _let_go(self.importer, _("the window was closed"))

    def _on_read(self, importer, results) -> None:
        if importer is not self.importer:
            return  # another folder was opened meanwhile
        if isinstance(results, Exception):
            self.follow.stop()
            return self._failed(results)
        first = not self.follow.isActive()
        folders = [r.folder for r in results if r.folder is not None]
        if first:
            self.follow.start()  # (a folder with nothing to import yet too: a script just started)
            self._tell(importer, results, folders)
        if set(folders) - set(self.shown):  # the first runs, or a new run in the folder
            opening, self.shown = not self.shown, folders
            self.runs_dock.rescan_soon()
            self.runs_dock.experiment_view.show_runs(folders)
            if opening:
                self.runs_dock.show_tab(self.runs_dock.experiment_view)
                if self.open_run is not None:
                    self.open_run(folders[0])  # the Training tab, followed as the import goes on
        if any(r.added for r in results) or first:
            self.imported.emit(results)

    def _tell(self, importer, results, folders: list[Path]) -> None:
        """What the first read found: a message with what is wrong or left out, naming files and tags."""
        problems = [p for r in results for p in r.problems]
        fields = {"folder": importer.logdir, "seconds": integer(FOLLOW_MS // 1000)}
        if not folders:
            self.dialog = dialogs.cannot(self.window, _("Nothing to import yet"), "\n\n".join(
                [_("{folder}: no run with a train or validation curve yet (read again every {seconds} s while "
                   "open).").format(**fields), *problems]))
            self.say(_("{folder}: nothing to import yet (read again every {seconds} s while open)").format(**fields))
            return
        epochs = sum(r.epochs for r in results)
        runs = n_("{count} run", "{count} runs", len(folders)).format(count=integer(len(folders)))
        # i18n: {runs} is "3 runs" (its own message); the form follows {count}, the epochs imported in all
        said = n_("{runs}, {count} epoch imported from {folder} into {runs_dir}; read again every {seconds} s while "
                  "open", "{runs}, {count} epochs imported from {folder} into {runs_dir}; read again every {seconds} s "
                  "while open", epochs).format(runs=runs, count=integer(epochs), runs_dir=self.runs_dir, **fields)
        notes = n_("({count} note)", "({count} notes)", len(problems)).format(count=integer(len(problems)))
        self.say(said + (" " + notes if problems else ""))
        damaged = any(r.damaged for r in results)  # (the problems' words are the language's)
        if problems:
            self.dialog = dialogs.cannot(self.window, _("Imported, with notes") if not damaged else
                                         _("Imported what could be read"), "\n\n".join(problems))

    def _failed(self, exc: Exception) -> None:
        self.dialog = dialogs.cannot(self.window, _("Cannot open the TensorBoard folder"), str(exc))
        self.say(str(exc))


def _preview(path: str, runs_dir: Path):
    """On the pool thread: the import, and each run's pairing before anything is written."""
    from engine.runs.tensorboard_follow import FollowedImport

    importer = FollowedImport(path, runs_dir)
    return importer, importer.preview()


def _let_go(importer, why: str) -> None:
    """Its run folders end "stopped" (not "completed": the script may still be writing the
    TensorBoard folder), saying why and how to import the rest."""
    from engine.core.events import USER_STOPPED

    importer.finish(USER_STOPPED, _("no longer followed ({why}): the TensorBoard folder {folder} was imported up "
                                    "to here; importing it again adds the epochs written since").format(
        why=why, folder=importer.logdir))
