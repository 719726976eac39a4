"""The Experiment tab as a class sees it: at 1280×720 with larger text, the figures of how
each run ended (of the weights it ends with, and from which epoch), the fold in progress."""

from __future__ import annotations

import json

from engine.experiments.experiment import Experiment, run_single
from engine.experiments.plans import cv_plan
from tests.helpers import tiny_config


def test_with_larger_text_at_1280x720_every_plot_fits_its_place(qtbot, window):
    window.resize(1280, 720)
    larger = window.menu_actions["Larger text"]
    larger.trigger()
    larger.trigger()  # 1.56 ×: the back row of a room
    window.show_tab(window.experiment_view)
    view = window.experiment_view
    # Laid out in what the settings dock leaves (at most 30 % of the window: about 880 px here).
    qtbot.waitUntil(lambda: view.isVisible() and view.width() <= window.width() - window.dock.width())
    for name, plot in view.plots.items():
        item = plot.getPlotItem()
        # The plot item wider than its widget is cut on the right: the title and the last epochs.
        assert item.geometry().width() <= plot.width() + 1, name


def _rewrite_end(run, **changes) -> None:
    """The run's RunFinished line in metrics.jsonl with `changes` (final_metrics merged)."""
    lines = (run / "metrics.jsonl").read_text().splitlines()
    for i, line in enumerate(lines):
        row = json.loads(line)
        if row.get("event") == "RunFinished":
            row["final_metrics"] = {**row.get("final_metrics", {}), **changes.pop("final_metrics", {})}
            row.update(changes)
            lines[i] = json.dumps(row)
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n")


def _show_in_the_dock(window, *paths) -> None:
    from tests.gui.test_runs_browser import select

    browser = window.runs_dock.browser
    browser.actions_by_name["refresh"].trigger()
    select(browser, *paths)


def test_the_overlay_headline_ranks_only_runs_that_trained_to_their_end(qtbot, window):
    runs = [run_single(tiny_config({"run.name": name, "optim.epochs": 3}), runs_dir=window.runs_dir).run_dir
            for name in ("overfit", "dropout", "stopped")]
    # Stopped after its first epoch, before it could overfit: the highest accuracy, the smallest gap.
    _rewrite_end(runs[2], reason="user_stopped", final_metrics={"end_val_accuracy": 0.99, "end_gap": -0.5})
    _show_in_the_dock(window, *runs)
    view = window.experiment_view
    qtbot.waitUntil(lambda: "Highest" in view.title.text())
    headline = view.title.text().split("Highest", 1)[1]
    ranked, caveat = headline.split("Not ranked", 1)
    assert "stopped, 99.0 %" not in ranked and "stopped" not in ranked
    assert "stopped (stopped after 3 epochs)" in caveat


def test_every_result_says_the_epoch_its_weights_are_from(qtbot, window):
    runs = [run_single(tiny_config({"run.name": name, "optim.epochs": 3}), runs_dir=window.runs_dir).run_dir
            for name in ("overfit", "early")]
    _rewrite_end(runs[1], final_metrics={"weights_epoch": 2, "end_epoch": 2})  # restored its best
    _show_in_the_dock(window, *runs)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.cell(1, 1) != "")
    ending = json.loads((runs[0] / "summary.json").read_text())["final_metrics"]
    assert view.cell(0, 1) == f"{ending['end_val_accuracy'] * 100:.1f} % (epoch {ending['end_epoch']})"
    assert view.cell(1, 1).endswith("(epoch 2)")
    assert "(epoch 2)" in view.title.text() or "(epoch 3)" in view.title.text()  # the headline too


def test_the_fold_in_progress_is_drawn_apart_from_the_folds_mean(qtbot, window):
    import pyqtgraph as pg

    folder = Experiment(tiny_config({"optim.epochs": 3}), cv_plan(3), runs_dir=window.runs_dir, name="cv",
                        kind="cv", meta={"folds": 3}).run().path
    last = sorted(p for p in folder.iterdir() if p.is_dir())[-1]
    metrics = last / "metrics.jsonl"  # as if still training: no end yet
    metrics.write_text("".join(line + "\n" for line in metrics.read_text().splitlines()
                               if '"RunFinished"' not in line))
    _show_in_the_dock(window, folder)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.mode == "cv" and "2 of 3" in view.title.text())
    colours = {i.name(): pg.mkPen(i.opts["pen"]).color().name()
               for i in view.plots["accuracy"].getPlotItem().listDataItems() if i.name()}
    assert colours["fold in progress"] != colours["validation mean ± sd"]


def test_a_learning_curve_of_one_seed_claims_no_spread(qtbot, window):
    from engine.experiments.plans import curve_plan

    folder = Experiment(tiny_config(), curve_plan("data.train_size", [64, 128], [0]), runs_dir=window.runs_dir,
                        name="curve", kind="curve",
                        meta={"over": "data.train_size", "values": [64, 128], "seeds": 1}).run().path
    _show_in_the_dock(window, folder)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.mode == "curve" and view.cell(1, 0) == "128")
    figures = [view.cell(r, c) for r in range(2) for c in range(2, 6)]
    assert all(f and "±" not in f for f in figures), figures
