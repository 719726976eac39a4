"""The Experiments menu of the window: the remedy tour, cross-validation, learning curves,
twin runs ("Compare with…") and resuming an interrupted experiment.

Each starts one job on the engine thread (a plan of runs; the window stays in its running
state until the whole plan has ended, and Pause / Stop reach the run in progress). The
Training tab shows each run live as usual; the Experiment tab follows the experiment's
folder: CV bands, a learning curve, or the runs overlaid."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QInputDialog,
    QMessageBox,
)

from engine.core import events as ev
from engine.core.config import Config, ConfigError, curve_section, preset_names
from engine.core.i18n import C_, N_, _, integer, n_
from engine.experiments.plans import cv_plan, tour_plan, transfer_plan, twin_config
from engine.runs.reader import not_trained_here
from gui import dialogs
from gui.controllers.experiment_dialogs import CurveDialog
from gui.controllers.runs_dock import TITLES

NEXT_RUN = N_("Next run of the plan")  # the menu entry's text (English: the key of window.menu_actions) (the window enables it only during a plan)
NEXT_RUN_KEY = "F6"  # beside F5 (presentation), F7 / F8 (a lesson's reveal, next step): free in the window

class Experiments:
    """Handed the parent of its dialogs, the settings panel, the plots (the Training tab's
    comparison), the Experiment tab and the tab widget, `say` for the status line,
    `start_run(config, plan, **job)` (the window's run session), the Runs dock (where folder
    dialogs open, rescanned as runs appear), the search controller (its menu entries) and
    the run session (its live job's control and the run state: Next run of the plan)."""

    def __init__(self, parent, *, settings_panel, plots, experiment_view, tabs, say, start_run, runs_dock,
                 searches_of, session):
        """`searches_of(start, panel_config)`: the search controller, handed this controller's own."""
        self.parent, self.panel, self.plots, self.view, self.tabs = parent, settings_panel, plots, experiment_view, tabs
        self.say, self.start_run, self.runs_dock, self.session = say, start_run, runs_dock, session
        self._runs = (0, None)  # (the run in progress's number, the plan's runs): what Next run says
        self.searches = searches_of(self.start, self.panel_config)
        self.kind = ""  # of the job running, "" for a single run
        self._twin_dir: Path | None = None  # a twin's folder, shown once its run starts
        self.base: Config | None = None
        self.note = ""  # said in the Experiment tab's title: what the experiment changed (the panel's settings)
        self.notice = None  # the last dialog saying why a request could not be done
        self._panel_before = None  # (config, preset) the tour replaced while it shows each remedy
        self._curve_dialog: CurveDialog | None = None  # one dialog, kept: what was typed is there the next time
        self._offered: dict | None = None  # the preset sweep last filled into the dialog

    def menu_entries(self) -> list:
        # Lambdas: a menu action's triggered(checked) would land in the first parameter.
        # The texts in English (the menu shows them translated, and keys its actions by them).
        return [(N_("Remedy tour (overfit, then each remedy as its twin)"), lambda: self.tour(), "Ctrl+T"),
                (NEXT_RUN, lambda: self.next_run(), NEXT_RUN_KEY),
                (N_("Compare with… (a twin of a run, with the panel's changes)"), lambda: self.twin(), None),
                None,
                (N_("Transfer comparison (scratch, random frozen, frozen, fine-tune)"), lambda: self.compare_transfer(),
                 None),
                None,
                (N_("Hyperparameter search of the panel's settings…"), lambda: self.searches.search(), None),
                (N_("Attach to a study (another process or machine)…"), lambda: self.searches.attach_study(), None),
                None,
                (N_("Cross-validate the panel's settings…"), lambda: self.cross_validate(), None),
                (N_("Learning curve…"), lambda: self.learning_curve(), None),
                None,
                (N_("Resume an interrupted experiment…"), lambda: self.resume(), None)]

    # ---- menu entries ------------------------------------------------------------------
    def search(self, dialog=None) -> None:
        """Experiments ▸ Hyperparameter search (gui/controllers/search.py)."""
        self.searches.search(dialog)

    def tour(self, ask: bool = True) -> None:
        base, plan = tour_plan()
        try:
            seed = self.panel.config().run.seed
        except ConfigError:
            seed = base.run.seed
        remedies = len(plan) - 2
        fields = {"count": integer(remedies), "seed": seed}  # (a seed is a name: no group separator)
        if ask and not dialogs.confirm(
                self.parent, _("Remedy tour"), n_(
                    "Train overfit and then {count} remedy as its twin (the same data, initial weights and data "
                    "order; seed {seed}), one after another, each with its preset's own settings (the panel's are "
                    "used for the seed alone), and last overfit again without the training examples its own "
                    "dynamics rank most suspect: about a minute and a half in all on an idle 2-core machine, longer "
                    "on a busy one. At the end the Experiment tab overlays them all.",
                    "Train overfit and then each of {count} remedies as its twin (the same data, initial weights and "
                    "data order; seed {seed}), one after another, each with its preset's own settings (the panel's "
                    "are used for the seed alone), and last overfit again without the training examples its own "
                    "dynamics rank most suspect: about a minute and a half in all on an idle 2-core machine, longer "
                    "on a busy one. At the end the Experiment tab overlays them all.", remedies).format(**fields),
                _("Start the tour")):
            return
        self.start(base.with_updates({"run.seed": seed}), plan, kind="tour", name="remedy",
                    say=n_("remedy tour: overfit, then {count} remedy as its twin and cleaned of its suspects "
                           "(seed {seed})", "remedy tour: overfit, then {count} remedies as its twins and cleaned of "
                           "its suspects (seed {seed})", remedies).format(**fields))

    def next_run(self) -> None:
        """Experiments ▸ Next run of the plan: the run in progress ends as stopped by the user
        (its best weights kept, its folder whole) and the plan goes on with its next run; the
        plan's last run ended ends the plan, completed. Disabled outside a plan of several runs."""
        job = self.session.live_job()
        if job is None or not job[1] or not self.session.run_state.plan:
            self.say(_("no plan of several runs is training: there is no next run to go on with"))
            return
        number, planned = self._runs
        if not job[0].end_run(number or None):  # the run shown is over: the next is not ended for it
            self.say(_("run {number} has ended already: the plan goes on with its next run").format(number=number))
            return
        self.say((_("ending run {number}, the plan's last: the plan ends with it") if planned and number >= planned
                  else _("ending run {number}: the plan goes on with its next run")).format(number=number))

    def compare_transfer(self) -> None:
        """The four transfer modes as twins, with the panel's backbone (the `transfer`
        preset's when the panel uses none)."""
        from engine.core.config import load_preset

        config = self.panel_config()
        if config is None:
            return
        self.note = ""
        if config.model.backbone == "none":
            config = load_preset("transfer")
            self.panel.set_config(config, "transfer")
            self.note = "<br>" + _("The panel's settings trained no backbone: they were replaced by the "
                                   "<b>transfer</b> preset's ({backbone} backbone).").format(backbone=config.model.backbone)
        size = config.data.train_size
        said = (n_("the panel had no backbone: the transfer preset's settings are loaded; transfer comparison: four "
                   "runs from the {backbone} backbone on {count} training image", "the panel had no backbone: the "
                   "transfer preset's settings are loaded; transfer comparison: four runs from the {backbone} "
                   "backbone on {count} training images", size) if self.note else
                n_("transfer comparison: four runs from the {backbone} backbone on {count} training image",
                   "transfer comparison: four runs from the {backbone} backbone on {count} training images", size))
        self.start(config, transfer_plan(), kind="transfer", name=config.run.name or "transfer",
                    say=said.format(backbone=config.model.backbone, count=integer(size)))

    def cross_validate(self, folds: int | None = None) -> None:
        config = self.panel_config()
        if config is None:
            return
        if folds is None:
            folds, ok = QInputDialog.getInt(self.parent, _("Cross-validate"), _("Folds (k):"), 5, 2, 20)
            if not ok:
                return
        try:
            plan = cv_plan(folds)
            config.with_updates(plan[0])
        except ConfigError as exc:
            self.say(_("cannot cross-validate: {why}").format(why=exc))
            return
        self.start(config, plan, kind="cv", meta={"folds": folds}, name=config.run.name or "cv",
                    say=_("{folds}-fold cross-validation of the panel's settings").format(folds=integer(folds)))

    def learning_curve(self, dialog: CurveDialog | None = None) -> None:
        config = self.panel_config()
        if config is None:
            return
        if dialog is None:  # one dialog, kept: what was typed is there the next time
            dialog = self._curve_dialog = self._curve_dialog or CurveDialog(self.parent)
            preset = self.panel.preset_name()
            sweep = curve_section(preset=preset) if preset in preset_names() else None
            if sweep is not None and sweep != self._offered:  # a preset with a sweep of its own: offered
                dialog.offer(sweep)
                self._offered = sweep
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
        try:
            key, values, plan = dialog.plan(config.run.seed)
        except ConfigError as exc:
            QMessageBox.warning(self.parent, _("Learning curve"), str(exc))
            return
        self.start(config, plan, kind="curve", meta={"over": key, "values": values, "seeds": dialog.seeds.value()},
                    name=config.run.name or "curve", say=n_("learning curve over {key}: {count} run",
                                                            "learning curve over {key}: {count} runs",
                                                            len(plan)).format(key=key, count=integer(len(plan))))

    def twin(self, reference: Path | str | None = None) -> None:
        """Compare with…: a run identical to `reference` (same seed, initial weights, data
        order, augmentation draws) with the settings changed in the panel."""
        if reference is None:
            start = self.runs_dock.start_folder()
            reference = QFileDialog.getExistingDirectory(self.parent, _("Compare with which run?"), start)
            if not reference:
                return
        reference = Path(reference)
        if foreign := not_trained_here(reference, _("a twin of it")):  # a script's run, an import: not the app's to train
            self.notice = dialogs.cannot(self.parent, _("Cannot compare with that run"), foreign)
            return
        edited = self.panel_config()
        if edited is None:
            return
        try:
            ref_config = Config.from_dict(json.loads((reference / "config.json").read_text(encoding="utf-8")))
            edited = _unrounded(ref_config, edited)
            config = twin_config(ref_config, edited)
        except (OSError, json.JSONDecodeError, ConfigError) as exc:
            why = _("it has no config.json") if isinstance(exc, OSError) else str(exc)
            self.notice = dialogs.cannot(self.parent, _("Cannot compare with that folder"),
                                         _("{path} is not a run folder Overfit Lab can read: {why}.\n\n"
                                           "Choose a run's folder (one with config.json), or select a run in "
                                           "the Runs tab and press Twin….").format(path=reference, why=why))
            return
        if not self.start(config, [{}], kind="twin", notes={"twin_of": str(reference)}, beside=reference,
                          say=_("twin of {run}: same seed, same initial weights and data order").format(
                              run=reference.name)):
            return  # (the window said why: a run is live, say)
        self.view.show_runs([reference], _("Twin runs: {run} and its twin (same seed, initial weights and data "
                                           "order)").format(run=reference.name))
        self.tabs.setCurrentWidget(self.view)

    def resume(self, folder: Path | str | None = None) -> None:
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self.parent, _("Resume which experiment?"),
                                                      self.runs_dock.start_folder(experiment=True))
            if not folder:
                return
        folder = Path(folder)
        try:
            record = json.loads((folder / "experiment.json").read_text(encoding="utf-8"))
            base = Config.from_dict(record["base"])
            if record.get("plan") is None:
                raise ValueError(_("its runs were proposed as it went"))
        except (OSError, json.JSONDecodeError, KeyError, ConfigError, ValueError) as exc:
            why = _("it has no experiment.json") if isinstance(exc, OSError) else str(exc)
            self.notice = dialogs.cannot(
                self.parent, _("Cannot resume that folder"), _(
                    "{path} is not an experiment that can be resumed: {why}.\n\n"
                    "Experiments (cross-validations, learning curves, tours) are the folders grouped with their runs "
                    "in the Runs tab; select one and press Resume.").format(path=folder, why=why))
            return
        self.start(base, [], kind="resume", resume_dir=folder,
                   say=_("resuming {run}: finished runs are kept").format(run=folder.name))

    # ---- the job -----------------------------------------------------------------------------
    def panel_config(self) -> Config | None:
        self.panel.commit_edits()
        try:
            return self.panel.config()
        except ConfigError as exc:
            self.say(_("cannot start: {why}").format(why=exc))
            return None

    def start(self, config: Config | None, plan: list, *, kind: str, say: str, **job) -> bool:
        """Start the plan; False where the window would not (busy, refused: it has said why)."""
        if not self.start_run(config=config, plan=plan or None, kind=kind if kind != "resume" else "experiment",
                                **job):
            return False
        self.kind, self.base = kind, config
        if kind != "transfer":
            self.note = ""
        self.say(say)
        return True

    def on_experiment_started(self, event: ev.ExperimentStarted) -> None:
        single = self.kind == ""  # Start: one run of the panel's settings
        # A plan of several runs can be stepped (a search's trials come from results: Stop ends it).
        self._runs = (0, event.planned_trials)
        self.session.run_state.change(plan=(event.planned_trials or 0) > 1 and event.kind != "search")
        if event.kind == "tour" and self._panel_before is None:  # a tour, or a resumed one:
            try:  # the panel shows each remedy as it trains; the user's settings come back after
                self._panel_before = (self.panel.config(), self.panel.preset_name())
            except ConfigError:
                self._panel_before = None
        self.kind = event.kind if self.kind != "twin" else "twin"
        if single and self.tabs.currentWidget() is self.view:
            self.tabs.setCurrentWidget(self.plots)  # not the last comparison: the run that trains now
        if event.experiment_dir is None:
            return
        view = self.view
        view.show_experiment(Path(event.experiment_dir), event.kind, event.meta,
                             (_(TITLES[event.kind]) if event.kind in TITLES else "") + self.note)
        if event.kind in ("cv", "curve"):
            self.tabs.setCurrentWidget(view)  # the aggregate is the point; the run in progress is one tab away

    def on_trial_started(self, event: ev.TrialStarted) -> None:
        self._runs = (event.index + 1, self._runs[1])
        self._twin_dir = Path(event.run_dir) if self.kind == "twin" and event.run_dir else None
        if self.kind == "tour":
            self._show_remedy(event)
        self.runs_dock.rescan_soon()

    def _show_remedy(self, event: ev.TrialStarted) -> None:
        """The tour's run in progress, in the panel and the status bar; `overfit` pinned as
        the Training tab's baseline, so every remedy is drawn against it."""
        name = event.changes.get("run.name", "")
        if self.base is not None:
            try:
                # What trains: the base, the user's live edits carried so far, the remedy's own changes.
                self.panel.set_config(self.base.with_updates({**event.live_edits, **event.changes}), name)
                self.panel.set_live(True)  # still training: what cannot change stays locked
            except ConfigError:
                pass
        if event.index == 0:
            self.plots.comparison.pin_running()
        removed = event.changes.get("data.remove")
        what = (_("the baseline") if event.index == 0 else
                n_("overfit without its {count} most suspect example", "overfit without its {count} most suspect "
                   "examples", len(removed)).format(count=integer(len(removed))) if removed else
                _("overfit + {remedy}").format(remedy=name.replace("_", " ")))
        # i18n: {name} is the remedy's preset (dropout…); {what} "the baseline" or what it changes
        self.say(_("tour: running {name} ({what}), run {number}").format(name=name, what=what, number=event.index + 1))

    def on_run_started(self, _event: ev.RunStarted) -> None:
        """A twin's row once it really trains (one refused before, its data changed say, left an
        empty row)."""
        if self._twin_dir is not None:
            # i18n: the label of a twin run (the run it copies, with the panel's changes) in the Experiment tab
            self.view.add_run(self._twin_dir, C_("noun", "twin"))
            self._twin_dir = None

    def on_run_finished(self, event: ev.RunFinished) -> None:
        """The Training tab's table: the weights the run ends with, and their epoch."""
        self.plots.comparison.ended_with(event.final_metrics)

    def on_experiment_finished(self, event: ev.ExperimentFinished) -> None:
        self.session.run_state.change(plan=False)
        if event.experiment_dir is not None and self.kind in ("tour", "transfer", "resume", "experiment"):
            self.tabs.setCurrentWidget(self.view)  # every run overlaid, and their effects
        if event.experiment_dir is not None:
            said = {ev.COMPLETED: _("experiment completed: {message}"), ev.FAILED: _("experiment failed: {message}"),
                    ev.USER_STOPPED: _("experiment user stopped: {message}"),
                    ev.EARLY_STOPPED: _("experiment stopped early: {message}"),
                    ev.DIVERGED: _("experiment diverged: {message}")}.get(event.reason)
            self.say((said or _("experiment ended: {message}")).format(message=event.message))
        self.kind = ""
        if self._panel_before is not None:  # the tour is over: the user's settings again
            config, preset = self._panel_before
            self._panel_before = None
            self.panel.set_config(config, preset)
        self.runs_dock.rescan_soon()


def _unrounded(reference: Config, edited: Config) -> Config:
    """`edited` with the reference's exact value wherever the panel only rounded it (a
    search's learning rate 0.00060314… shows as 0.000603): not a change a twin should make."""
    import math

    from engine.experiments.plans import differences

    same = {k: reference.get(k) for k, v in differences(reference, edited).items()
            if isinstance(v, float) and isinstance(reference.get(k), float)
            and math.isclose(v, reference.get(k), rel_tol=2e-3, abs_tol=1e-9)}
    return edited.with_updates(same) if same else edited
