"""The Runs dock: every run folder, beside the settings. Selected runs are overlaid in the
Experiment tab; a run's settings open in the panel; folder dialogs start at the selected run."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from engine.core.config import Config, ConfigError
from engine.core.i18n import N_, _, integer, n_
from engine.runs.reader import not_trained_here
from gui.panels.runs_browser import RunsBrowser

TITLES = {"tour": N_("Remedy tour: overfit and each remedy as its twin (same data, model and seed)"),
          "transfer": N_("Transfer: from scratch, random frozen, frozen and fine-tuned backbones as twins "
                         "(the same few examples, head and seed)")}  # translated where shown: _(TITLES[kind])


class RunsDock:
    """Handed the main window only as the place to dock into; what it shows and changes are
    the settings dock and panel, the Experiment tab (`experiment_view`, `show_tab`), the
    stored run folders (`store`), `say` for the status line and `current_run_dir`, a callable
    giving the folder of the run the window trained last (or None)."""

    def __init__(self, window, *, settings_dock, settings_panel, store, runs_dir, experiment_view, show_tab, say,
                 current_run_dir):
        self.settings_dock, self.settings_panel = settings_dock, settings_panel
        self.experiment_view, self.show_tab, self.say = experiment_view, show_tab, say
        self.runs_dir, self.current_run_dir = runs_dir, current_run_dir
        self.browser = RunsBrowser(Path(runs_dir), added=store.run_folders())
        self.browser.roots_changed.connect(store.save_run_folders)
        dock = self.dock = QDockWidget(_("Runs"), window)
        dock.setObjectName("runs_dock")
        dock.setWidget(self.browser)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        window.tabifyDockWidget(settings_dock, dock)
        settings_dock.raise_()  # the settings first
        self.browser.selection_changed.connect(self.overlay)
        self.browser.open_requested.connect(self.open_settings)
        resumable = self.browser.resumable()
        self.hint = ("; " + n_("{count} experiment can be resumed: select it in the Runs tab, press Resume",
                               "{count} experiments can be resumed: select one in the Runs tab, press Resume",
                               len(resumable)).format(count=integer(len(resumable)))
                     if resumable else "")  # said with "ready"

    def overlay(self, paths: list) -> None:
        experiment = self.browser.selected_experiment()
        if experiment is not None:  # its own view: CV bands, a learning curve, the tour's overlay
            self.experiment_view.show_experiment(experiment.path, experiment.kind,
                                                 experiment.record.get("meta") or {},
                                                 _(TITLES[experiment.kind]) if experiment.kind in TITLES
                                                 else experiment.name)
            self.show_tab(self.experiment_view)
        elif paths:
            self.experiment_view.show_runs([Path(p) for p in paths])
            self.show_tab(self.experiment_view)

    def show_run(self, path) -> None:
        """One run's curves (a search's trial, say) in the Experiment tab."""
        self.experiment_view.show_runs([Path(path)])
        self.show_tab(self.experiment_view)

    def open_settings(self, path) -> None:
        foreign = not_trained_here(path, _("training it again from the panel"))  # (its action is off, saying why)
        if foreign:
            self.say(_("settings not opened: {why}").format(why=foreign))
            return
        try:
            config = Config.from_dict(json.loads((Path(path) / "config.json").read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError, ConfigError) as exc:
            self.say(_("cannot open {path}: {why}").format(path=path, why=exc))
            return
        if not self.settings_panel.may_replace(_("Opening the settings of {run}").format(run=Path(path).name)):
            return
        self.settings_panel.set_config(config, None)
        self.settings_dock.raise_()
        self.say(_("settings of {run} loaded: press Start to run them again, "
                   "or change one and use Experiments ▸ Compare with… for a twin").format(run=Path(path).name))

    def start_folder(self, experiment: bool = False) -> str:
        """Where a folder or file dialog opens: at the run selected in the Runs dock, else the
        current run's folder, else the runs folder. For an `experiment` (Resume): at the
        experiment that holds that run (a cut-off experiment's last run is the current run),
        else the runs folder."""
        selected = self.browser.selected_runs()
        chosen = self.browser.selected_experiment()
        folder = ((chosen.path if chosen else None) or (selected[0] if selected else None)
                  or self.current_run_dir())
        if experiment and folder is not None:
            folder = next((p for p in (Path(folder), *Path(folder).parents) if (p / "experiment.json").is_file()),
                          None)
        return str(folder or self.runs_dir)

    def rescan_soon(self) -> None:
        """After a run folder appeared or an experiment changed state: a rescan on a thread of
        its own, not on the GUI thread at every trial start."""
        self.browser.rescan_soon()
