"""A sweep of model width in the Experiment tab marks the interpolation threshold (the
smallest width that fits every training label) and a validation-error peak between the
narrow and the wide models."""

from __future__ import annotations

import pyqtgraph as pg

from engine.experiments.experiment import Experiment
from engine.experiments.plans import curve_plan
from tests.gui.test_experiment_tab import _show_in_the_dock
from tests.helpers import tiny_config


def test_a_width_sweep_marks_where_the_network_fits_every_training_label(qtbot, window):
    cfg = tiny_config({"data.train_size": 64, "optim.epochs": 40, "optim.lr": 3e-3})
    folder = Experiment(cfg, curve_plan("model.width", [1, 256, 512], [0]), runs_dir=window.runs_dir, name="w",
                        kind="curve", meta={"over": "model.width", "values": [1, 256, 512], "seeds": 1}).run().path
    _show_in_the_dock(window, folder)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.mode == "curve" and view.cell(2, 0) == "512")
    lines = [i for i in view.plots["accuracy"].getPlotItem().items if isinstance(i, pg.InfiniteLine)]
    labels = [line.label.format for line in lines if getattr(line, "label", None) is not None]
    assert "interpolation\nthreshold" in labels, labels
    (line,) = [i for i in lines if getattr(i, "label", None) is not None and i.label.format == "interpolation\nthreshold"]
    assert abs(10 ** line.value() - 256) < 1e-6 or abs(line.value() - 256) < 1e-6  # at the width (log axis or not)
    assert view.descent[0] == 256


def test_a_peak_is_an_interior_minimum_of_validation_accuracy_below_both_sides():
    from gui.panels.experiment_figures import descent_points

    xs = [8, 16, 32, 64, 128]
    train = [0.6, 0.8, 0.95, 1.0, 1.0]
    assert descent_points(xs, train, [0.50, 0.55, 0.47, 0.52, 0.58]) == (64.0, 2)
    assert descent_points(xs, train, [0.50, 0.55, 0.57, 0.60, 0.62])[1] is None  # monotone: no peak
    assert descent_points(xs, [0.5] * 5, [0.5] * 5) == (None, None)


def test_settings_that_do_not_apply_to_vectors_or_backbones_are_greyed(qtbot, window):
    panel = window.settings_panel
    panel.widgets["data.dataset"].setCurrentText("mnist1d")  # as a choice in its box
    assert not panel.widgets["regularization.augment_hflip"].isEnabled()
    assert panel.widgets["regularization.augment_noise"].isEnabled()
    panel.widgets["model.backbone"].setCurrentText("fashion_cnn")
    assert not panel.widgets["model.bias"].isEnabled()


def test_the_curve_dialog_offers_a_sweep_of_any_setting(qtbot, window):
    from gui.controllers.experiment_dialogs import CurveDialog

    dialog = CurveDialog(window)
    dialog.offer({"over": "data.train_fraction", "values": [0.3, 0.5], "seeds": 2})
    assert dialog.key.currentData() == "data.train_fraction" and dialog.values.text() == "0.3, 0.5"
    key, values, plan = dialog.plan(0)
    assert key == "data.train_fraction" and len(plan) == 4
