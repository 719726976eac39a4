"""The window's evaluations: of the run it just trained (validation as often as asked, the
locked test split once) and of any run folder; their reports go to the Evaluation tab."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QInputDialog

from engine.core import events as ev
from engine.core.applicability import OFFICIAL_TEST_SPLIT
from engine.core.i18n import C_, _, number
from engine.runs.reader import recorded_evaluation
from gui import dialogs
from gui.worker import RunHandle

log = logging.getLogger("overfit_lab")


class Evaluations(QObject):
    """Handed what it touches: the test and validate actions, the run state, the window's
    run session (the job to evaluate), the engine, the Evaluation tab and the toy boundary."""

    shown = Signal(object)  # an Evaluated report, once on screen
    failed = Signal(str)  # an evaluation that could not be done: its message

    def __init__(self, parent, *, actions, run_state, session, engine, tabs, panel, boundary, say, runs_dir):
        super().__init__(parent)
        self.parent_widget = parent  # for dialogs
        self.test_action, self.validate_action = actions["test"], actions["validate"]
        self.run_state, self.session, self.engine = run_state, session, engine
        self.tabs, self.panel, self.boundary, self.say, self.runs_dir = tabs, panel, boundary, say, runs_dir
        self.test_result: ev.Evaluated | None = None  # the current run's one test evaluation
        self.folder_job: RunHandle | None = None  # a run folder being evaluated
        self._label = _("run")
        self._dataset: str | None = None  # the evaluated run's dataset, where known
        self._source: RunHandle | None = None  # the job whose run the report shown is of
        self.notice = None  # the last note on a request that could not be done as asked
        panel.thumbnails_wanted.connect(self._on_thumbnails_wanted)
        session.job_retired.connect(self.new_run)

    @Slot()
    def new_run(self) -> None:
        self.test_result = None
        self.test_action.setText(_("Evaluate on test set"))

    def of_current_run(self, split: str) -> None:
        if split == "test" and self.test_result is not None:  # once: show the recorded result
            self.show(self.test_result)
            return
        job = self.session.handle
        if job is None or not (self.test_action if split == "test" else self.validate_action).isEnabled():
            return
        if split == "test":
            self.run_state.change(test_pending=True)  # one click opens the test split once
        self._label, self._source = self.session.run_label, job
        started = self.session.started_event
        self._dataset = started.dataset if started else None
        self.say(_("evaluating on the test set…") if split == "test" else _("evaluating on the validation split…"))
        self.engine.evaluate(job, split)

    def of_folder(self, split: str, path: str | None = None, weights: str | None = None) -> None:
        """A run folder (of this window, a headless run, another machine) evaluated on the
        engine thread; the test split once per run, as everywhere. Where the folder holds
        both best and last weights and none are named, the user picks."""
        w = self.parent_widget
        if path is None:
            path = QFileDialog.getExistingDirectory(w, _("Run folder to evaluate"), str(self.runs_dir))
        try:
            known = recorded_evaluation(path, "test") if path and split == "test" else None
        except OSError as exc:  # a damaged summary (UnreadableRun names the file and why)
            self.failed.emit(str(exc))
            return
        if known is not None:  # no choice to offer: the one test evaluation is on record
            self.notice = dialogs.cannot(
                w, _("Test split already evaluated"),
                # i18n: {weights} is the weights file's name: best or last
                _("{path}: its test split was evaluated once already, with the {weights} weights; "
                  "that result is shown. Evaluating it again, with any weights, would turn the test set "
                  "into a validation set.").format(path=path, weights=known.weights))
            # The job the gallery's pages come back to: the window keeps only its events.
            self.folder_job = RunHandle(run_dir=path)
            self._label, self._dataset, self._source = Path(path).name, None, self.folder_job
            self.on_evaluated(known, of_current_run=False)
            return
        if path and weights is None and all((Path(path) / f"{k}.safetensors").is_file() for k in ("best", "last")):
            choices = {C_("setting choice", "best"): "best", C_("setting choice", "last"): "last"}
            picked, ok = QInputDialog.getItem(w, _("Which weights?"), _("Evaluate the weights of"), list(choices),
                                              0, False)
            if not ok:
                return
            weights = choices.get(picked, picked)  # the file's name, whatever the language shows
        if path:
            self.folder_job = RunHandle(run_dir=path, weights=weights)
            self._label, self._dataset, self._source = Path(path).name, None, self.folder_job
            self.say((_("evaluating {path} on the test split…") if split == "test" else
                      _("evaluating {path} on the validation split…")).format(path=path))
            self.engine.evaluate(self.folder_job, split)

    def is_folder_job(self, number: int) -> bool:
        return self.folder_job is not None and number == self.folder_job.number

    def on_evaluated(self, result: ev.Evaluated, of_current_run: bool = True) -> None:
        if result.split == "test" and of_current_run:
            self.test_result = result
            self.test_action.setText(_("Show test result"))
            self.run_state.change(can_test=True, test_pending=False)  # now it shows the recorded result
        said = (_("test accuracy {accuracy}% (macro F1 {f1})") if result.split == "test" else
                _("validation accuracy {accuracy}% (macro F1 {f1})"))
        self.say(said.format(accuracy=number(result.accuracy * 100, 2), f1=number(result.macro_f1, 3)))
        if not result.image_data and of_current_run:
            self.boundary.mark_wrong(result.error_points)
        self.show(result)

    def show(self, result: ev.Evaluated) -> None:
        official = None if self._dataset is None else self._dataset in OFFICIAL_TEST_SPLIT
        self.panel.show_report(result, self._label, dataset_has_test_split=official)
        self.tabs.setTabEnabled(self.tabs.indexOf(self.panel), True)  # by object: tabs get inserted
        self.tabs.setCurrentWidget(self.panel)
        self.shown.emit(result)

    def _on_thumbnails_wanted(self, split: str, indices: list) -> None:
        if self._source is not None:
            self.engine.thumbnails(self._source, split, indices)

    def on_thumbnails(self, event: ev.Thumbnails) -> None:
        self.panel.show_thumbnails(event)

    def on_failed(self, event: ev.EvaluationFailed) -> None:
        log.warning("evaluation: %s", event.message)
        self.say(_("evaluation failed: {message}").format(message=event.message))
        self.run_state.change(test_pending=False)  # a test evaluation that failed can be asked again
        self.failed.emit(event.message)
