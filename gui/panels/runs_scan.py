"""Reading the Runs dock's folders: a search's study (its workers and their trials) besides
runs and experiments, and rescans on a thread of their own when the folders change."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from engine.core.i18n import _, integer, n_
from engine.runs.index import EXPERIMENT_FILE, ExperimentEntry, RunEntry, scan
from engine.runs.reader import RUNNING
from gui.panels.runs_rows import MISSING, group_status

# A search's study folder holds its journal (or, for a database, the search.json the study
# writes) and one experiment folder per worker, each holding that worker's trial runs.
STUDY_MARKERS = ("study.journal", "search.json")
CHECK_MS = 3000  # how often the roots' modification times are compared: where no watcher reaches


class StudyEntry:
    """A search's study folder: its workers (experiments of kind "search") and their trials."""

    def __init__(self, path: Path, workers: list[ExperimentEntry]):
        self.path, self.workers = path, workers
        self.runs = [r for w in workers for r in w.runs]
        running = any(w.status == RUNNING for w in workers)
        self.status = RUNNING if running else (workers[-1].status if workers else "")
        self.started = min((w.started for w in workers if w.started), default="")

    def texts(self) -> list[tuple[str, object]]:
        none = (MISSING, float("-inf"))
        trials = n_("{count} trial", "{count} trials", len(self.runs)).format(count=integer(len(self.runs)))
        workers = n_("{count} worker", "{count} workers", len(self.workers)).format(count=integer(len(self.workers)))
        # i18n: a hyperparameter search's folder: "search: my-search (12 trials, 2 workers)"
        text = _("search: {name} ({trials}, {workers})").format(name=self.path.name, trials=trials, workers=workers)
        return [(text, self.path.name.lower()), ("", ""),
                (self.started, f"{self.started} {self.path.name}"),
                (group_status(self.status), self.status), none, none, none, none]


def is_study(folder: Path) -> bool:
    return (not (folder / EXPERIMENT_FILE).is_file() and not (folder / "config.json").is_file()
            and any((folder / m).is_file() for m in STUDY_MARKERS))


def scan_all(roots: list[Path]) -> tuple[list[ExperimentEntry], list[RunEntry], list[StudyEntry]]:
    """Experiments, loose runs and studies directly under each root. Plain file reads, no
    Qt objects: it runs on a thread of its own (a large shared folder takes a while)."""
    experiments, runs = scan(*roots)
    studies = []
    for root in roots:
        if not root.is_dir():
            continue
        try:
            children = sorted(p for p in root.iterdir() if p.is_dir())
        except OSError:
            continue
        for folder in (c for c in children if is_study(c)):
            workers, _loose = scan(folder)
            studies.append(StudyEntry(folder, [w for w in workers if w.kind == "search"] or workers))
    return experiments, runs, studies


class Rescanner(QObject):
    """Scans the roots on a thread of its own, once they stop changing: `scanned` brings the
    result to the GUI thread. One scan at a time; a change during a scan gets one more.

    A file-system watcher misses what it cannot watch: a runs folder that does not exist
    yet (the first headless run creates it), a network folder. The roots' modification
    times, compared every few seconds, catch those (a stat per root: nothing is read)."""

    scanned = Signal(object)  # (experiments, runs, studies), as scan_all returns them
    _done = Signal(object)  # from the scanning thread: (roots, result or exception)

    def __init__(self, roots, parent=None):
        """roots(): the folders to scan, asked at each scan."""
        super().__init__(parent)
        self.roots = roots
        self._stamps: dict[Path, float | None] = {}
        self._busy = self._again = False
        self._generation = 0  # bumped by a scan on the GUI thread: a scan begun before it is stale
        self._debounce = QTimer(self, singleShot=True, interval=300)  # a folder written file by file: one scan
        self._debounce.timeout.connect(self._on_debounce_timeout)
        self._check = QTimer(self, interval=CHECK_MS)
        self._check.timeout.connect(self._on_check_timeout)
        self._check.start()
        self._done.connect(self._on_done)

    def soon(self) -> None:
        self._debounce.start()

    def read_now(self) -> None:
        """The roots were just read on the GUI thread (a delete, a rename, Refresh): a scan
        already on its way holds older contents and is dropped when it arrives."""
        self._generation += 1
        self.seen()

    def seen(self) -> None:
        """The roots were just read (by a scan on the GUI thread, say): changes count from now."""
        self._stamps = {root: _mtime(root) for root in self.roots()}

    @Slot()
    def _on_check_timeout(self) -> None:
        if {root: _mtime(root) for root in self.roots()} != self._stamps:
            self.seen()
            self.soon()

    @Slot()
    def _on_debounce_timeout(self) -> None:
        if self._busy:
            self._again = True
            return
        self._busy, self._again = True, False
        roots, generation = self.roots(), self._generation

        def work():
            try:
                result = scan_all(roots)
            except Exception as exc:  # noqa: BLE001 (a folder that vanished mid-scan: the next scan reads it)
                result = exc
            try:
                self._done.emit((roots, generation, result))
            except RuntimeError:  # the browser is gone (the window closed mid-scan)
                pass

        threading.Thread(target=work, name="runs-scan", daemon=True).start()

    @Slot(object)
    def _on_done(self, done) -> None:
        roots, generation, result = done
        self._busy = False
        current = roots == self.roots() and generation == self._generation
        if current and not isinstance(result, Exception):
            self.scanned.emit(result)
        if self._again or roots != self.roots():  # (a failed scan: the next change or check tries again)
            self.soon()


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def existing_parent(path: Path) -> Path | None:
    for parent in path.parents:
        if parent.is_dir():
            return parent
    return None
