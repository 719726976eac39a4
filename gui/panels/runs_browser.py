"""Every run and experiment folder in the runs directory (and any folder added), as a tree
to filter, sort, select, open, twin, resume, rename and delete; a search's study with its
workers and their trials.

A run folder is the unit of truth, so runs written by another process (a headless
`main.py train`, a second window, a shared folder) show up here like the window's own:
folders appearing or disappearing trigger a rescan (on a thread of its own, so a large
shared folder never stalls the window), and running runs are re-read each second, their
metrics tailed so only new bytes are read."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QFileSystemWatcher,
    QItemSelection,
    QItemSelectionModel,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QBrush, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLineEdit,
    QMenu,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import _
from engine.runs.index import UNREADABLE, ExperimentEntry, MetricsTail, RunEntry, read_entry
from engine.runs.reader import INCOMPLETE, RUNNING
from gui.panels.flow_layout import FlowLayout
from gui.panels.runs_folders import FolderActions
from gui.panels.runs_rows import (  # noqa: F401  (re-exported: the tests and the window name them here)
    BEST,
    BUTTONS,
    COLUMNS,
    EPOCHS,
    GAP,
    PATH_ROLE,
    RESUMABLE,
    RUN,
    SORT_ROLE,
    STARTED,
    STATUS,
    STATUS_COLORS,
    TEST,
    TROUBLE,
    TWIN_TIP,
    RunColumnFitter,
    experiment_texts,
    foreign,
    grew,
    run_texts,
)
from gui.panels.runs_scan import Rescanner, StudyEntry, existing_parent, scan_all


class RunsBrowser(FolderActions, QWidget):
    """The runs directory as a tree: experiments with their runs as children, loose runs at the top."""

    selection_changed = Signal(list)  # the selected run folders (an experiment stands for its runs)
    open_requested = Signal(Path)  # a run whose settings to load into the panel
    twin_requested = Signal(Path)  # a run to start a twin of
    resume_requested = Signal(Path)  # an interrupted or stopped experiment's folder
    runs_updated = Signal(list)  # running runs whose tails got new epoch rows
    roots_changed = Signal(list)  # the folders added to the runs directory (the window remembers them)

    def __init__(self, runs_dir: Path, parent=None, added: list | tuple = ()):
        """`added`: folders listed too (those added in an earlier session)."""
        super().__init__(parent)
        self.roots: list[Path] = [Path(runs_dir)] + [Path(p) for p in added if Path(p) != Path(runs_dir)]
        self._runs: dict[Path, RunEntry] = {}
        self._experiments: dict[Path, ExperimentEntry] = {}
        self._studies: dict[Path, StudyEntry] = {}
        self._cells: dict[Path, list[QStandardItem]] = {}  # by folder: the row's cells, updated in place
        self._tails: dict[Path, MetricsTail] = {}  # by running run: kept across ticks, so only new bytes are read
        self._cut_off: dict[Path, MetricsTail] = {}  # by run whose writer died: its figures are in its lines only
        self._selected: list[Path] = []
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("Filter runs: name, preset, status…"))
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName(_("Filter runs"))
        self.filter.setToolTip(_("Show only the rows whose text contains this (any column, any case); an "
                                 "experiment stays while one of its runs matches."))
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels([_(name) for name, _tip in COLUMNS])
        for col, (_name, tip) in enumerate(COLUMNS):
            self.model.horizontalHeaderItem(col).setToolTip(_(tip))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setAutoAcceptChildRows(True)  # a matching experiment shows all of its runs
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setAccessibleName(_("Runs and experiments"))
        self.tree.setToolTip(_("Every run folder and experiment folder. Select several to compare them; "
                               "right-click for what can be done with them."))
        self.tree.setUniformRowHeights(True)  # a thousand rows lay out without measuring each
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(STARTED, Qt.SortOrder.DescendingOrder)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The Run column takes RUN_SHARE of the view at least (the others scroll beside it): at
        # Larger text on a projector the other columns left it 'nu-i…'. Cut in the middle, a
        # name keeps its start and its end (the part that tells twins apart); the tooltip has it all.
        header.setSectionResizeMode(RUN, QHeaderView.ResizeMode.Interactive)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.run_column = RunColumnFitter(self.tree, RUN)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_tree_context_menu)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.actions_by_name: dict[str, QAction] = {}
        buttons = FlowLayout()  # rows that wrap: the dock keeps its width as the text grows
        for name, text, tip, slot in BUTTONS:
            action = QAction(_(text), self)
            action.setToolTip(_(tip))
            action.triggered.connect(getattr(self, slot))
            self.actions_by_name[name] = action
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAccessibleName(_(text).rstrip("…"))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        holder = QWidget()
        holder.setLayout(buttons)
        layout.addWidget(holder)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._on_watcher_directory_changed)
        self._poll = QTimer(self, interval=1000)
        self._poll.timeout.connect(self._on_poll_timeout)
        self.scanner = Rescanner(lambda: list(self.roots), self)
        self.scanner.scanned.connect(self._on_scanner_scanned)
        self.refresh()

    # ---- what is listed ---------------------------------------------------------------------
    def add_root(self, path: str | Path) -> None:
        """List the runs of another folder too."""
        path = Path(path)
        if path not in self.roots:
            self.roots.append(path)
            self.refresh()
            self.roots_changed.emit([str(p) for p in self.roots[1:]])

    def selected_runs(self) -> list[Path]:
        return list(self._selected)

    def resumable(self) -> list:
        """Experiments cut off by a crash, a closed window or Stop."""
        return [e for e in self._experiments.values() if e.status in RESUMABLE]

    def selected_experiment(self):
        """The experiment entry when exactly one experiment row is selected (else None)."""
        rows = self._selected_rows()
        return self._experiments.get(rows[0]) if len(rows) == 1 else None

    def tail(self, path: Path) -> MetricsTail | None:
        """The metrics tail of a running run (the window draws its live curves from it)."""
        return self._tails.get(Path(path))

    @Slot()
    def refresh(self) -> None:
        """Scan the roots again now (the Refresh button), keeping the selection and the
        expanded experiments."""
        self._rebuild(self._selected_rows())

    def rescan_soon(self) -> None:
        """Scan the roots again on a thread of its own, once the folders stop changing."""
        self.scanner.soon()

    @Slot(object)
    def _on_scanner_scanned(self, result) -> None:
        self._rebuild(self._selected_rows(), result)

    def _rebuild(self, keep: list[Path], scanned=None) -> None:
        expanded = [p for p in [*self._experiments, *self._studies]
                    if p in self._cells and self.tree.isExpanded(self._view_index(p))]
        if scanned is None:
            self.scanner.read_now()  # read here and now: a background scan begun earlier is stale
        else:
            self.scanner.seen()
        experiments, runs, studies = scanned or scan_all(self.roots)
        workers = [w for s in studies for w in s.workers]
        self._experiments = {e.path: e for e in [*experiments, *workers]}
        self._studies = {s.path: s for s in studies}
        self._runs = {r.path: r for r in runs} | {r.path: r for e in self._experiments.values() for r in e.runs}
        self.tree.selectionModel().blockSignals(True)  # no empty selection told while the rows are replaced
        self.model.removeRows(0, self.model.rowCount())
        self._cells = {}
        for entry in experiments:
            self.model.appendRow(self._experiment_row(entry))
        for study in studies:  # a search: its workers, each with its trials
            row = self._row(study.path, study.texts(), study.status)
            for worker in study.workers:
                row[0].appendRow(self._experiment_row(worker))
            self.model.appendRow(row)
        for run in runs:
            self.model.appendRow(self._row(run.path, self._run_texts(run), run.status, run.problem))
        self.tree.selectionModel().blockSignals(False)
        running = {p for p, r in self._runs.items() if r.status == RUNNING}
        self._tails = {p: self._tails.get(p) or MetricsTail(p) for p in running}
        self._show_tails(self._read_tails())
        for path in (p for p in expanded if p in self._cells):
            self.tree.setExpanded(self._view_index(path), True)
        self._select(keep)
        watch = {str(p) for p in self.roots if p.is_dir()}  # and running experiments: their trials appear inside
        watch |= {str(p) for p, e in self._experiments.items() if e.status == RUNNING}
        watch |= {str(p) for p in self._studies}  # a worker started by another process appears inside
        # A root not there yet: its nearest folder that is, so its creation is seen.
        watch |= {str(existing_parent(p)) for p in self.roots if not p.is_dir() and existing_parent(p)}
        if stale := [d for d in self.watcher.directories() if d not in watch]:
            self.watcher.removePaths(stale)
        if new := sorted(watch - set(self.watcher.directories())):
            self.watcher.addPaths(new)
        self._poll.start() if running else self._poll.stop()  # nothing to re-read: no ticks

    def _row(self, path: Path, texts: list[tuple[str, object]], status: str,
             problem: str | None = None) -> list[QStandardItem]:
        cells = []
        for col, (text, key) in enumerate(texts):
            item = QStandardItem(text)
            item.setData(key, SORT_ROLE)
            if col >= EPOCHS:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            cells.append(item)
        cells[RUN].setData(path, PATH_ROLE)
        cells[RUN].setToolTip(f"{texts[RUN][0]}\n{path}")  # the whole name, where a narrow dock cuts it
        if status in STATUS_COLORS:
            cells[STATUS].setForeground(QBrush(STATUS_COLORS[status]))
        if problem:  # an unreadable folder: which file, and what is wrong with it
            cells[STATUS].setToolTip(problem)
        self._cells[path] = cells
        return cells

    def _experiment_row(self, entry: ExperimentEntry) -> list[QStandardItem]:
        row = self._row(entry.path, experiment_texts(entry), entry.status, entry.problem)
        for run in entry.runs:
            row[0].appendRow(self._row(run.path, self._run_texts(run), run.status, run.problem))
        return row

    def _run_texts(self, run: RunEntry) -> list[tuple[str, object]]:
        tail = self._tails.get(run.path) if run.status == RUNNING else None
        if run.status == INCOMPLETE and run.epochs is None:  # a killed writer's summary has no figures: its lines do
            tail = self._cut_off.setdefault(run.path, MetricsTail(run.path))
            tail.read()  # (only the bytes new since the last scan)
        return run_texts(run, tail)

    # ---- running runs -------------------------------------------------------------------------
    @Slot()
    def _on_poll_timeout(self) -> None:
        """Re-read only the running runs. A run that has ended is shown as it ended at once;
        what else changed with it (its experiment's status) comes with a rescan."""
        ended = False
        for path in list(self._tails):
            entry = read_entry(path, self._runs[path].experiment)
            if entry is None or entry.status != RUNNING:
                ended = True
                del self._tails[path]
                if entry is not None:
                    self._runs[path] = entry
                    self._set_texts(path, self._run_texts(entry), entry.status)
                continue
            self._runs[path] = entry
        self._show_tails(self._read_tails())
        if ended:
            self.rescan_soon()
        if not self._tails:
            self._poll.stop()

    def _set_texts(self, path: Path, texts: list[tuple[str, object]], status: str) -> None:
        cells = self._cells[path]
        for cell, (text, key) in zip(cells, texts, strict=True):
            cell.setText(text)
            cell.setData(key, SORT_ROLE)
        cells[STATUS].setForeground(QBrush(STATUS_COLORS[status]) if status in STATUS_COLORS else QBrush())

    def _read_tails(self) -> list[Path]:
        return [p for p, tail in self._tails.items() if grew(tail)]

    def _show_tails(self, updated: list[Path]) -> None:
        for path in updated:
            cells = self._cells[path]
            for col, (text, key) in enumerate(self._run_texts(self._runs[path])):
                if col in (STATUS, EPOCHS, BEST, GAP):  # (the status: paused, resumed)
                    cells[col].setText(text)
                    cells[col].setData(key, SORT_ROLE)
        if updated:
            self.runs_updated.emit(updated)

    @Slot(str)
    def _on_watcher_directory_changed(self, _path: str) -> None:
        self.rescan_soon()

    # ---- selection ----------------------------------------------------------------------------
    def _selected_rows(self) -> list[Path]:
        rows = self.tree.selectionModel().selectedRows(RUN)
        return [self.proxy.mapToSource(i).data(PATH_ROLE) for i in rows]

    def _view_index(self, path: Path):
        return self.proxy.mapFromSource(self._cells[path][RUN].index())

    def _select(self, paths: list[Path]) -> None:
        selection = QItemSelection()
        for index in (self._view_index(p) for p in paths if p in self._cells):
            selection.select(index, index)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.tree.selectionModel().select(selection, flags)
        self._on_selection_changed()

    def _on_selection_changed(self, *_signal) -> None:
        rows = self._selected_rows()
        runs = []
        for path in rows:
            group = self._experiments.get(path) or self._studies.get(path)
            members = [r.path for r in group.runs] if group is not None else [path]
            runs += [p for p in members if p not in runs]
        one = rows[0] if len(rows) == 1 else None
        busy = any(self._status(p) == RUNNING for p in rows)
        # A study is named by its folder (going on with it needs the name), and so is each
        # of its workers' place in it; a search goes on from the Search dialog, not Resume.
        searched = one in self._studies or (one in self._experiments and self._experiments[one].kind == "search")
        unreadable = [p for p in runs if self._status(p) == UNREADABLE]
        readable_one = len(runs) == 1 and not unreadable
        tips = self.__dict__.setdefault("_usual_tips", {n: self.actions_by_name[n].toolTip() for n in ("open", "twin")})
        # A damaged folder has no settings to open or twin; a script's run or an import is not
        # the app's to train again (its network and data are the script's).
        why = self._problem(unreadable[0]) if unreadable else foreign(self._runs.get(runs[0])) if readable_one else None
        for name in ("open", "twin"):
            self.actions_by_name[name].setEnabled(readable_one and why is None)
            # i18n: why an action is off for the selection: "Off: unreadable: …"
            self.actions_by_name[name].setToolTip(tips[name] + "\n\n" + _("Off: {why}").format(why=why)
                                                  if why else tips[name])
        self.actions_by_name["resume"].setEnabled(one in self._experiments and not searched
                                                  and self._status(one) in RESUMABLE)
        self.actions_by_name["rename"].setEnabled(one is not None and not busy and not searched)
        self.actions_by_name["delete"].setEnabled(bool(rows) and not busy)
        if runs != self._selected:
            self._selected = runs
            self.selection_changed.emit(runs)

    def _problem(self, path: Path) -> str:
        entry = self._runs.get(path) or self._experiments.get(path)
        # i18n: {problem} names the damaged file and what is wrong with it (or the folder)
        return _("unreadable: {problem}").format(problem=getattr(entry, "problem", None) or path)

    def _status(self, path: Path) -> str:
        entry = self._experiments.get(path) or self._runs.get(path) or self._studies.get(path)
        return entry.status if entry is not None else ""

    # ---- requests: their actions are enabled only for a selection they apply to ------------------
    @Slot()
    def _on_open_triggered(self) -> None:
        self.open_requested.emit(self._selected[0])

    @Slot()
    def _on_twin_triggered(self) -> None:
        self.twin_requested.emit(self._selected[0])

    @Slot()
    def _on_resume_triggered(self) -> None:
        self.resume_requested.emit(self._selected_rows()[0])

    def _on_tree_context_menu(self, pos) -> None:
        menu = QMenu(self)
        menu.addActions([self.actions_by_name[n] for n in ("open", "twin", "resume", "rename", "delete")])
        menu.addSeparator()
        menu.addActions([self.actions_by_name[n] for n in ("add", "refresh")])
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    @Slot()
    def _on_add_triggered(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Add a folder of runs"), str(self.roots[0]))
        if folder:
            self.add_root(folder)

