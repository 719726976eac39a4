"""Panels fed synthetic events: no worker, no torch."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox

from engine.core import events as ev
from engine.core.config import Config, ConfigError, field_info
from gui.panels.plots import PlotsPanel
from gui.panels.settings import LOCKED_TIP, SettingsPanel


def started(layers=("fc1", "fc2", "out"), toy=False, noise=0.0, dataset="moons", epochs=5):
    cfg = Config().with_updates({"data.label_noise": noise}).to_dict()
    pts = [[0.0, 0.0, 0], [1.0, 1.0, 1]] if toy else None
    return ev.RunStarted(run_id="x", config=cfg, layer_names=list(layers),
                         parameter_count=100, steps_per_epoch=10, device="cpu", dataset=dataset,
                         class_names=["a", "b"], train_size=2, val_size=2, epochs=epochs,
                         train_points=pts, val_points=pts)


def epoch(i, **kw):
    base = dict(epoch=i, step=10 * i, train_loss=1 / i, train_accuracy=min(1, 0.5 + 0.1 * i),
                val_loss=0.5 + 0.05 * abs(i - 3), val_accuracy=0.7, accuracy_gap=0.1 * i, loss_gap=0.2,
                weight_norms={"fc1": 1.0 + i, "fc2": 2.0, "out": 0.5}, grad_norms={"fc1": 0.1, "fc2": 0.2, "out": 0.3},
                lr=1e-3, penalty=0.0, epoch_time=0.1, samples_per_sec=1000.0, val_ece=0.01 * i)
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
    assert panel.series["val_ece"].n == 0  # calibration is drawn on request (the box under the gap plot)
    panel.grid.calibration.setChecked(True)
    ece_x, ece_y = panel.series["val_ece"].curve.getData()  # on the gap plot, in points
    assert list(ece_x) == [1, 2, 3, 4, 5] and np.allclose(ece_y, [100 * 0.01 * i for i in range(1, 6)])
    assert np.allclose(y, [60, 70, 80, 90, 100])
    assert list(panel.layer_series) == ["fc1", "fc2", "out"]
    assert np.allclose(panel.layer_series["fc1"].curve.getData()[1], [2, 3, 4, 5, 6])
    assert panel.best_lines.value("loss") == 3
    # val loss bottomed at epoch 3 and rose for 2 epochs: the turn is marked there.
    assert panel.rise_lines.value("loss") == 3
    assert panel.refresh() == 0  # nothing changed: nothing redrawn
    panel.add_epoch(epoch(6))
    panel.refresh()
    assert panel.series["val_ece"].curve.getData()[0][-1] == 6
    panel.grid.calibration.setChecked(False)
    assert panel.series["val_ece"].n == 0


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
    assert panel.best_lines.value("loss") == 1
    order = ["accuracy", "gap", "norms", "grads"]
    for frame in range(1, 5):
        assert [drawn(p) for p in order] == [i < frame for i in range(4)]
        panel.refresh(staggered=True)
    assert panel.best_lines.value("gap") == 1  # its marker came with the plot
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
    for plot in ("loss", "accuracy", "gap", "norms"):
        assert panel.markers.labels(plot) == ["dropout 0→0.5"]


def plain(run):
    """A kept run's name without the number the panel gives each run."""
    return run.label.split(" ", 1)[1]


def run_epochs(panel, name, n=3, dataset="moons", offset=0.0, layers=("fc1", "fc2", "out")):
    panel.prepare_run(name)
    panel.start_run(started(layers=layers, dataset=dataset, epochs=max(n, 5)), name)
    for e in range(1, n + 1):
        panel.add_epoch(epoch(e, val_loss=offset + e))


def test_previous_run_stays_faded_on_loss_accuracy_and_gap(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    run_epochs(panel, "overfit")
    panel.refresh()
    panel.prepare_run("dropout")  # Start pressed: the last run's lines leave every plot at once
    for series in (panel.layer_series["fc1"], panel.grad_series["fc1"], panel.series["val_acc"]):
        x, _ = series.curve.getData()
        assert x is None or len(x) == 0
    run_epochs(panel, "dropout")
    (kept,) = panel.earlier.runs
    assert kept.label == "#1 overfit"  # (the "dropout" prepared above was never run)
    plots = {plot for plot, item in panel.earlier._items[id(kept)] if item.isVisible()}
    assert plots == {"loss", "accuracy", "gap"}  # the gap plot, where "the gap closed" shows
    legend = [label.text for _, label in panel.plots["gap"].getPlotItem().legend.items]
    assert "overfit" not in legend  # earlier runs are named in the table, not the legends
    assert panel.series["val_acc"].n == 3
    panel.reset()
    assert panel.earlier.runs == []


def test_a_pinned_baseline_stays_while_later_runs_come_and_go(qtbot):
    from gui.panels.comparison import MAX_UNPINNED

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    run_epochs(panel, "overfit")
    run_epochs(panel, "dropout")
    panel.table.item(0, 4).setCheckState(Qt.CheckState.Checked)  # pin "overfit" in the table
    assert panel.earlier.runs[0].pinned
    names = ["weight_decay", "augmentation", "early_stopping", "all_remedies", "again"]
    for name in names:
        run_epochs(panel, name)
    labels = [plain(r) for r in panel.earlier.runs]
    assert labels[0] == "overfit" and len(labels) == MAX_UNPINNED + 1
    assert labels[1:] == ["augmentation", "early_stopping", "all_remedies"][-MAX_UNPINNED:]
    from gui.panels.comparison import PINNED

    items = [item for _, item in panel.earlier._items[id(panel.earlier.runs[0])]]
    assert all(item.opts["pen"].color().name() == PINNED for item in items)  # drawn as the baseline
    panel.finish_run()
    table = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
    assert table == ["#1 overfit", "#4 augmentation", "#5 early_stopping", "#6 all_remedies", "#7 again (now)"]
    assert panel.table.item(0, 3).text().endswith("pts")


def test_only_runs_of_the_same_dataset_stay_unless_pinned(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    run_epochs(panel, "spirals-a", dataset="spirals")
    run_epochs(panel, "spirals-b", dataset="spirals")
    panel.earlier.set_pinned(panel.earlier.runs[0], True)
    run_epochs(panel, "cnn", dataset="fashion_mnist", n=15)
    assert [plain(r) for r in panel.earlier.shown()] == []  # spirals-b dropped, spirals-a hidden
    assert [plain(r) for r in panel.earlier.runs] == ["spirals-a"]
    # The epoch axis fits the current run, not the longest run ever kept.
    (x0, x1), _ = panel.plots["accuracy"].getPlotItem().vb.viewRange()
    assert x1 == pytest.approx(15 * 1.04)
    run_epochs(panel, "spirals-c", dataset="spirals")
    assert [plain(r) for r in panel.earlier.shown()] == ["spirals-a"]


def test_a_new_run_reuses_the_plot_items_of_earlier_runs(qtbot):
    from gui.panels.comparison import MAX_UNPINNED

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    loss = panel.plots["loss"].getPlotItem()
    names = [f"run{i}" for i in range(MAX_UNPINNED + 3)]
    for i, name in enumerate(names):
        run_epochs(panel, name, offset=0.1 * i)
        if i == 1:
            norms_items = {k: s.curve for k, s in panel.layer_series.items()}
        if i == MAX_UNPINNED + 1:  # as many earlier runs shown as there will be
            items_before = {id(i) for i in loss.vb.childGroup.childItems()}
        panel.add_marker(2.5, f"end of {name}")
    # The oldest runs gave their curves and lines to the newer ones: the same items since.
    assert {id(i) for i in loss.vb.childGroup.childItems()} == items_before
    assert {k: s.curve for k, s in panel.layer_series.items()} == norms_items
    kept = names[-1 - MAX_UNPINNED:-1]
    assert [plain(r) for r in panel.earlier.runs] == kept
    newest = panel.earlier.runs[-1]
    assert plain(newest) == names[-2]
    x, y = newest.curves["val_loss"]
    assert np.allclose(y, [0.1 * (len(names) - 2) + e for e in (1, 2, 3)])
    run_epochs(panel, "other", layers=("conv1", "fc"))
    assert list(panel.layer_series) == ["conv1", "fc"]
    assert [label.text for _, label in panel.plots["norms"].getPlotItem().legend.items] == ["conv1", "fc"]


def test_reused_marker_lines_show_their_new_text(qtbot):
    """A line kept from an earlier run's marker must not keep that run's label."""
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.show()
    run_epochs(panel, "dropout")
    panel.add_marker(1.5, "dropout 0→0.5")
    panel.add_marker(3.0, "end")
    run_epochs(panel, "overfit")
    panel.add_marker(1.2, "lr 0.001→0.01")
    panel.add_marker(3.0, "stopped")
    for plot in ("loss", "accuracy", "gap", "norms"):
        assert panel.markers.labels(plot) == ["lr 0.001→0.01", "stopped"]
        shown = [line for name, line in panel.markers.shown if name == plot]
        assert all(line.isVisible() for line in shown)


def test_hovering_a_curve_shows_epoch_and_values(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitExposed(panel)
    run_epochs(panel, "run", n=5)
    panel.refresh()
    qtbot.wait(20)
    item = panel.plots["accuracy"].getPlotItem()
    point = item.vb.mapViewToScene(QPointF(3.0, 50.0))
    view = panel.plots["accuracy"]
    qtbot.mouseMove(view.viewport(), view.mapFromScene(point))
    import pyqtgraph as pg

    readout = next(i for i in item.vb.childGroup.childItems()
                   if isinstance(i, pg.TextItem) and i.zValue() == 100)
    qtbot.waitUntil(readout.isVisible, timeout=2000)
    text = readout.toPlainText()
    assert "epoch 3" in text and "val: 70.0 %" in text and "train: 80.0 %" in text
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    panel.prepare_run("next")  # the last run's values must not stay on screen
    assert not readout.isVisible()
    panel.start_run(started(epochs=5), "next")
    for e in range(1, 6):
        panel.add_epoch(epoch(e))
    panel.refresh()
    qtbot.mouseMove(view.viewport(), view.mapFromScene(item.vb.mapViewToScene(QPointF(2.0, 50.0))))
    qtbot.waitUntil(readout.isVisible, timeout=2000)
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))  # the mouse left the plot
    assert not readout.isVisible()


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
    assert panel.boundary.image.image.shape == (2, 2, 3)
    assert panel.boundary.image.mapRectToParent(panel.boundary.image.boundingRect()).width() == pytest.approx(2)
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
    from gui.plotting.axes import DecadeAxis

    axis = DecadeAxis("left")
    (spacing, decades), (_, between) = axis.logTickValues(-1.2, 1.3, 100, [])
    assert spacing == 1.0 and decades == [-1.0, 0.0, 1.0]  # 0.1, 1 and 10 are labelled
    assert len(between) == 3 + 8 + 8 and all(-1.2 < v < 1.3 for v in between)  # 0.07..0.09, 0.2..0.9, 2..9
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    assert panel.plots["grads"].getPlotItem().getAxis("left").style["maxTextLevel"] == 0


def test_draw_budget_holds_back_other_plots_while_the_gui_thread_is_busy():
    from gui.plotting.budget import DrawBudget

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
    from gui.plotting.budget import DrawBudget

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.timer.stop()
    panel.budget = DrawBudget(share=0.0, max_wait=1e9)  # a budget that never allows ...
    panel.budget.drawn()  # ... since it has just drawn
    panel.start_run(started(), "run")
    panel.add_epoch(epoch(1))
    panel.timer.timeout.emit()  # a frame
    assert panel.series["val_acc"].dirty and not panel.series["val_loss"].dirty
    held = panel.pending()
    assert {"accuracy", "gap", "norms", "grads"} <= set(held)
    panel.finish_run()
    frames = 0
    while panel.pending():
        panel.timer.timeout.emit()
        frames += 1
    assert frames == len(held)  # one plot per frame: no long frame
    panel.timer.timeout.emit()  # nothing left: the catch-up is over
    panel.add_epoch(epoch(2))  # the budget decides again
    panel.timer.timeout.emit()
    assert panel.series["val_acc"].dirty


def test_legends_of_rising_curves_stay_clear_of_their_late_epochs(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    panel.start_run(started(epochs=15), "baseline")
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


def test_the_table_shows_after_the_first_run_and_the_current_run_can_be_pinned(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    run_epochs(panel, "overfit", n=6)
    panel.finish_run()
    assert not panel.table.isHidden() and panel.table.rowCount() == 1  # shown after the first run
    panel.table.item(0, 4).setCheckState(Qt.CheckState.Checked)  # pin the current run
    run_epochs(panel, "overfit", n=4)
    assert panel.earlier.runs[0].pinned
    for preset in ("dropout", "weight_decay", "augmentation", "early_stopping"):
        run_epochs(panel, preset, n=5)
    assert [plain(r) for r in panel.earlier.runs] == ["overfit", "dropout", "weight_decay", "augmentation"]
    panel.earlier.set_pinned(panel.earlier.runs[0], False)  # back among the others: the oldest goes
    assert [plain(r) for r in panel.earlier.runs] == ["dropout", "weight_decay", "augmentation"]


def test_the_turn_of_the_validation_loss_goes_when_it_falls_to_a_new_low(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.start_run(started(epochs=8), "run")
    for i, loss in enumerate([1.0, 0.8, 0.9, 0.95, 0.7], start=1):
        panel.add_epoch(epoch(i, val_loss=loss))
        panel.refresh()
        if i == 4:
            assert panel.rise_lines.value("loss") == 2
            assert panel.rise_lines.label("loss") == "val loss turns up"
    assert panel.rise_lines.value("loss") is None and panel.rise_lines.label("loss") is None


def test_earlier_runs_of_one_name_and_different_lengths_are_dropped_without_comparing_curves(qtbot):
    from gui.panels.comparison import MAX_UNPINNED, EarlierRuns, RunCurves

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    earlier = EarlierRuns(panel.plots)

    def run(epochs):
        x = np.arange(1, epochs + 1, dtype=float)
        return RunCurves("overfit", "fashion_mnist", {k: (x, x) for k in
                                                      ("train_loss", "val_loss", "train_acc", "val_acc", "acc_gap")})

    pinned = run(40)
    earlier.keep(pinned)
    earlier.set_pinned(pinned, True)
    for epochs in (12, 15, 9, 30, 7):
        earlier.keep(run(epochs))
    assert earlier.runs[0] is pinned and len(earlier.runs) == MAX_UNPINNED + 1
    assert [len(r.curves["val_acc"][0]) for r in earlier.runs[1:]] == [9, 30, 7]
