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
from engine.core.config import Config, ConfigError
from engine.experiments.plans import cv_plan, tour_plan, transfer_plan, twin_config
from gui import dialogs
from gui.controllers.experiment_dialogs import CurveDialog, SearchDialog

TITLES = {"tour": "Remedy tour: overfit and each remedy as its twin (same data, model and seed)",
          "transfer": "Transfer: from scratch, random frozen, frozen and fine-tuned backbones as twins "
                      "(the same few examples, head and seed)"}


class Experiments:
    def __init__(self, window):
        self.w = window
        self.kind = ""  # of the job running, "" for a single run
        self.base: Config | None = None
        self.hint = ""  # said with "ready": experiments that can be resumed
        self.note = ""  # said in the Experiment tab's title: what the experiment changed (the panel's settings)
        self._panel_before = None  # (config, preset) the tour replaced while it shows each remedy

    def menu_entries(self) -> list:
        return [("Remedy tour (overfit, then each remedy as its twin)", self.tour, "Ctrl+T"),
                ("Compare with… (a twin of a run, with the panel's changes)", lambda: self.twin(), None),
                None,
                ("Transfer comparison (scratch, random frozen, frozen, fine-tune)", lambda: self.compare_transfer(), None),
                None,
                ("Hyperparameter search of the panel's settings…", lambda: self.search(), None),
                ("Attach to a study (another process or machine)…", lambda: self.attach_study(), None),
                None,
                ("Cross-validate the panel's settings…", lambda: self.cross_validate(), None),
                ("Learning curve…", lambda: self.learning_curve(), None),
                None,
                ("Resume an interrupted experiment…", lambda: self.resume(), None)]

    # ---- the runs browser --------------------------------------------------------------------
    def build_browser(self) -> None:
        """The Runs dock: every run folder; selected runs overlaid in the Experiment tab."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QDockWidget

        from gui.panels.runs_browser import RunsBrowser

        store = self.w.store
        self.browser = RunsBrowser(Path(self.w.runs_dir), added=store.run_folders())
        self.browser.roots_changed.connect(store.save_run_folders)
        dock = self.browser_dock = QDockWidget("Runs", self.w)
        dock.setObjectName("runs_dock")
        dock.setWidget(self.browser)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.w.tabifyDockWidget(self.w.dock, dock)
        self.w.dock.raise_()  # the settings first
        self.browser.selection_changed.connect(self.overlay)
        self.browser.open_requested.connect(self.open_settings)
        self.browser.twin_requested.connect(self.twin)
        self.browser.resume_requested.connect(self.resume)
        self.w.search_view.trial_opened.connect(self.show_run)
        self.w.search_view.settings_wanted.connect(self.open_settings)
        self.w.search_view.twin_wanted.connect(self.twin)
        self.w.search_view.test_wanted.connect(
            lambda path: self.w.evaluate_folder("test", str(path), "best" if (path / "best.safetensors").is_file()
                                                else "last"))
        resumable = self.browser.resumable()
        self.hint = (f"; {len(resumable)} experiment(s) can be resumed: select one in the Runs tab, press Resume"
                     if resumable else "")

    def overlay(self, paths: list) -> None:
        experiment = self.browser.selected_experiment()
        if experiment is not None:  # its own view: CV bands, a learning curve, the tour's overlay
            self.w.experiment_view.show_experiment(experiment.path, experiment.kind,
                                                   experiment.record.get("meta") or {},
                                                   TITLES.get(experiment.kind, experiment.name))
            self.w.show_tab(self.w.experiment_view)
        elif paths:
            self.w.experiment_view.show_runs([Path(p) for p in paths])
            self.w.show_tab(self.w.experiment_view)

    def show_run(self, path) -> None:
        """One run's curves (a search's trial, say) in the Experiment tab."""
        self.w.experiment_view.show_runs([Path(path)])
        self.w.show_tab(self.w.experiment_view)

    def open_settings(self, path) -> None:
        try:
            config = Config.from_dict(json.loads((Path(path) / "config.json").read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError, ConfigError) as exc:
            self.w.status.say(f"cannot open {path}: {exc}")
            return
        self.w.settings_panel.set_config(config, None)
        self.w.dock.raise_()
        self.w.status.say(f"settings of {Path(path).name} loaded: press Start to run them again, "
                          "or change one and use Experiments ▸ Compare with… for a twin")

    # ---- menu entries ------------------------------------------------------------------
    def tour(self, ask: bool = True) -> None:
        base, plan = tour_plan()
        try:
            seed = self.w.settings_panel.config().run.seed
        except ConfigError:
            seed = base.run.seed
        if ask and not dialogs.confirm(
                self.w, "Remedy tour", f"Train overfit and then each of {len(plan) - 1} remedies as its twin (the "
                f"same data, initial weights and data order; seed {seed}), one after another: about a minute "
                "each on a laptop. At the end the Experiment tab overlays them all.", "Start the tour"):
            return
        self._start(base.with_updates({"run.seed": seed}), plan, kind="tour", name="remedy",
                    say=f"remedy tour: overfit, then {len(plan) - 1} remedies as its twins (seed {seed})")

    def compare_transfer(self) -> None:
        """The four transfer modes as twins, with the panel's backbone (the `transfer`
        preset's when the panel uses none)."""
        from engine.core.config import load_preset

        config = self._panel_config()
        if config is None:
            return
        self.note = ""
        if config.model.backbone == "none":
            config = load_preset("transfer")
            self.w.settings_panel.set_config(config, "transfer")
            self.note = ("<br>The panel's settings trained no backbone: they were replaced by the "
                         f"<b>transfer</b> preset's ({config.model.backbone} backbone).")
        self._start(config, transfer_plan(), kind="transfer", name=config.run.name or "transfer",
                    say=("the panel had no backbone: the transfer preset's settings are loaded; " if self.note
                         else "") + f"transfer comparison: four runs from the {config.model.backbone} backbone "
                                    f"on {config.data.train_size} training images")

    def search(self, dialog: SearchDialog | None = None) -> None:
        """A hyperparameter search of the panel's settings, its study followed in the Search tab."""
        config = self._panel_config()
        if config is None:
            return
        interactive = dialog is None
        if interactive:  # one dialog, kept: what was typed survives a refusal or a second search
            studies = sorted(p.name for p in Path(self.w.runs_dir).glob("*/study.journal") for p in [p.parent])
            dialog = getattr(self, "_search_dialog", None) or SearchDialog(
                self.w, f"{config.run.name or 'search'}-search", studies)
            self._search_dialog = dialog
            dialog.fit_to(config)  # the command line's default space for these settings
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
        else:
            dialog.fit_to(config)
        try:
            settings = dialog.settings()
            name, url = dialog.name.currentText().strip() or "search", dialog.storage.text().strip() or None
        except ConfigError as exc:
            QMessageBox.warning(self.w, "Hyperparameter search", str(exc))
            if interactive:
                self.search()  # back to the dialog, as it was
            return
        folder = Path(self.w.runs_dir) / name

        def opened(storage) -> None:  # on the GUI thread again, the storage open or refused
            if isinstance(storage, Exception):
                QMessageBox.warning(self.w, "Hyperparameter search", str(storage))
                if interactive and isinstance(storage, ConfigError):
                    self.search()
                return
            self._start(config, [], kind="search", search=(settings, name, url), name=name,
                        say=f"search {name!r}: {settings.trials} trials of {', '.join(settings.space)}")
            self.w.search_view.attach(name, lambda: storage)
            self.w.show_tab(self.w.search_view)

        self.w.status.say(f"search {name!r}: opening its storage…")
        # A database may take up to its connect timeout to answer: never on the GUI thread.
        self.w.search_view.off_thread.submit(lambda: _open_storage(url, folder), opened)

    def attach_study(self) -> None:
        """Follow a study another process or machine runs: its folder (journal) or a URL."""
        from engine.search.storage import STUDY_FILE

        text, ok = QInputDialog.getText(self.w, "Attach to a study", "A study's folder, or a postgresql+psycopg:// "
                                        "URL followed by a space and the study's name:")
        if not ok or not text.strip():
            return
        parts = text.strip().split()
        try:
            if "://" in parts[0]:
                if len(parts) < 2:
                    raise ConfigError("study", text, "a URL and the study's name, separated by a space")
                url, folder, name = parts[0], None, parts[1]
            else:
                folder = Path(parts[0])
                if not (folder / STUDY_FILE).is_file():
                    raise ConfigError("study", str(folder), f"a study's folder (with {STUDY_FILE})")
                url, name = None, folder.name
        except ConfigError as exc:
            QMessageBox.warning(self.w, "Attach to a study", str(exc))
            return

        def opened(storage) -> None:  # on the GUI thread again
            if isinstance(storage, Exception):
                QMessageBox.warning(self.w, "Attach to a study", str(storage))
                return
            self.w.search_view.attach(name, lambda: storage)
            self.w.show_tab(self.w.search_view)

        self.w.search_view.off_thread.submit(lambda: _open_storage(url, folder, create=False), opened)

    def cross_validate(self, folds: int | None = None) -> None:
        config = self._panel_config()
        if config is None:
            return
        if folds is None:
            folds, ok = QInputDialog.getInt(self.w, "Cross-validate", "Folds (k):", 5, 2, 20)
            if not ok:
                return
        try:
            plan = cv_plan(folds)
            config.with_updates(plan[0])
        except ConfigError as exc:
            self.w.status.say(f"cannot cross-validate: {exc}")
            return
        self._start(config, plan, kind="cv", meta={"folds": folds}, name=config.run.name or "cv",
                    say=f"{folds}-fold cross-validation of the panel's settings")

    def learning_curve(self, dialog: CurveDialog | None = None) -> None:
        config = self._panel_config()
        if config is None:
            return
        if dialog is None:  # one dialog, kept: what was typed is there the next time
            dialog = self._curve_dialog = getattr(self, "_curve_dialog", None) or CurveDialog(self.w)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
        try:
            key, values, plan = dialog.plan(config.run.seed)
        except ConfigError as exc:
            QMessageBox.warning(self.w, "Learning curve", str(exc))
            return
        self._start(config, plan, kind="curve", meta={"over": key, "values": values, "seeds": dialog.seeds.value()},
                    name=config.run.name or "curve", say=f"learning curve over {key}: {len(plan)} runs")

    def twin(self, reference: Path | str | None = None) -> None:
        """Compare with…: a run identical to `reference` (same seed, initial weights, data
        order, augmentation draws) with the settings changed in the panel."""
        if reference is None:
            start = self.start_folder()
            reference = QFileDialog.getExistingDirectory(self.w, "Compare with which run?", start)
            if not reference:
                return
        reference = Path(reference)
        edited = self._panel_config()
        if edited is None:
            return
        try:
            ref_config = Config.from_dict(json.loads((reference / "config.json").read_text(encoding="utf-8")))
            edited = _unrounded(ref_config, edited)
            config = twin_config(ref_config, edited)
        except (OSError, json.JSONDecodeError, ConfigError) as exc:
            why = "it has no config.json" if isinstance(exc, OSError) else str(exc)
            self.w.error_dialog = dialogs.cannot(self.w, "Cannot compare with that folder",
                                                 f"{reference} is not a run folder Overfit Lab can read: {why}.\n\n"
                                                 "Choose a run's folder (one with config.json), or select a run in "
                                                 "the Runs tab and press Twin….")
            return
        self._start(config, [{}], kind="twin", notes={"twin_of": str(reference)},
                    say=f"twin of {reference.name}: same seed, same initial weights and data order")
        self.w.experiment_view.show_runs([reference], f"Twin runs: {reference.name} and its twin "
                                         "(same seed, initial weights and data order)")
        self.w.show_tab(self.w.experiment_view)

    def resume(self, folder: Path | str | None = None) -> None:
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self.w, "Resume which experiment?", self.start_folder())
            if not folder:
                return
        folder = Path(folder)
        try:
            record = json.loads((folder / "experiment.json").read_text(encoding="utf-8"))
            base = Config.from_dict(record["base"])
            if record.get("plan") is None:
                raise ValueError("its runs were proposed as it went")
        except (OSError, json.JSONDecodeError, KeyError, ConfigError, ValueError) as exc:
            why = "it has no experiment.json" if isinstance(exc, OSError) else str(exc)
            self.w.error_dialog = dialogs.cannot(
                self.w, "Cannot resume that folder", f"{folder} is not an experiment that can be resumed: {why}.\n\n"
                "Experiments (cross-validations, learning curves, tours) are the folders grouped with their runs "
                "in the Runs tab; select one and press Resume.")
            return
        self._start(base, [], kind="resume", resume_dir=folder, say=f"resuming {folder.name}: finished runs are kept")

    def start_folder(self) -> str:
        """Where a folder dialog opens: at the run selected in the Runs dock, else the current
        run's folder, else the runs folder."""
        selected = self.browser.selected_runs()
        chosen = self.browser.selected_experiment()
        return str((chosen.path if chosen else None) or (selected[0] if selected else None)
                   or self.w.exports.run_dir or self.w.runs_dir)

    # ---- the job -----------------------------------------------------------------------------
    def _panel_config(self) -> Config | None:
        self.w.settings_panel.commit_edits()
        try:
            return self.w.settings_panel.config()
        except ConfigError as exc:
            self.w.status.say(f"cannot start: {exc}")
            return None

    def _start(self, config: Config | None, plan: list, *, kind: str, say: str, **job) -> None:
        if not self.w.start_run(config=config, plan=plan or None, kind=kind if kind != "resume" else "experiment",
                                **job):
            return
        self.kind, self.base = kind, config
        if kind != "transfer":
            self.note = ""
        if kind == "tour":  # the panel shows each remedy as it trains; the user's settings come back after
            try:
                self._panel_before = (self.w.settings_panel.config(), self.w.settings_panel.preset_name())
            except ConfigError:
                self._panel_before = None
        self.w.status.say(say)

    def on_experiment_started(self, event: ev.ExperimentStarted) -> None:
        single = self.kind == ""  # Start: one run of the panel's settings
        self.kind = event.kind if self.kind != "twin" else "twin"
        if single and self.w.tabs.currentWidget() is self.w.experiment_view:
            self.w.show_tab(self.w.plots)  # not the last comparison: the run that trains now
        if event.experiment_dir is None:
            return
        view = self.w.experiment_view
        view.show_experiment(Path(event.experiment_dir), event.kind, event.meta,
                             TITLES.get(event.kind, "") + self.note)
        if event.kind in ("cv", "curve"):
            self.w.show_tab(view)  # the aggregate is the point; the run in progress is one tab away

    def on_trial_started(self, event: ev.TrialStarted) -> None:
        if self.kind == "twin" and event.run_dir:
            self.w.experiment_view.add_run(Path(event.run_dir), "twin")
        if self.kind == "tour":
            self._show_remedy(event)
        self._refresh_browser()

    def _show_remedy(self, event: ev.TrialStarted) -> None:
        """The tour's run in progress, in the panel and the status bar; `overfit` pinned as
        the Training tab's baseline, so every remedy is drawn against it."""
        name = event.changes.get("run.name", "")
        if self.base is not None:
            try:
                self.w.settings_panel.set_config(self.base.with_updates(event.changes), name)
                self.w.settings_panel.set_live(True)  # still training: what cannot change stays locked
            except ConfigError:
                pass
        if event.index == 0:
            self.w.plots.comparison.pin_running()
        what = "the baseline" if event.index == 0 else f"overfit + {name.replace('_', ' ')}"
        self.w.status.say(f"tour: running {name} ({what}), run {event.index + 1}")

    def on_run_finished(self, event: ev.RunFinished) -> None:
        """The Training tab's table: the weights the run ends with, and their epoch."""
        self.w.plots.comparison.ended_with(event.final_metrics)

    def _refresh_browser(self) -> None:
        """The Runs dock after a run folder appeared or an experiment changed state: a
        rescan on a thread of its own, not on the GUI thread at every trial start."""
        self.browser.rescan_soon()

    def on_experiment_finished(self, event: ev.ExperimentFinished) -> None:
        if event.experiment_dir is not None and self.kind in ("tour", "transfer", "resume", "experiment"):
            self.w.show_tab(self.w.experiment_view)  # every run overlaid, and their effects
        if event.experiment_dir is not None:
            self.w.status.say(f"experiment {event.reason.replace('_', ' ')}: {event.message}")
        self.kind = ""
        if self._panel_before is not None:  # the tour is over: the user's settings again
            config, preset = self._panel_before
            self._panel_before = None
            self.w.settings_panel.set_config(config, preset)
        self._refresh_browser()


def _open_storage(url: str | None, folder: Path | None, create: bool = True):
    """A study's storage, on the pool thread (a journal's folder made first when starting)."""
    from engine.search.storage import open_storage

    if url is None and create:
        folder.mkdir(parents=True, exist_ok=True)
    return open_storage(url, folder)


def _unrounded(reference: Config, edited: Config) -> Config:
    """`edited` with the reference's exact value wherever the panel only rounded it (a
    search's learning rate 0.00060314… shows as 0.000603): not a change a twin should make."""
    import math

    from engine.experiments.plans import differences

    same = {k: reference.get(k) for k, v in differences(reference, edited).items()
            if isinstance(v, float) and isinstance(reference.get(k), float)
            and math.isclose(v, reference.get(k), rel_tol=2e-3, abs_tol=1e-9)}
    return edited.with_updates(same) if same else edited
