"""The window's evaluations: of the run it just trained (validation as often as asked, the
locked test split once) and of any run folder; their reports go to the Evaluation tab."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QInputDialog

from engine.core import events as ev
from engine.runs.reader import recorded_evaluation
from gui import dialogs
from gui.panels.settings import OFFICIAL_TEST_SPLIT
from gui.worker import RunHandle

log = logging.getLogger("overfit_lab")


class Evaluations(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.test_result: ev.Evaluated | None = None  # the current run's one test evaluation
        self.folder_job: RunHandle | None = None  # a run folder being evaluated
        self._label = "run"
        self._dataset: str | None = None  # the evaluated run's dataset, where known
        self._source: RunHandle | None = None  # the job whose run the report shown is of
        self.notice = None  # the last note on a request that could not be done as asked
        window.evaluation.thumbnails_wanted.connect(self._on_thumbnails_wanted)

    def new_run(self) -> None:
        self.test_result = None
        self.window.actions["test"].setText("Evaluate on test set")

    def of_current_run(self, split: str) -> None:
        w = self.window
        if split == "test" and self.test_result is not None:  # once: show the recorded result
            self.show(self.test_result)
            return
        if w.handle is None or not w.actions["test" if split == "test" else "validate"].isEnabled():
            return
        if split == "test":
            w.actions["test"].setEnabled(False)
        self._label, self._source = w.run_label, w.handle
        self._dataset = w.started_event.dataset if w.started_event else None
        w.status.say(f"evaluating on the {'test set' if split == 'test' else 'validation split'}…")
        w.engine.evaluate(w.handle, split)

    def of_folder(self, split: str, path: str | None = None, weights: str | None = None) -> None:
        """A run folder (of this window, a headless run, another machine) evaluated on the
        engine thread; the test split once per run, as everywhere. Where the folder holds
        both best and last weights and none are named, the user picks."""
        w = self.window
        if path is None:
            path = QFileDialog.getExistingDirectory(w, "Run folder to evaluate", str(w.runs_dir))
        known = recorded_evaluation(path, "test") if path and split == "test" else None
        if known is not None:  # no choice to offer: the one test evaluation is on record
            self.notice = dialogs.cannot(
                w, "Test split already evaluated",
                f"{path}: its test split was evaluated once already, with the {known.weights} weights; "
                "that result is shown. Evaluating it again, with any weights, would turn the test set "
                "into a validation set.")
            self._label, self._dataset, self._source = Path(path).name, None, RunHandle(run_dir=path)
            self.on_evaluated(known, of_current_run=False)
            return
        if path and weights is None and all((Path(path) / f"{k}.safetensors").is_file() for k in ("best", "last")):
            weights, ok = QInputDialog.getItem(w, "Which weights?", "Evaluate the weights of", ["best", "last"],
                                               0, False)
            if not ok:
                return
        if path:
            self.folder_job = RunHandle(run_dir=path, weights=weights)
            self._label, self._dataset, self._source = Path(path).name, None, self.folder_job
            w.status.say(f"evaluating {path} on the {'test' if split == 'test' else 'validation'} split…")
            w.engine.evaluate(self.folder_job, split)

    def is_folder_job(self, number: int) -> bool:
        return self.folder_job is not None and number == self.folder_job.number

    def on_evaluated(self, result: ev.Evaluated, of_current_run: bool = True) -> None:
        w = self.window
        if result.split == "test" and of_current_run:
            self.test_result = result
            w.run_state.can_test = True  # now it shows the recorded result
            w.actions["test"].setText("Show test result")
            w.run_state.update()
        split = "test" if result.split == "test" else "validation"
        w.status.say(f"{split} accuracy {result.accuracy:.2%} (macro F1 {result.macro_f1:.3f})")
        if not result.image_data and of_current_run:
            w.plots.boundary.mark_wrong(result.error_points)
        self.show(result)

    def show(self, result: ev.Evaluated) -> None:
        w = self.window
        w.exports.report = result
        official = None if self._dataset is None else self._dataset in OFFICIAL_TEST_SPLIT
        w.evaluation.show_report(result, self._label, dataset_has_test_split=official)
        w.tabs.setTabEnabled(w.tabs.indexOf(w.evaluation), True)  # by object: tabs get inserted
        w.tabs.setCurrentWidget(w.evaluation)
        w.test_shown.emit(result)

    def _on_thumbnails_wanted(self, split: str, indices: list) -> None:
        if self._source is not None:
            self.window.engine.thumbnails(self._source, split, indices)

    def on_thumbnails(self, event: ev.Thumbnails) -> None:
        self.window.evaluation.show_thumbnails(event)

    def on_failed(self, event: ev.EvaluationFailed) -> None:
        log.warning("evaluation: %s", event.message)
        self.window.status.say(f"evaluation failed: {event.message}")
        self.window.error_dialog = dialogs.evaluation_failed(self.window, event.message)
        self.window.run_state.update()
