"""Every run and experiment folder in the runs directory (and any folder added), as a tree
to filter, sort, select, open, twin, resume, rename and delete.

A run folder is the unit of truth, so runs written by another process (a headless
`main.py train`, a second window, a shared folder) show up here like the window's own:
folders appearing or disappearing trigger a rescan, and running runs are re-read each
second, their metrics tailed so only new bytes are read."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from PySide6.QtCore import (
    QFile,
    QFileSystemWatcher,
    QItemSelection,
    QItemSelectionModel,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from engine.core.events import DIVERGED, FAILED, USER_STOPPED
from engine.runs.index import (
    INTERRUPTED,
    UNREADABLE,
    ExperimentEntry,
    MetricsTail,
    RunEntry,
    read_entry,
    scan,
)
from engine.runs.reader import INCOMPLETE, RUNNING

COLUMNS = [("Run", "The run's folder, without its timestamp (an experiment: its kind, name and runs)"),
           ("Preset", "The preset the run started from (its run.name setting)"),
           ("Started", "When the run started"),
           ("Status", "How the run ended, or that it is still running"),
           ("Epochs", "Epochs completed (while running: so far)"),
           ("Best val acc", "The best validation accuracy of any epoch"),
           ("Gap", "Train − validation accuracy of the weights the run ends with, in percentage points"),
           ("Test acc", "Accuracy on the locked test split, where the run was evaluated on it")]
RUN, PRESET, STARTED, STATUS, EPOCHS, BEST, GAP, TEST = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole  # numbers for the numeric columns: 9.0 % sorts below 10.0 %
PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # on the Run cell: the folder the row stands for
MISSING = "–"
TROUBLE = QColor("#d84315")  # reddish orange: a run that did not end well, or an experiment to resume
STATUS_COLORS = {INCOMPLETE: TROUBLE, FAILED: TROUBLE, DIVERGED: TROUBLE, INTERRUPTED: TROUBLE,
                 UNREADABLE: TROUBLE, RUNNING: QColor("#1565c0")}
RESUMABLE = (INTERRUPTED, USER_STOPPED)
STAMP = re.compile(r"^\d{8}-\d{6}-")  # the YYYYmmdd-HHMMSS- every run and experiment folder starts with
TWIN_TIP = ("Start a run identical to this one — same seed, initial weights, data order — with the "
            "settings you changed in the panel")


def _percent(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:.1f} %"


def _points(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:+.1f} pts"


def _number(value) -> float:
    return float("-inf") if value is None else float(value)  # missing sorts below every number


def _label(path: Path) -> str:
    return STAMP.sub("", path.name) or path.name


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-.")[:60]


class RunsBrowser(QWidget):
    """The runs directory as a tree: experiments with their runs as children, loose runs at the top."""

    selection_changed = Signal(list)  # the selected run folders (an experiment stands for its runs)
    open_requested = Signal(Path)  # a run whose settings to load into the panel
    twin_requested = Signal(Path)  # a run to start a twin of
    resume_requested = Signal(Path)  # an interrupted or stopped experiment's folder
    runs_updated = Signal(list)  # running runs whose tails got new epoch rows

    def __init__(self, runs_dir: Path, parent=None):
        super().__init__(parent)
        self.roots: list[Path] = [Path(runs_dir)]
        self._runs: dict[Path, RunEntry] = {}
        self._experiments: dict[Path, ExperimentEntry] = {}
        self._cells: dict[Path, list[QStandardItem]] = {}  # by folder: the row's cells, updated in place
        self._tails: dict[Path, MetricsTail] = {}  # by running run: kept across ticks, so only new bytes are read
        self._selected: list[Path] = []
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter runs: name, preset, status…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter runs")
        self.filter.setToolTip("Show only the rows whose text contains this (any column, any case); an "
                               "experiment stays while one of its runs matches.")
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels([name for name, _ in COLUMNS])
        for col, (_, tip) in enumerate(COLUMNS):
            self.model.horizontalHeaderItem(col).setToolTip(tip)
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
        self.tree.setAccessibleName("Runs and experiments")
        self.tree.setToolTip("Every run folder and experiment folder. Select several to compare them; "
                             "right-click for what can be done with them.")
        self.tree.setUniformRowHeights(True)  # a thousand rows lay out without measuring each
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(STARTED, Qt.SortOrder.DescendingOrder)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RUN, QHeaderView.ResizeMode.Stretch)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_tree_context_menu)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.actions_by_name: dict[str, QAction] = {}
        buttons = QGridLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for i, (name, text, tip, slot) in enumerate([
                ("open", "Open settings", "Load the selected run's settings into the settings panel",
                 self._on_open_triggered),
                ("twin", "Twin…", TWIN_TIP, self._on_twin_triggered),
                ("resume", "Resume", "Go on with the selected interrupted or stopped experiment: finished "
                 "runs are kept, the others run again", self._on_resume_triggered),
                ("rename", "Rename…", "Rename the selected folder on disk (its timestamp stays)", self.rename_selected),
                ("delete", "Delete…", "Move the selected folders to the trash, after asking", self.delete_selected),
                ("add", "Add folder…", "List the runs of another folder too (a shared folder, say)",
                 self._on_add_triggered),
                ("refresh", "Refresh", "Read the folders again", self.refresh)]):
            action = QAction(text, self)
            action.setToolTip(tip)
            action.triggered.connect(slot)
            self.actions_by_name[name] = action
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAccessibleName(text.rstrip("…"))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button, i // 4, i % 4)  # two rows: the panel fits a narrow dock
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._on_watcher_directory_changed)
        self._debounce = QTimer(self, singleShot=True, interval=300)  # a folder written file by file: one rescan
        self._debounce.timeout.connect(self.refresh)
        self._poll = QTimer(self, interval=1000)
        self._poll.timeout.connect(self._on_poll_timeout)
        self.refresh()

    # ---- what is listed ---------------------------------------------------------------------
    def add_root(self, path: str | Path) -> None:
        """List the runs of another folder too."""
        path = Path(path)
        if path not in self.roots:
            self.roots.append(path)
            self.refresh()

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
        """Scan the roots again, keeping the selection and the expanded experiments."""
        self._rebuild(self._selected_rows())

    def _rebuild(self, keep: list[Path]) -> None:
        expanded = [p for p in self._experiments if p in self._cells and self.tree.isExpanded(self._view_index(p))]
        experiments, runs = scan(*self.roots)
        self._experiments = {e.path: e for e in experiments}
        self._runs = {r.path: r for r in runs} | {r.path: r for e in experiments for r in e.runs}
        self.tree.selectionModel().blockSignals(True)  # no empty selection told while the rows are replaced
        self.model.removeRows(0, self.model.rowCount())
        self._cells = {}
        for entry in experiments:
            row = self._row(entry.path, self._experiment_texts(entry), entry.status, entry.problem)
            for run in entry.runs:
                row[0].appendRow(self._row(run.path, self._run_texts(run), run.status, run.problem))
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

    def _run_texts(self, run: RunEntry) -> list[tuple[str, object]]:
        """(text, sort key) per column; a missing number sorts below every number."""
        tail = self._tails.get(run.path) if run.status == RUNNING else None
        epochs, best, gap = run.epochs, run.best_val_accuracy, run.gap
        if tail is not None and tail.epochs:
            epochs = len(tail.epochs)
            best = max((r["val_accuracy"] for r in tail.epochs if r.get("val_accuracy") is not None), default=None)
            gap = tail.epochs[-1].get("accuracy_gap")
        return [(_label(run.path), _label(run.path).lower()), (run.preset, run.preset.lower()),
                (run.started, f"{run.started} {run.path.name}"), (run.status.replace("_", " "), run.status),
                (MISSING if epochs is None else str(epochs), _number(epochs)), (_percent(best), _number(best)),
                (_points(gap), _number(gap)), (_percent(run.test_accuracy), _number(run.test_accuracy))]

    def _experiment_texts(self, entry: ExperimentEntry) -> list[tuple[str, object]]:
        planned = "" if entry.planned is None else f"/{entry.planned}"
        name = re.sub(rf"-{re.escape(entry.kind)}-[0-9a-f]{{6}}$", "", _label(entry.path))  # as named, or renamed
        preset = entry.record.get("base", {}).get("run", {}).get("name", "")
        none = (MISSING, float("-inf"))
        return [(f"{entry.kind}: {name} ({len(entry.runs)}{planned} runs)", name.lower()), (preset, preset.lower()),
                (entry.started, f"{entry.started} {entry.path.name}"), (entry.status.replace("_", " "), entry.status),
                none, none, none, none]

    # ---- running runs -------------------------------------------------------------------------
    @Slot()
    def _on_poll_timeout(self) -> None:
        """Re-read only the running runs; a run that has ended changes the listing: rescan."""
        for path in list(self._tails):
            entry = read_entry(path, self._runs[path].experiment)
            if entry is None or entry.status != RUNNING:
                self.refresh()
                return
            self._runs[path] = entry
        self._show_tails(self._read_tails())

    def _read_tails(self) -> list[Path]:
        return [p for p, tail in self._tails.items() if tail.read()]

    def _show_tails(self, updated: list[Path]) -> None:
        for path in updated:
            cells = self._cells[path]
            for col, (text, key) in enumerate(self._run_texts(self._runs[path])):
                if col in (EPOCHS, BEST, GAP):
                    cells[col].setText(text)
                    cells[col].setData(key, SORT_ROLE)
        if updated:
            self.runs_updated.emit(updated)

    @Slot(str)
    def _on_watcher_directory_changed(self, _path: str) -> None:
        self._debounce.start()

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

    def _on_selection_changed(self, *_) -> None:
        rows = self._selected_rows()
        runs = []
        for path in rows:
            members = [r.path for r in self._experiments[path].runs] if path in self._experiments else [path]
            runs += [p for p in members if p not in runs]
        one = rows[0] if len(rows) == 1 else None
        busy = any(self._status(p) == RUNNING for p in rows)
        self.actions_by_name["open"].setEnabled(len(runs) == 1)
        self.actions_by_name["twin"].setEnabled(len(runs) == 1)
        self.actions_by_name["resume"].setEnabled(one in self._experiments and self._status(one) in RESUMABLE)
        self.actions_by_name["rename"].setEnabled(one is not None and not busy)
        self.actions_by_name["delete"].setEnabled(bool(rows) and not busy)
        if runs != self._selected:
            self._selected = runs
            self.selection_changed.emit(runs)

    def _status(self, path: Path) -> str:
        entry = self._experiments.get(path) or self._runs.get(path)
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
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of runs", str(self.roots[0]))
        if folder:
            self.add_root(folder)

    # ---- changing folders on disk ---------------------------------------------------------------
    @Slot()
    def rename_selected(self) -> None:
        """Rename the selected folder, keeping its timestamp prefix (the listing sorts and dates by it)."""
        rows = self._selected_rows()
        if len(rows) != 1:
            return
        path, run = rows[0], self._runs.get(rows[0])
        if self._status(path) == RUNNING:
            return self._warn(f"{path.name} is still running: rename it when it has ended.")
        if run is not None and run.experiment is not None:  # the experiment's record names its runs' folders
            return self._warn(f"{path.name} is one run of the experiment {run.experiment.name}, which names it "
                              "by its folder: rename the experiment instead.")
        name = self._ask_name(_label(path))
        if name is None:
            return
        if "/" in name or "\\" in name or not _slug(name):
            return self._warn(f"Cannot rename {path.name} to “{name}”: a name needs letters or digits, and no “/”.")
        prefix = STAMP.match(path.name)
        target = path.with_name((prefix.group(0) if prefix else "") + _slug(name))
        if target != path and target.exists():
            return self._warn(f"Cannot rename {path.name}: {target.name} already exists in {path.parent}.")
        try:
            path.rename(target)
        except OSError as exc:
            return self._warn(f"Cannot rename {path.name}: {exc.strerror or exc}.")
        self._rebuild([target])

    @Slot()
    def delete_selected(self) -> None:
        """Move the selected folders to the trash, after asking; deleting for good needs a second yes."""
        rows = self._selected_rows()
        folders = [p for p in rows if self._runs.get(p) is None or self._runs[p].experiment not in rows]
        if not folders:
            return
        if running := [p.name for p in folders if self._status(p) == RUNNING]:
            return self._warn(f"Not deleting anything: {', '.join(running)} is still running.")
        names = "\n".join(p.name for p in folders[:12]) + ("\n…" if len(folders) > 12 else "")
        count = f"{len(folders)} folder{'s' if len(folders) > 1 else ''}"
        if not self._confirm(f"Move {count} to the trash?\n\n{names}"):
            return
        failed = [p for p in folders if not QFile.moveToTrash(str(p))]
        if failed and self._confirm(
                f"{len(failed)} of the {count} could not be moved to the trash (a network folder has none, "
                "say). Delete them permanently? This cannot be undone.\n\n" + "\n".join(p.name for p in failed)):
            for path in failed:
                try:
                    shutil.rmtree(path)
                except OSError as exc:
                    self._warn(f"Could not delete {path.name}: {exc.strerror or exc}.")
        self.refresh()

    # ---- dialogs: small methods the tests replace -----------------------------------------------
    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Runs", text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _ask_name(self, old: str) -> str | None:
        name, ok = QInputDialog.getText(self, "Rename", "New name (the timestamp stays in front):", text=old)
        return name.strip() if ok else None

    def _warn(self, text: str) -> None:
        QMessageBox.warning(self, "Runs", text)
