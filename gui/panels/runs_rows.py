"""What a row of the Runs dock says: its columns, their texts and sort keys, for a run and
an experiment."""

from __future__ import annotations

import math
import re
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QColor

from engine.core.events import COMPLETED, DIVERGED, EARLY_STOPPED, FAILED, USER_STOPPED
from engine.core.i18n import N_, _, integer, n_
from engine.core.i18n import number as shown_number
from engine.core.i18n import percent as shown_percent
from engine.runs.index import INTERRUPTED, UNREADABLE, ExperimentEntry, MetricsTail, RunEntry
from engine.runs.reader import INCOMPLETE, PAUSED, RUNNING, STATUS_WORDS

# (header, its tooltip), marked here and translated where shown: _(name), _(tip).
COLUMNS = [(N_("Run"), N_("The run's folder, without its timestamp (an experiment: its kind, name and runs)")),
           (N_("Preset"), N_("The preset the run started from (its run.name setting)")),
           (N_("Started"), N_("When the run started")),
           (N_("Status"), N_("How the run ended, or that it is still running")),
           (N_("Epochs"), N_("Epochs completed (while running: so far)")),
           (N_("Best val acc"), N_("The best validation accuracy of any epoch")),
           (N_("Gap"), N_("Train − validation accuracy of the weights the run ends with, in percentage points, "
                          "and the epoch those weights are from")),
           (N_("Test acc"), N_("Accuracy on the locked test split, where the run was evaluated on it"))]
RUN, PRESET, STARTED, STATUS, EPOCHS, BEST, GAP, TEST = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole  # numbers for the numeric columns: 9.0 % sorts below 10.0 %
PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # on the Run cell: the folder the row stands for
MISSING = "–"
TROUBLE = QColor("#bf360c")  # reddish orange, 5.6:1 on white: a run that did not end well, or one to resume
STATUS_COLORS = {INCOMPLETE: TROUBLE, FAILED: TROUBLE, DIVERGED: TROUBLE, INTERRUPTED: TROUBLE,
                 UNREADABLE: TROUBLE, RUNNING: QColor("#1565c0")}
RESUMABLE = (INTERRUPTED, USER_STOPPED)
# A run the app did not train (its summary's "source"): its network and data are not in its
# folder, so nothing here may train or evaluate it again (Open settings, Twin…).
# (Marked here; translated where shown: foreign() does.)
FOREIGN = {"script": N_("written by a script: its network and data are the script's"),
           "tensorboard": N_("imported from TensorBoard: its network and data are those of the script that wrote it")}
TWIN_TIP = N_("Start a run identical to this one — same seed, initial weights, data order — with the "
              "settings you changed in the panel")
# The dock's buttons: (name, text, tooltip, the browser's method they call); texts translated where shown.
BUTTONS = [("open", N_("Open settings"), N_("Load the selected run's settings into the settings panel"),
            "_on_open_triggered"),
           ("twin", N_("Twin…"), TWIN_TIP, "_on_twin_triggered"),
           ("resume", N_("Resume"), N_("Go on with the selected interrupted or stopped experiment: finished runs "
                                       "are kept, the others run again"), "_on_resume_triggered"),
           ("rename", N_("Rename…"), N_("Rename the selected folder on disk (its timestamp stays)"), "rename_selected"),
           ("delete", N_("Delete…"), N_("Move the selected folders to the trash, after asking"), "delete_selected"),
           ("add", N_("Add folder…"), N_("List the runs of another folder too (a shared folder, say)"),
            "_on_add_triggered"),
           ("refresh", N_("Refresh"), N_("Read the folders again"), "refresh")]
# An experiment's or a study's status as the dock shows it (its code, '_' as a space); a run's
# comes from the engine's STATUS_WORDS.
GROUP_WORDS = {RUNNING: N_("running"), COMPLETED: N_("completed"), INTERRUPTED: N_("interrupted"),
               USER_STOPPED: N_("user stopped"), EARLY_STOPPED: N_("early stopped"), FAILED: N_("failed"),
               DIVERGED: N_("diverged"), UNREADABLE: N_("unreadable")}
STAMP = re.compile(r"^\d{8}-\d{6}-")  # the YYYYmmdd-HHMMSS- every run and experiment folder starts with


def foreign(run: RunEntry | None) -> str | None:
    """Why a run cannot be trained or evaluated again by the app (a script's, an import), or None."""
    why = FOREIGN.get((run.summary or {}).get("source") or "") if run is not None else None
    return _(why) if why else None


def percent(value: float | None) -> str:
    return MISSING if value is None else shown_percent(value * 100, 1)


def points(value: float | None) -> str:
    if value is None:
        return MISSING
    sign = "+" if math.copysign(1.0, value) > 0 else ""  # as '+.1f' writes it: -0.0 keeps its '-'
    # i18n: a difference of two accuracies in percentage points, signed: "+12.5 pts"
    return _("{points} pts").format(points=sign + shown_number(value * 100, 1))


def group_status(status: str) -> str:
    """An experiment's or a study's status in words."""
    return _(GROUP_WORDS.get(status, status.replace("_", " ")))


def number(value) -> float:
    return float("-inf") if value is None else float(value)  # missing sorts below every number


def label(path: Path) -> str:
    return STAMP.sub("", path.name) or path.name


def slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-.")[:60]


def run_texts(run: RunEntry, tail: MetricsTail | None) -> list[tuple[str, object]]:
    """(text, sort key) per column; a missing number sorts below every number. `tail`: a
    running run's metrics so far."""
    epochs, best, gap = run.epochs, run.best_val_accuracy, run.gap
    weights_epoch = (run.summary.get("final_metrics") or {}).get("weights_epoch")
    if tail is not None and tail.epochs:
        epochs = len(tail.epochs)
        best = max((r["val_accuracy"] for r in tail.epochs if r.get("val_accuracy") is not None), default=None)
        gap, weights_epoch = tail.epochs[-1].get("accuracy_gap"), None
    gap_text = points(gap)
    if gap is not None and weights_epoch is not None:
        # i18n: {gap} is a signed difference in points; {epoch}: the epoch the run's weights are from
        gap_text = _("{gap} (epoch {epoch})").format(gap=gap_text, epoch=integer(weights_epoch))
    return [(label(run.path), label(run.path).lower()), (run.preset, run.preset.lower()),
            (run.started, f"{run.started} {run.path.name}"), (status_text(run.status, tail), run.status),
            (MISSING if epochs is None else integer(epochs), number(epochs)), (percent(best), number(best)),
            (gap_text, number(gap)), (percent(run.test_accuracy), number(run.test_accuracy))]


def status_text(status: str, tail: MetricsTail | None = None) -> str:
    """A run's status in the words `main.py runs` uses; a running run whose last pause event is
    a Paused says paused."""
    moves = [e.get("event") for e in (tail.events if tail is not None else []) if e.get("event") in ("Paused", "Resumed")]
    if status == RUNNING and moves and moves[-1] == "Paused":
        status = PAUSED
    word = STATUS_WORDS.get(status)
    return _(word) if word else group_status(status)


def grew(tail: MetricsTail) -> bool:
    """Read a running run's new lines: whether an epoch or an event (a pause) came."""
    events = len(tail.events)
    return bool(tail.read()) or len(tail.events) != events


def experiment_texts(entry: ExperimentEntry) -> list[tuple[str, object]]:
    name = re.sub(rf"-{re.escape(entry.kind)}-[0-9a-f]{{6}}$", "", label(entry.path))  # as named, or renamed
    preset = entry.record.get("base", {}).get("run", {}).get("name", "")
    none = (MISSING, float("-inf"))
    done = len(entry.runs)
    if entry.planned is None:
        # i18n: {kind} is the experiment's kind as stored (cv, sweep, seeds, tour…), {name} its folder's name
        text = n_("{kind}: {name} ({count} run)", "{kind}: {name} ({count} runs)", done)
    else:
        # i18n: {count} runs done of the {planned} planned: "cv: seeds (2/5 runs)"; {kind} as stored (cv, sweep…)
        text = n_("{kind}: {name} ({count}/{planned} run)", "{kind}: {name} ({count}/{planned} runs)", entry.planned)
    text = text.format(kind=entry.kind, name=name, count=integer(done),
                       planned=integer(entry.planned or 0))
    return [(text, name.lower()), (preset, preset.lower()),
            (entry.started, f"{entry.started} {entry.path.name}"), (group_status(entry.status), entry.status),
            none, none, none, none]


RUN_SHARE = 0.55  # of the view, at least, for the Run column


class RunColumnFitter(QObject):
    """The Run column takes what the other columns leave, and RUN_SHARE of the view at least
    (the others then scroll beside it): at Larger text the other columns left it 'nu-i…'."""

    def __init__(self, tree, column: int):
        super().__init__(tree)
        self.tree, self.column = tree, column
        tree.header().sectionResized.connect(self._on_header_section_resized)
        tree.viewport().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    @Slot(int, int, int)
    def _on_header_section_resized(self, section: int, _old: int, _new: int) -> None:
        if section != self.column:
            self.fit()

    def fit(self) -> None:
        header, room = self.tree.header(), self.tree.viewport().width()
        others = sum(header.sectionSize(c) for c in range(header.count())
                     if c != self.column and not header.isSectionHidden(c))
        width = max(room - others, int(room * RUN_SHARE))
        if header.sectionSize(self.column) != width:
            header.resizeSection(self.column, width)
