"""Experiments in the real window: CV bands, learning curves, the tour, twins, resume."""

import json

import numpy as np
import pytest

from engine.core import events as ev
from engine.experiments.experiment import Experiment
from engine.experiments.plans import cv_plan
from gui.window.run_state import IDLE, RUNNING
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import StopAtRun, tiny_config


def experiment_folders(window):
    return [p for p in window.runs_dir.iterdir() if (p / "experiment.json").is_file()]


def finish(qtbot, window):
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    window.experiment_view.tick()


def test_cross_validation_runs_every_fold_and_shows_the_band_and_table(qtbot, window):
    window.settings_panel.set_config(tiny_config({"data.train_size": 120, "optim.epochs": 3}))
    window.experiments.cross_validate(3)
    assert window.state == RUNNING
    seen_runs, busy_between_folds = [], []
    window.run_ended.connect(seen_runs.append)
    # Read as each fold after the first starts (not after the fact: three tiny folds end fast).
    window.run_started.connect(lambda _e: busy_between_folds.append(window.state == RUNNING
                                                                    and not window.actions["start"].isEnabled()))
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.experiment_view, timeout=RUN_TIMEOUT)
    finish(qtbot, window)
    assert busy_between_folds and all(busy_between_folds)  # Start stays disabled between folds
    assert len(seen_runs) == 1 and seen_runs[0].reason == ev.COMPLETED  # one end: the plan's
    view = window.experiment_view
    assert view.mode == "cv" and len(view.runs) == 3
    assert [view.cell(i, 0) for i in range(1, 4)] == ["0", "1", "2"]
    assert view.cell(0, 0) == "mean ± sd (3)" and "±" in view.cell(0, 1)
    finals = [r.outcome().val_accuracy for r in view.runs]
    assert view.cell(0, 1) == f"{np.mean(finals) * 100:.1f} ± {np.std(finals, ddof=1) * 100:.1f}"
    items = view.plots["accuracy"].getPlotItem().listDataItems()
    assert any(i.name() == "validation mean ± sd" for i in items)
    before = len(items)
    view.per_fold.setChecked(True)  # thin per-fold curves on a toggle
    assert len(view.plots["accuracy"].getPlotItem().listDataItems()) == before + 3
    (folder,) = experiment_folders(window)
    assert json.loads((folder / "experiment.json").read_text())["status"] == ev.COMPLETED


def test_stop_during_cv_keeps_the_finished_folds_and_resume_completes_it(qtbot, window, monkeypatch):
    asked = []
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: asked.append(a[1]) or True)
    window.settings_panel.set_config(tiny_config({"data.train_size": 120, "optim.epochs": 200}))
    window.experiments.cross_validate(3)
    qtbot.waitUntil(lambda: window.plots.step_loss.n > 0, timeout=RUN_TIMEOUT)
    window.actions["stop"].trigger()
    finish(qtbot, window)
    (folder,) = experiment_folders(window)
    record = json.loads((folder / "experiment.json").read_text())
    assert record["status"] == ev.USER_STOPPED and record["trials"][0]["status"] == ev.USER_STOPPED
    stopped_dir = record["trials"][0]["run_dir"]
    window.experiments.resume(folder)
    assert window.state == RUNNING
    qtbot.waitUntil(lambda: window.started_event is not None, timeout=RUN_TIMEOUT)
    window.actions["stop"].trigger()  # a resume stops like any run
    finish(qtbot, window)
    record = json.loads((folder / "experiment.json").read_text())
    assert record["trials"][0]["abandoned"] == [stopped_dir]  # the stopped fold's folder is kept, listed
    assert asked == ["Stop the experiment?"] * 2  # a stop of an experiment is confirmed first
    assert len(record["trials"]) == 1 and record["status"] == ev.USER_STOPPED


def test_resume_in_the_window_keeps_finished_runs(qtbot, window):
    from engine.core.control import RunControl

    control = RunControl()
    first = Experiment(tiny_config(), cv_plan(2), control=control, subscribers=[StopAtRun(control, 2)],
                       runs_dir=window.runs_dir, name="cv", kind="cv", meta={"folds": 2}).run()
    window.experiments.resume(first.path)
    finish(qtbot, window)
    record = json.loads((first.path / "experiment.json").read_text())
    assert record["status"] == ev.COMPLETED and record["trials"][0]["run_dir"] == first.trials[0].run_dir.name
    view = window.experiment_view
    assert view.mode == "cv" and [r.path for r in view.runs][0] == first.trials[0].run_dir
    assert view.cell(0, 0) == "mean ± sd (2)"


def test_a_resumed_tour_gives_the_panel_back_as_the_user_had_it(qtbot, window):
    from engine.core.control import RunControl
    from engine.experiments.plans import tour_plan

    base, plan = tour_plan()
    small = base.with_updates({"data.train_size": 120, "data.val_size": 120, "model.width": 16, "optim.epochs": 1})
    control = RunControl()
    first = Experiment(small, plan[:3], control=control, subscribers=[StopAtRun(control, 2)],
                       runs_dir=window.runs_dir, name="remedy", kind="tour").run()
    mine = tiny_config({"regularization.dropout": 0.45})
    window.settings_panel.set_config(mine)
    window.experiments.resume(first.path)
    finish(qtbot, window)
    assert window.settings_panel.config().regularization.dropout == 0.45  # the user's, not a remedy's


def test_a_learning_curve_plots_accuracy_against_size(qtbot, window):
    from gui.controllers.experiment_dialogs import CurveDialog

    window.settings_panel.set_config(tiny_config({"optim.epochs": 2}))
    dialog = CurveDialog(window)
    dialog.values.setText("64, 128")
    dialog.seeds.setValue(2)
    dialog.accept()
    window.experiments.learning_curve(dialog)
    finish(qtbot, window)
    view = window.experiment_view
    assert view.mode == "curve" and len(view.runs) == 4
    assert [view.cell(i, 0) for i in range(2)] == ["64", "128"] and view.cell(0, 1) == "2"
    assert view.plots["accuracy"].getPlotItem().getAxis("bottom").logMode  # sizes on a log axis
    (folder,) = experiment_folders(window)
    sizes = sorted(json.loads((p / "config.json").read_text())["data"]["train_size"]
                   for p in folder.iterdir() if p.is_dir())
    assert sizes == [64, 64, 128, 128]


def test_a_bad_learning_curve_value_is_named_and_nothing_starts(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from gui.controllers.experiment_dialogs import CurveDialog

    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    dialog = CurveDialog(window)
    dialog.values.setText("100, -5")
    dialog.accept()
    window.experiments.learning_curve(dialog)
    assert window.state == IDLE and said and "data.train_size = -5" in said[0]


def test_the_tour_from_its_menu_entry_asks_first_and_a_no_starts_nothing(qtbot, window, monkeypatch):
    asked = []
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: asked.append(a[1]) or False)
    window.menu_actions["Remedy tour (overfit, then each remedy as its twin)"].trigger()
    assert asked == ["Remedy tour"] and window.state == IDLE and window.actions["start"].isEnabled()


def test_the_tour_overlays_every_run_and_tabulates_each_remedys_effect(qtbot, window, monkeypatch):
    import engine.experiments.plans as plans

    small = {"data.train_size": 200, "data.val_size": 200, "model.width": 32, "optim.epochs": 2,
             "run.device": "cpu"}
    original = plans.tour_plan
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: True)
    monkeypatch.setattr("gui.controllers.experiments.tour_plan",
                        lambda: (lambda base, plan: (base.with_updates(small), plan))(*original()))
    shown = []  # what the settings panel says as each run starts
    window.run_started.connect(lambda _e: shown.append(window.settings_panel.preset_name()))
    window.menu_actions["Remedy tour (overfit, then each remedy as its twin)"].trigger()
    finish(qtbot, window)
    assert shown == ["overfit", "dropout", "weight_decay", "augmentation", "early_stopping", "all_remedies", None]
    table = window.plots.table  # the Training tab keeps overfit, pinned, while the others come and go
    assert table.item(0, 0).text().endswith("overfit") and table.item(0, 4).checkState().name == "Checked"
    assert "(epoch " in table.item(table.rowCount() - 1, 2).text()  # the weights' epoch
    view = window.experiment_view
    assert window.tabs.currentWidget() is view and view.mode == "overlay"
    names = [view.cell(i, 0) for i in range(7)]
    assert names == ["overfit", "dropout", "weight_decay", "augmentation", "early_stopping", "all_remedies", "cleaned"]
    assert view.cell(0, 4) == "–" and view.cell(1, 4).endswith("pts")  # effects against overfit
    assert [i.name() for i in view.plots["accuracy"].getPlotItem().listDataItems() if i.name()] == names
    assert all(f"&nbsp;{name}" in view.legend.text() for name in names)  # one legend for the three plots
    seeds = {json.loads((r.path / "config.json").read_text())["run"]["seed"] for r in view.runs}
    assert len(seeds) == 1  # twins


def test_compare_with_starts_a_twin_and_overlays_both(qtbot, window):
    from engine.runs.reader import list_runs

    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    (reference,) = list_runs(window.runs_dir)
    window.settings_panel.set_value("regularization.dropout", 0.5)
    window.settings_panel.set_value("run.seed", 42)  # the twin keeps the reference's seed anyway
    window.experiments.twin(reference)
    finish(qtbot, window)
    view = window.experiment_view
    assert [r.path for r in view.runs][0] == reference and len(view.runs) == 2
    twin = view.runs[1].path
    config = json.loads((twin / "config.json").read_text())
    assert config["regularization"]["dropout"] == 0.5 and config["run"]["seed"] == 0
    assert json.loads((twin / "summary.json").read_text())["twin_of"] == str(reference)
    diff_rows = [view.cell(i, 0, view.diff) for i in range(view.diff.rowCount())]
    assert diff_rows == ["regularization.dropout"]


@pytest.mark.parametrize("folder_kind", ["missing", "plain"])
def test_resuming_something_that_is_no_experiment_says_so(qtbot, window, tmp_path, folder_kind):
    folder = tmp_path / "x"
    if folder_kind == "plain":
        folder.mkdir()
    window.experiments.resume(folder)
    finish(qtbot, window)
    assert window.state == IDLE and str(folder) in window.experiments.notice.text()
    assert "not an experiment" in window.experiments.notice.text()


def test_the_experiments_menu_starts_a_cross_validation(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    asked = []
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: asked.append(a) or (2, True))
    window.menu_actions["Cross-validate the panel's settings…"].trigger()  # triggered(checked) ignored
    assert asked and window.state == RUNNING and window.experiments.kind == "cv"
    finish(qtbot, window)
    (folder,) = experiment_folders(window)
    assert json.loads((folder / "experiment.json").read_text())["meta"] == {"folds": 2}


def test_a_stop_that_is_not_confirmed_goes_on_and_the_tour_asks_first(qtbot, window, monkeypatch):
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: False)
    window.experiments.tour()
    assert window.state == IDLE  # not confirmed: nothing started
    window.settings_panel.set_config(tiny_config({"data.train_size": 120, "optim.epochs": 200}))
    window.experiments.cross_validate(2)
    qtbot.waitUntil(lambda: window.plots.step_loss.n > 0, timeout=RUN_TIMEOUT)
    window.actions["stop"].trigger()
    assert window.state == RUNNING
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: True)
    window.actions["stop"].trigger()
    finish(qtbot, window)


def test_selecting_an_experiment_in_the_runs_dock_shows_its_own_view(qtbot, window):
    first = Experiment(tiny_config(), cv_plan(2), runs_dir=window.runs_dir, name="cv", kind="cv",
                       meta={"folds": 2}).run()
    from tests.gui.test_runs_browser import select

    browser = window.runs_dock.browser
    browser.actions_by_name["refresh"].trigger()
    select(browser, first.path)
    view = window.experiment_view
    assert view.mode == "cv" and window.tabs.currentWidget() is view
    view.tick()
    assert view.cell(0, 0) == "mean ± sd (2)"


def test_the_transfer_comparison_trains_four_modes_as_twins_and_overlays_them(qtbot, window):
    from engine.core.config import load_preset

    window.settings_panel.set_config(load_preset("transfer").with_updates(
        {"optim.epochs": 2, "data.val_size": 200, "run.device": "cpu"}), "transfer")
    window.experiments.compare_transfer()
    finish(qtbot, window)
    view = window.experiment_view
    assert window.tabs.currentWidget() is view and view.mode == "overlay"
    assert [view.cell(i, 0) for i in range(4)] == ["scratch", "random_frozen", "frozen", "finetune"]
    assert view.cell(1, 4).endswith("pts")  # each against training from scratch
    modes = [json.loads((r.path / "config.json").read_text())["model"]["transfer"] for r in view.runs]
    assert modes == ["scratch", "random_frozen", "frozen", "finetune"]
    assert "Highest validation accuracy" in view.title.text()


def test_the_transfer_settings_have_tooltips_that_say_why():
    from engine.core.config import field_info

    assert "lower learning rate" in field_info("model.transfer").metadata["help"]
    assert "protect" in field_info("model.backbone_lr_scale").metadata["help"]


def test_settings_that_do_not_apply_to_a_backbone_are_greyed_out_saying_why(window):
    from engine.core.config import load_preset

    panel = window.settings_panel
    panel.set_config(load_preset("transfer"), "transfer")
    w = panel.widgets
    assert not w["model.width"].isEnabled() and "replace" in w["model.width"].toolTip()
    assert w["model.backbone_lr_scale"].isEnabled() and w["regularization.augment_hflip"].isEnabled()
    panel.set_value("model.transfer", "frozen")
    panel._emit("model.transfer")
    assert not w["regularization.augment_hflip"].isEnabled()
    assert "computed once" in w["regularization.augment_hflip"].toolTip()
    assert not w["model.backbone_lr_scale"].isEnabled()
    panel.set_config(load_preset("overfit"), "overfit")
    assert w["model.width"].isEnabled() and not w["model.transfer"].isEnabled()


def test_a_search_in_the_window_runs_its_trials_and_the_search_tab_follows_the_study(qtbot, window):
    from gui.controllers.experiment_dialogs import SearchDialog

    window.settings_panel.set_config(tiny_config({"optim.epochs": 3}))
    dialog = SearchDialog(window, "tiny-search")
    dialog.trials.setValue(3)
    dialog.params["model.width"].setChecked(False)
    window.experiments.search(dialog)
    qtbot.waitUntil(lambda: window.state == RUNNING, timeout=RUN_TIMEOUT)  # the storage opened off the GUI thread
    assert window.tabs.currentWidget() is window.search_view
    finish(qtbot, window)
    view = window.search_view
    view.refresh()
    # every trial ended in the table (a trial's row can say running a refresh after the plan's end)
    qtbot.waitUntil(lambda: (view.refresh() or True) and view.table.rowCount() == 3 and "complete" in view.title.text()
                    and "running" not in {view.cell(i, 1) for i in range(3)}, timeout=RUN_TIMEOUT)
    assert {view.cell(i, 1) for i in range(3)} <= {"complete", "pruned"}
    headers = [view.table.horizontalHeaderItem(i).text() for i in range(view.table.columnCount())]
    assert headers[:2] == ["trial", "state"] and "lr" in headers and "width" not in headers
    # one validation curve per trial, drawn in the event loop's turn after the table
    qtbot.waitUntil(lambda: len(view.plots["curves"].getPlotItem().listDataItems()) == 3, timeout=5000)
    assert "Study tiny-search" in view.title.text()
    assert (window.runs_dir / "tiny-search" / "study.journal").is_file()
    opened = []
    view.trial_opened.connect(opened.append)
    view._on_table_double_clicked(0, 0)
    assert opened and (opened[0] / "config.json").is_file()
    assert view.best_on_test.isEnabled()
    view.best_on_test.click()  # once, at the end: the best trial's weights on the locked test split
    best = view.best_run_dir()
    qtbot.waitUntil(lambda: "test" in json.loads((best / "summary.json").read_text()), timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.evaluation, timeout=RUN_TIMEOUT)


def test_a_bad_storage_url_is_named_before_anything_starts(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from gui.controllers.experiment_dialogs import SearchDialog

    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    dialog = SearchDialog(window)
    dialog.storage.setText("postgresql+psycopg://me:secret@127.0.0.1:1/none")
    window.experiments.search(dialog)
    qtbot.waitUntil(lambda: bool(said), timeout=RUN_TIMEOUT)  # the storage is opened off the GUI thread
    assert window.state == IDLE and "storage" in said[0] and "secret" not in said[0]


def test_attaching_to_a_study_two_worker_processes_filled_shows_every_trial(qtbot, window, monkeypatch, tmp_path):
    import subprocess
    import sys

    from PySide6.QtWidgets import QInputDialog

    from tests.engine.test_cli import ROOT

    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "search", "--preset", "overfit", "--set",
                           "data.train_size=200", "--set", "data.val_size=200", "--set", "optim.epochs=2",
                           "--trials", "4", "--workers", "2", "--study", "shared", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (str(tmp_path / "shared"), True))
    window.experiments.searches.attach_study()
    view = window.search_view
    qtbot.waitUntil(lambda: bool(view.trials), timeout=RUN_TIMEOUT)  # read off the GUI thread
    assert window.tabs.currentWidget() is view and view.table.rowCount() == len(view.trials)
    assert sum(t.state.name in ("COMPLETE", "PRUNED") for t in view.trials) == 4  # the budget, exactly
    assert len({t.user_attrs["pid"] for t in view.trials}) == 2  # trials from both workers


def test_the_search_dialog_checks_each_range_against_the_setting(window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from gui.controllers.experiment_dialogs import SearchDialog

    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    dialog = SearchDialog(window, "ranges", ["older-study"])
    assert [dialog.name.itemText(i) for i in range(dialog.name.count())] == ["ranges", "older-study"]
    dialog.ranges["regularization.dropout"].setText("0.1, 1.5")
    window.experiments.search(dialog)
    assert window.state == IDLE and "search.regularization.dropout" in said[0] and "[0.0, 1.0]" in said[0]
    dialog.ranges["regularization.dropout"].setText("0.1, 0.4")
    dialog.minutes.setValue(3)
    settings = dialog.settings()
    assert settings.space["regularization.dropout"].high == 0.4 and settings.timeout_min == 3


def test_the_search_dialog_saves_the_settings_with_their_search_table(window, tmp_path):
    from engine.core.config import Config, search_section
    from engine.search.space import search_settings
    from gui.controllers.experiment_dialogs import SearchDialog

    dialog = SearchDialog(window, "saved")
    dialog.config = tiny_config()
    dialog.params["model.activation"].setChecked(True)
    dialog.ranges["model.activation"].setText("relu, gelu")
    dialog.trials.setValue(9)
    dialog.save(tmp_path / "s.toml")
    assert Config.load(tmp_path / "s.toml").to_dict() == tiny_config().to_dict()
    settings = search_settings(search_section(str(tmp_path / "s.toml")))
    assert settings.trials == 9 and settings.space["model.activation"].choices == ("relu", "gelu")


def test_stopping_a_search_leaves_no_trial_running(qtbot, window, monkeypatch):
    from gui.controllers.experiment_dialogs import SearchDialog

    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: True)
    window.settings_panel.set_config(tiny_config({"optim.epochs": 300}))
    dialog = SearchDialog(window, "stopped")
    dialog.trials.setValue(3)
    window.experiments.search(dialog)
    qtbot.waitUntil(lambda: window.plots.step_loss.n > 0, timeout=RUN_TIMEOUT)
    window.actions["stop"].trigger()
    finish(qtbot, window)
    window.search_view.refresh()  # read off the GUI thread: until the read after the stop arrives
    qtbot.waitUntil(lambda: bool(window.search_view.trials) and "RUNNING" not in [
        t.state.name for t in window.search_view.trials], timeout=RUN_TIMEOUT)
    states = [t.state.name for t in window.search_view.trials]
    assert states == ["FAIL"] and "stopped" in window.search_view.trials[0].user_attrs["message"]


def test_transfer_comparison_says_it_replaced_the_panels_settings(qtbot, window, monkeypatch):
    from engine.core.config import load_preset

    small = load_preset("transfer").with_updates({"optim.epochs": 1, "data.val_size": 200, "run.device": "cpu"})
    monkeypatch.setattr("engine.core.config.load_preset", lambda name: small)
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: True)  # the stop of an experiment asks
    window.settings_panel.set_config(tiny_config())  # no backbone
    window.menu_actions["Transfer comparison (scratch, random frozen, frozen, fine-tune)"].trigger()
    assert window.settings_panel.preset_name() == "transfer"
    qtbot.waitUntil(lambda: "replaced" in window.experiment_view.title.text(), timeout=RUN_TIMEOUT)
    window.actions["stop"].trigger()
    finish(qtbot, window)


def test_start_while_the_experiment_tab_shows_goes_to_the_run_that_trains(qtbot, window):
    window.show_tab(window.experiment_view)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    assert window.tabs.currentWidget() is window.plots


def test_compare_with_opens_its_dialog_at_the_run_selected_in_the_dock(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from engine.experiments.experiment import run_single
    from tests.gui.test_runs_browser import select

    run = run_single(tiny_config(), runs_dir=window.runs_dir).run_dir
    browser = window.runs_dock.browser
    browser.actions_by_name["refresh"].trigger()
    select(browser, run)
    opened_at = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: opened_at.append(a[2]) or "")
    window.menu_actions["Compare with… (a twin of a run, with the panel's changes)"].trigger()
    assert opened_at == [str(run)]
