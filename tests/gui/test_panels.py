"""Panels fed synthetic events: no worker, no torch."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox

from engine import events as ev
from engine.config import Config, ConfigError, field_info
from gui.panels.plots import PlotsPanel
from gui.panels.settings import LOCKED_TIP, SettingsPanel


def started(layers=("fc1", "fc2", "out"), toy=False, noise=0.0):
    cfg = Config().with_updates({"data.label_noise": noise}).to_dict()
    pts = [[0.0, 0.0, 0], [1.0, 1.0, 1]] if toy else None
    return ev.RunStarted(run_id="x", run_dir=None, config=cfg, layer_names=list(layers),
                         parameter_count=100, steps_per_epoch=10, device="cpu", dataset="moons",
                         class_names=["a", "b"], train_size=2, val_size=2, epochs=5,
                         train_points=pts, val_points=pts)


def epoch(i, **kw):
    base = dict(epoch=i, step=10 * i, train_loss=1 / i, train_accuracy=min(1, 0.5 + 0.1 * i),
                val_loss=0.5 + 0.05 * abs(i - 3), val_accuracy=0.7, accuracy_gap=0.1 * i, loss_gap=0.2,
                weight_norms={"fc1": 1.0 + i, "fc2": 2.0, "out": 0.5}, grad_norms={"fc1": 0.1, "fc2": 0.2, "out": 0.3},
                lr=1e-3, penalty=0.0, epoch_time=0.1, samples_per_sec=1000.0)
    base.update(kw)
    return ev.EpochMetrics(**base)


def test_plots_follow_epoch_events(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.start_run(started(), "baseline")
    for i in range(1, 6):
        panel.add_epoch(epoch(i, is_best=i == 3))
    assert panel.refresh() > 0
    x, y = panel.series["train_acc"].curve.getData()
    assert list(x) == [1, 2, 3, 4, 5]
    assert np.allclose(y, [60, 70, 80, 90, 100])
    assert list(panel.layer_series) == ["fc1", "fc2", "out"]
    assert np.allclose(panel.layer_series["fc1"].curve.getData()[1], [2, 3, 4, 5, 6])
    assert panel.best_lines["loss"].value() == 3
    # val loss bottomed at epoch 3 and rose for 2 epochs: the turn is marked there.
    assert panel.rise_lines["loss"].value() == 3
    assert panel.refresh() == 0  # nothing changed: nothing redrawn


def test_a_curve_has_a_dot_only_while_it_is_a_single_point(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.start_run(started(), "run")
    acc, loss = panel.series["val_acc"].curve, panel.series["val_loss"].curve
    assert acc.opts["symbol"] is None and loss.opts["symbol"] is None
    panel.add_epoch(epoch(1))
    panel.refresh()
    assert acc.opts["symbol"] == "o"  # the first epoch shows before there is a line
    assert loss.opts["symbol"] is None  # the loss plot has its per-step curve for that
    panel.add_epoch(epoch(2))
    panel.refresh()
    assert acc.opts["symbol"] is None and loss.opts["symbol"] is None


def test_timer_redraws_one_changed_epoch_plot_per_frame_besides_the_loss(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.timer.stop()
    panel.start_run(started(), "baseline")
    panel.add_epoch(epoch(1, is_best=True))

    def drawn(plot):
        series = {"accuracy": panel.series["train_acc"], "gap": panel.series["acc_gap"],
                  "norms": panel.layer_series["fc1"], "grads": panel.grad_series["fc1"]}[plot]
        return series.curve.getData()[0] is not None and len(series.curve.getData()[0]) == 1

    panel.refresh(staggered=True)
    assert len(panel.series["val_loss"].curve.getData()[0]) == 1  # the loss plot: every frame
    assert panel.best_lines["loss"].value() == 1
    order = ["accuracy", "gap", "norms", "grads"]
    for frame in range(1, 5):
        assert [drawn(p) for p in order] == [i < frame for i in range(4)]
        panel.refresh(staggered=True)
    assert panel.best_lines["gap"].value() == 1  # its marker came with the plot
    assert panel.refresh(staggered=True) == 0


def test_step_losses_and_markers(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.start_run(started(), "run")
    for s in range(1, 21):
        panel.add_step(ev.StepMetrics(step=s, epoch=0, train_loss=1.0 / s, samples_per_sec=10.0, lr=0.1,
                                      epoch_fraction=s / 10))
    panel.refresh()
    x, y = panel.step_loss.drawn()
    assert np.allclose(x, np.arange(1, 21) / 10) and np.allclose(y, 1.0 / np.arange(1, 21))
    for s in range(21, 61):  # past the tail's length: the long curve takes the older points
        panel.add_step(ev.StepMetrics(step=s, epoch=0, train_loss=1.0 / s, samples_per_sec=10.0, lr=0.1,
                                      epoch_fraction=s / 10))
        panel.refresh()
    x, y = panel.step_loss.drawn()
    assert np.allclose(x, np.arange(1, 61) / 10) and np.allclose(y, 1.0 / np.arange(1, 61))
    assert len(panel.step_loss.tail.getData()[0]) <= panel.step_loss.TAIL_POINTS + 1
    panel.add_marker(1.3, "dropout 0→0.5")
    labels = [line.label.format for _, line in panel.markers]
    assert labels.count("dropout 0→0.5") == 4  # on loss, accuracy, gap and norms


def test_previous_run_stays_as_a_ghost_for_comparison(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.start_run(started(), "overfit")
    for i in range(1, 4):
        panel.add_epoch(epoch(i))
    panel.start_run(started(), "dropout")
    assert len(panel.ghosts) == 1
    names = [item.name() for _, item in panel.ghosts[0]]
    assert "overfit (val)" in names and "overfit (train)" in names
    assert panel.series["val_acc"].n == 0
    panel.reset()
    assert panel.ghosts == []


def test_a_new_run_reuses_the_plot_items_of_earlier_runs(qtbot):
    from gui.panels import plots

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    loss = panel.plots["loss"].getPlotItem()
    names = [f"run{i}" for i in range(plots.MAX_GHOST_RUNS + 2)]
    for i, name in enumerate(names):
        panel.start_run(started(), name)
        if i == 1:
            norms_items = {k: s.curve for k, s in panel.layer_series.items()}
        if i == plots.MAX_GHOST_RUNS:  # as many earlier runs shown as there will be
            items_before = list(loss.vb.childGroup.childItems())
        for e in range(1, 4):
            panel.add_epoch(epoch(e, val_loss=0.1 * i + e))
        panel.add_marker(2.5, f"end of {name}")
    # The oldest runs gave their curves and lines to the newer ones: the same items since.
    assert {id(i) for i in loss.vb.childGroup.childItems()} == {id(i) for i in items_before}
    assert {k: s.curve for k, s in panel.layer_series.items()} == norms_items
    legend = [label.text for _, label in loss.legend.items]
    kept = names[-1 - plots.MAX_GHOST_RUNS:-1]
    assert all(f"{n} (val)" in legend for n in kept)
    assert f"{names[0]} (val)" not in legend
    newest = panel.ghosts[-1][0][1]  # the last ghost's validation loss carries its own data
    assert newest.name() == f"{names[-2]} (val)"
    assert np.allclose(newest.getData()[1], [0.1 * (len(names) - 2) + e for e in (1, 2, 3)])
    # One marker per plot is shown, the latest run's; the earlier runs' lines were reused.
    shown = [line for line in loss.vb.childGroup.childItems() if isinstance(line, plots.pg.InfiniteLine) and line.isVisible()
             and line.label.format.startswith("end of")]
    assert [line.label.format for line in shown] == [f"end of {names[-1]}"]
    panel.start_run(started(layers=("conv1", "fc")), "other")
    assert list(panel.layer_series) == ["conv1", "fc"]
    assert [label.text for _, label in panel.plots["norms"].getPlotItem().legend.items] == ["conv1", "fc"]


def test_toy_and_noise_plots_appear_only_when_relevant(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.start_run(started(), "a")
    assert panel.plots["boundary"].isHidden() and panel.plots["noise"].isHidden()
    panel.start_run(started(toy=True), "b")
    assert not panel.plots["boundary"].isHidden()
    panel.set_boundary(ev.DecisionBoundary(epoch=1, x_range=(-1, 1), y_range=(-2, 2), resolution=2,
                                           classes=[[0, 1], [1, 1]], confidence=[[0.9, 0.6], [0.99, 0.5]]))
    assert panel.boundary_image.image.shape == (2, 2, 3)
    assert panel.boundary_image.mapRectToParent(panel.boundary_image.boundingRect()).width() == pytest.approx(2)
    panel.start_run(started(noise=0.2), "c")
    assert not panel.plots["noise"].isHidden() and panel.plots["boundary"].isHidden()
    panel.add_epoch(epoch(1, train_accuracy_clean=0.9, train_accuracy_corrupted=0.2))
    panel.refresh()
    assert list(panel.series["noisy_acc"].curve.getData()[1]) == [pytest.approx(20)]


def test_settings_binder_uses_the_field_metadata(qtbot):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    dropout = panel.widgets["regularization.dropout"]
    assert isinstance(dropout, QDoubleSpinBox) and dropout.maximum() < 1.0
    assert dropout.toolTip() == field_info("regularization.dropout").metadata["help"]
    assert isinstance(panel.widgets["regularization.early_stopping"], QCheckBox)
    for key in ("regularization.dropout", "regularization.weight_decay", "regularization.l1",
                "regularization.augment_hflip", "regularization.early_stopping"):
        assert "overfit" in panel.widgets[key].toolTip() or "memoriz" in panel.widgets[key].toolTip(), key
    cfg = Config().with_updates({"regularization.dropout": 0.35, "model.arch": "cnn", "data.dataset": "moons"})
    panel.set_config(cfg)
    assert panel.config() == cfg


def test_live_runs_lock_what_cannot_change(qtbot):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.set_live(True)
    assert not panel.widgets["model.arch"].isEnabled()
    assert LOCKED_TIP in panel.widgets["data.train_size"].toolTip()
    assert panel.widgets["regularization.dropout"].isEnabled()
    assert panel.widgets["optim.lr"].isEnabled()
    panel.set_live(False)
    assert panel.widgets["model.arch"].isEnabled()


def test_user_edits_emit_setting_changed_and_errors_show_beside_the_field(qtbot):
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.setting_changed) as sig:
        panel.widgets["regularization.dropout"].setValue(0.25)
    assert sig.args == ["regularization.dropout", 0.25]
    panel.show_error(ConfigError("data.train_size", 70000, "at most 55000"))
    label = panel.errors["data.train_size"]
    assert not label.isHidden() and "at most 55000" in label.text()


def test_a_hidden_plot_panel_does_not_wake_the_gui_thread(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.timer.isActive()
    panel.hide()
    assert not panel.timer.isActive()
    panel.show()
    assert panel.timer.isActive()


def test_log_axes_label_whole_decades_only(qtbot):
    from gui.panels.plots import DecadeAxis

    axis = DecadeAxis("left")
    (spacing, decades), (_, between) = axis.logTickValues(-1.2, 1.3, 100, [])
    assert spacing == 1.0 and decades == [-1.0, 0.0, 1.0]  # 0.1, 1 and 10 are labelled
    assert len(between) == 3 + 8 + 8 and all(-1.2 < v < 1.3 for v in between)  # 0.07..0.09, 0.2..0.9, 2..9
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    assert panel.plots["grads"].getPlotItem().getAxis("left").style["maxTextLevel"] == 0


def test_draw_budget_holds_back_other_plots_while_the_gui_thread_is_busy():
    from gui.panels.plots import DrawBudget

    t, cpu = [0.0], [0.0]
    budget = DrawBudget(share=0.05, span=1.0, max_wait=0.5, clock=lambda: t[0], cpu=lambda: cpu[0])

    def frame(cost):  # a 100 ms frame in which the GUI thread used `cost` seconds
        t[0] += 0.1
        cpu[0] += cost
        ok = budget.allow()
        if ok:
            budget.drawn()
        return ok

    assert all(frame(0.002) for _ in range(20))  # 2 % of a core: every frame may draw
    busy = [frame(0.02) for _ in range(20)]  # 20 %: a redraw only every max_wait seconds
    assert busy[-10:].count(True) == 2
    assert [frame(0.001) for _ in range(20)][-5:] == [True] * 5  # quiet again: drawn freely


def test_plots_beyond_the_loss_wait_while_the_budget_says_so(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.timer.stop()
    panel.start_run(started(), "run")
    panel.add_epoch(epoch(1))
    panel.refresh(staggered=True, others=False)
    assert len(panel.series["val_loss"].curve.getData()[0]) == 1  # the loss plot is drawn anyway
    assert panel.series["val_acc"].dirty  # the accuracy plot waits
    panel.refresh(staggered=True, others=True)
    assert not panel.series["val_acc"].dirty


def test_after_a_run_the_held_back_plots_catch_up_one_per_frame(qtbot):
    from gui.panels.plots import STAGGERED_PLOTS, DrawBudget

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.timer.stop()
    panel.budget = DrawBudget(share=0.0, max_wait=1e9)  # a budget that never allows ...
    panel.budget.drawn()  # ... since it has just drawn
    panel.start_run(started(), "run")
    panel.add_epoch(epoch(1))
    panel._on_timer_timeout()
    assert panel.series["val_acc"].dirty and not panel.series["val_loss"].dirty
    held = [p for p in STAGGERED_PLOTS if panel._plot_dirty(p)]
    assert {"accuracy", "gap", "norms", "grads"} <= set(held)
    panel.finish_run()
    frames = 0
    while any(panel._plot_dirty(p) for p in STAGGERED_PLOTS):
        panel._on_timer_timeout()
        frames += 1
    assert frames == len(held)  # one plot per frame: no long frame
    panel._on_timer_timeout()
    assert not panel._catching_up


def test_legends_of_rising_curves_stay_clear_of_their_late_epochs(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    panel.start_run(started(), "baseline")
    for i in range(1, 16):  # training accuracy climbs to 100 %, validation stalls at 80 %
        panel.add_epoch(epoch(i, train_accuracy=min(1.0, 0.5 + 0.05 * i), val_accuracy=0.8,
                              accuracy_gap=min(1.0, 0.5 + 0.05 * i) - 0.8))
    panel.refresh(staggered=False)
    qtbot.wait(50)
    for plot, names in (("accuracy", ("train_acc", "val_acc")), ("gap", ("acc_gap",))):
        item = panel.plots[plot].getPlotItem()
        legend = item.legend.sceneBoundingRect()
        for name in names:
            x, y = panel.series[name].curve.getData()
            for xi, yi in zip(x[-5:], y[-5:], strict=True):
                point = item.vb.mapViewToScene(QPointF(float(xi), float(yi)))
                assert not legend.contains(point), (plot, name, xi, yi)
