"""Colours every eye can tell apart (issue 30): measured on the real window after real runs.

Every plot's visible lines are read back from pyqtgraph. Two lines on one plot that share
their dash pattern and marker must differ by CIEDE2000 ≥ 20 under simulated protanopia,
deuteranopia and tritanopia (and normal vision); every line is at least 3:1 against the
plot's background (WCAG 2.2, graphical objects) and every text at least 4.5:1."""

from __future__ import annotations

import pytest

from tests.gui.colour_vision import contrast, lines_of, measure, texts_of
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

MIN_DELTA_E, MIN_LINE_CONTRAST, MIN_TEXT_CONTRAST = 20.0, 3.0, 4.5


def _background(plot):
    c = plot.backgroundBrush().color()
    return (c.redF(), c.greenF(), c.blueF())


def _shown_plots(window):
    panel = window.plots
    # The thin per-step training loss is the training loss, drawn at a finer grain.
    same = {id(panel.step_loss.curve): "train", id(panel.step_loss.tail): "train"}
    return {name: plot for name, plot in panel.plots.items() if plot.isVisible()}, same


def _two_runs_with_label_noise(qtbot, window):
    """Two short runs with label noise and a deeper net: the kept / replaced plot, several
    layers' norms, and the first run's curves behind the second's."""
    window.settings_panel.set_config(tiny_config({"data.label_noise": 0.3, "optim.epochs": 3, "model.depth": 4}))
    for _ in range(2):
        with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
            window.actions["start"].trigger()
    qtbot.waitUntil(lambda: not window.plots.pending(), timeout=10_000)


@pytest.mark.parametrize("scheme", ["Light", "Dark"])
def test_series_sharing_a_plot_differ_for_every_eye_and_lines_and_text_stand_out(qtbot, window, scheme):
    window.menu_actions[scheme].trigger()  # View ▸ Light / Dark: the dark scheme recolours the lines
    _two_runs_with_label_noise(qtbot, window)
    plots, same = _shown_plots(window)
    lines = {name: lines_of(plot, same) for name, plot in plots.items()}
    names = {line.name for line in lines["noise"]}
    assert {"label kept", "label replaced (memorized)"} <= names, names
    assert len([line for line in lines["loss"] if line.name.startswith("unnamed")]) >= 2  # the earlier run
    assert len(lines["norms"]) >= 4, [str(line) for line in lines["norms"]]

    m = measure(lines, {name: _background(plot) for name, plot in plots.items()}, MIN_DELTA_E, MIN_LINE_CONTRAST)
    print(f"{scheme}: smallest ΔE (CIEDE2000) between lines drawn alike:")
    for vision, (d, pair) in m.smallest_delta_e.items():
        print(f"  {vision}: {d:.1f}  ({pair})")
    print(f"lowest line contrast: {m.lowest_contrast[0]:.2f}:1  ({m.lowest_contrast[1]}: {m.lowest_contrast[2]})")
    assert not m.too_close, "\n".join(map(str, m.too_close))
    assert not m.low_contrast, "\n".join(map(str, m.low_contrast))

    lowest, low = _text_contrasts(plots)  # titles, ticks, axis labels, legends, labels on lines
    print(f"{scheme}: lowest text contrast: {lowest[0]:.2f}:1 ({lowest[1]})")
    assert lowest[0] < 99.0  # some text was read
    assert not low, "\n".join(map(str, low))


def test_a_failed_runs_end_stands_apart_from_the_settings_changes(qtbot, window):
    """The end marker of a run that failed (red) and the marks of settings changed live (grey)
    share the epoch plots: as the window adds them (session.py)."""
    window.plots.add_marker(1.0, "dropout 0.5")
    window.plots.add_marker(2.0, "diverged", "#c0392b")
    lines = {name: lines_of(window.plots.plots[name]) for name in ("loss", "accuracy", "gap", "norms")}
    assert all(len(found) == 2 for found in lines.values()), lines
    m = measure(lines, {name: _background(window.plots.plots[name]) for name in lines}, MIN_DELTA_E,
                MIN_LINE_CONTRAST)
    assert not m.too_close, "\n".join(map(str, m.too_close))
    assert not m.low_contrast, "\n".join(map(str, m.low_contrast))


def test_the_decision_boundarys_classes_differ_for_every_eye(qtbot, window):
    """Blobs, three classes: the points of each class (train filled, validation crosses)."""
    window.settings_panel.set_config(tiny_config({"data.dataset": "blobs", "optim.epochs": 2}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    plot = window.plots.plots["boundary"]
    assert plot.isVisible()
    lines = lines_of(plot)
    assert len([line for line in lines if line.name.startswith("train")]) == 3, [str(line) for line in lines]
    assert len([line for line in lines if line.name.startswith("validation")]) == 3
    m = measure({"boundary": lines}, {"boundary": _background(plot)}, MIN_DELTA_E, MIN_LINE_CONTRAST)
    print("boundary, smallest ΔE:", {v: round(d, 1) for v, (d, _) in m.smallest_delta_e.items()},
          f"lowest contrast {m.lowest_contrast[0]:.2f}:1")
    assert not m.too_close, "\n".join(map(str, m.too_close))
    assert not m.low_contrast, "\n".join(map(str, m.low_contrast))


def test_the_examples_tabs_map_and_curves_differ_for_every_eye(qtbot, window):
    """Label noise: the data map's kept / corrupted points, and the curves of how well the
    ranking finds the wrong labels."""
    from tests.gui.colour_vision import Line, over

    window.tabs.setCurrentWidget(window.examples_view)
    window.settings_panel.set_config(tiny_config({"data.label_noise": 0.3, "optim.epochs": 4}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    view = window.examples_view
    qtbot.waitUntil(lambda: view.tally is not None and len(view.tally.epochs) == 4, timeout=RUN_TIMEOUT)
    quality, data_map = view.quality_plot, view.map_plot
    bg = _background(data_map)
    points = [Line(f"map group {i}", over(pg_qcolor(c), bg), ("points", "dot"))
              for i, c in enumerate(view.cloud.group_colors())]
    assert len(points) == 2
    lines = {"quality": lines_of(quality), "map": points}
    assert len(lines["quality"]) >= 3, [str(line) for line in lines["quality"]]
    m = measure(lines, {"quality": _background(quality), "map": bg}, MIN_DELTA_E, MIN_LINE_CONTRAST)
    print("examples tab, smallest ΔE:", {v: round(d, 1) for v, (d, _) in m.smallest_delta_e.items()},
          f"lowest contrast {m.lowest_contrast[0]:.2f}:1")
    assert not m.too_close, "\n".join(map(str, m.too_close))
    assert not m.low_contrast, "\n".join(map(str, m.low_contrast))


def pg_qcolor(hex_color: str):
    from PySide6.QtGui import QColor

    return QColor(hex_color)


def _text_contrasts(plots):
    """Every text of the plots against its plot's background: (lowest, [under 4.5:1])."""
    low, lowest = [], (99.0, "")
    for name, plot in plots.items():
        for what, rgb in texts_of(plot):
            ratio = contrast(rgb, _background(plot))
            lowest = min(lowest, (ratio, f"{name}: {what}"))
            if ratio < MIN_TEXT_CONTRAST:
                low.append((name, what, round(ratio, 2)))
    return lowest, low


def test_an_evaluations_curves_and_matrix_read_for_every_eye(qtbot):
    """Ten classes (Fashion-MNIST's count): the precision–recall curves sharing a plot, the
    reliability diagram, and each count on the confusion matrix against its own cell."""
    import numpy as np
    from PySide6.QtCore import QPointF

    import gui.panels.plots  # noqa: F401  (the window's plot options: white background)
    from engine.core.events import Evaluated
    from gui.panels.evaluation import EvaluationPanel

    k = 10
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 40, (k, k)) + np.diag(rng.integers(200, 900, k))
    report = Evaluated(split="validation", weights="best", accuracy=0.8, loss=0.6,
                       class_names=[f"class {i}" for i in range(k)], precision=[0.8] * k, recall=[0.8] * k,
                       f1=[0.8] * k, support=[int(r) for r in matrix.sum(1)], confusion_matrix=matrix.tolist(),
                       macro_f1=0.8, ece=0.05, reliability=[[0.5, 0.45, 10], [0.9, 0.85, 90]],
                       pr_curves=[[[0.2, 0.6, 1.0], [1.0, 0.7, 0.1 + 0.05 * i]] for i in range(k)])
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    panel.resize(1400, 900)
    panel.show()
    panel.show_report(report, "#1 run")
    qtbot.waitUntil(lambda: len(panel.pr_curves) == k)
    lines = {"pr": lines_of(panel.pr), "reliability": lines_of(panel.reliability)}
    assert len(lines["pr"]) == k and len(lines["reliability"]) == 2
    m = measure(lines, {name: _background(p) for name, p in (("pr", panel.pr), ("reliability", panel.reliability))},
                MIN_DELTA_E, MIN_LINE_CONTRAST)
    print("evaluation, smallest ΔE:", {v: round(d, 1) for v, (d, _) in m.smallest_delta_e.items()},
          f"lowest line contrast {m.lowest_contrast[0]:.2f}:1")
    assert not m.too_close, "\n".join(map(str, m.too_close))
    assert not m.low_contrast, "\n".join(map(str, m.low_contrast))

    # Each count against its cell as drawn: a pixel in the cell's corner, away from the text.
    image = panel.matrix_plot.grab().toImage()
    vb = panel.matrix_plot.getPlotItem().vb
    ratios = []
    for n, text_color in enumerate(panel.cell_texts.colors()):
        i, j = divmod(n, k)
        at = panel.matrix_plot.mapFromScene(vb.mapViewToScene(QPointF(j + 0.12, i + 0.12)))
        cell = image.pixelColor(at.x(), at.y())
        text = pg_color(text_color)
        ratios.append((contrast((cell.redF(), cell.greenF(), cell.blueF()), text), panel.cell_texts.texts()[n]))
    assert len(ratios) == k * k
    print(f"lowest count-on-cell contrast: {min(ratios)[0]:.2f}:1")
    assert min(ratios)[0] >= MIN_TEXT_CONTRAST, sorted(ratios)[:5]


def pg_color(hex_color: str) -> tuple[float, float, float]:
    return tuple(int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))


def _experiment_lines(qtbot, window, folder_or_runs, ready):
    from tests.gui.test_experiment_tab import _show_in_the_dock

    _show_in_the_dock(window, *folder_or_runs)
    view = window.experiment_view
    qtbot.waitUntil(lambda: ready(view), timeout=RUN_TIMEOUT)
    plots = {name: p for name, p in view.plots.items()}
    lines = {name: lines_of(p) for name, p in plots.items()}
    m = measure(lines, {name: _background(p) for name, p in plots.items()}, MIN_DELTA_E, MIN_LINE_CONTRAST)
    return view, lines, m


def _report(what, m):
    print(f"{what}, smallest ΔE:", {v: round(d, 1) for v, (d, _) in m.smallest_delta_e.items()},
          f"lowest contrast {m.lowest_contrast[0]:.2f}:1")
    assert not m.too_close, "\n".join(map(str, m.too_close))
    assert not m.low_contrast, "\n".join(map(str, m.low_contrast))


def test_seven_runs_side_by_side_differ_for_every_eye(qtbot, window):
    """The Experiment tab's overlay: one colour and dash pattern per run, training dotted."""
    from engine.experiments.experiment import run_single

    runs = [run_single(tiny_config({"run.name": f"run{i}", "optim.epochs": 2, "data.train_size": 64,
                                    "data.val_size": 64}), runs_dir=window.runs_dir).run_dir for i in range(7)]
    view, lines, m = _experiment_lines(qtbot, window, runs, lambda v: v.mode == "overlay" and v.cell(6, 0) != "")
    view.train_curves.setChecked(True)  # past three runs, the training curves are on a toggle
    lines["accuracy"] = lines_of(view.plots["accuracy"])
    m = measure(lines, {name: _background(p) for name, p in view.plots.items()}, MIN_DELTA_E, MIN_LINE_CONTRAST)
    assert len(lines["accuracy"]) == 14 and len(lines["loss"]) == 7, [str(line) for line in lines["accuracy"]]
    _report("overlay of 7 runs", m)


def test_a_cross_validation_and_a_learning_curve_differ_for_every_eye(qtbot, window):
    from engine.experiments.experiment import Experiment
    from engine.experiments.plans import curve_plan, cv_plan

    cv = Experiment(tiny_config({"optim.epochs": 2}), cv_plan(3), runs_dir=window.runs_dir, name="cv",
                    kind="cv", meta={"folds": 3}).run().path
    view, lines, m = _experiment_lines(qtbot, window, [cv], lambda v: v.mode == "cv" and "3 of 3" in v.title.text())
    view.per_fold.setChecked(True)
    lines = {name: lines_of(p) for name, p in view.plots.items()}
    m = measure(lines, {name: _background(p) for name, p in view.plots.items()}, MIN_DELTA_E, MIN_LINE_CONTRAST)
    assert len(lines["accuracy"]) >= 2 + 3, [str(line) for line in lines["accuracy"]]
    _report("cross-validation", m)
    curve = Experiment(tiny_config(), curve_plan("data.train_size", [64, 128], [0]), runs_dir=window.runs_dir,
                       name="curve", kind="curve",
                       meta={"over": "data.train_size", "values": [64, 128], "seeds": 1}).run().path
    view, lines, m = _experiment_lines(qtbot, window, [curve], lambda v: v.mode == "curve" and v.cell(1, 0) == "128")
    assert len(lines["accuracy"]) >= 2, [str(line) for line in lines["accuracy"]]
    _report("learning curve", m)


def test_a_search_reads_for_every_eye(qtbot, window, monkeypatch, tmp_path):
    """Trials coloured by value (a continuous key: every line 3:1, the history's two series
    apart), and each trial's state in the table at 4.5:1."""
    from tests.gui.test_search_plots import _attach, _study

    _study(tmp_path / "four", [0.5, 0.6, 0.8, 0.79])
    view = _attach(qtbot, window, monkeypatch, tmp_path / "four", 4)
    plots = {name: p for name, p in view.plots.items() if name != "importance"}
    lines = {name: lines_of(p) for name, p in plots.items()}
    for name in ("curves", "parallel"):
        assert len(lines[name]) == 4, (name, [str(line) for line in lines[name]])
    m = measure({"history": lines["history"]}, {"history": _background(plots["history"])},
                MIN_DELTA_E, MIN_LINE_CONTRAST)
    _report("search history", m)
    ratios = [(contrast(line.rgb, _background(plots[name])), name, str(line))
              for name in ("curves", "parallel") for line in lines[name]]
    print(f"search, lowest contrast of a trial's line: {min(ratios)[0]:.2f}:1")
    assert min(ratios)[0] >= MIN_LINE_CONTRAST, min(ratios)
    states = [view.table.item(r, 1) for r in range(view.table.rowCount())]
    text = [(contrast(pg_color(i.foreground().color().name()), (1, 1, 1)), i.text()) for i in states]
    assert min(text)[0] >= MIN_TEXT_CONTRAST, min(text)


def test_a_run_that_ended_badly_says_so_in_text_at_4_5_to_1(qtbot, tmp_path):
    """The Runs dock's status word of a failed run, in its warning colour, on white."""
    from PySide6.QtCore import Qt

    from engine.experiments.experiment import run_single
    from gui.panels.runs_rows import STATUS
    from tests.gui.test_runs_browser import copy_run, index_of, make_browser

    made = run_single(tiny_config({"optim.epochs": 1}), runs_dir=tmp_path / "made").run_dir
    failed = copy_run(made, tmp_path / "runs", "failed", status="failed")
    browser = make_browser(qtbot, tmp_path / "runs")
    browser.refresh()
    qtbot.waitUntil(lambda: index_of(browser, failed) is not None, timeout=10_000)
    status = index_of(browser, failed).siblingAtColumn(STATUS)
    assert status.data() == "failed"
    color = status.data(Qt.ItemDataRole.ForegroundRole).color()
    ratio = contrast((color.redF(), color.greenF(), color.blueF()), (1, 1, 1))
    print(f"a failed run's status: {color.name()} {ratio:.2f}:1")
    assert ratio >= MIN_TEXT_CONTRAST
