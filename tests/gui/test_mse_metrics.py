"""An MSE run (optim.loss = mse, the grokking preset's loss) in the window: no calibration
error or reliability diagram (its outputs are no probabilities), saying why; the data map's
axes fitted to its points; and a cross-entropy run keeps both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.core.config import load_preset
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

ROOT = Path(__file__).resolve().parents[2]
SMALL_GROKKING = {"data.modulus": 23, "data.test_size": 100, "model.width": 64, "optim.epochs": 4,
                  "run.device": "cpu"}


def trained_and_validated(qtbot, window, config):
    window.resize(1280, 720)
    window.settings_panel.set_config(config)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT):
        window.actions["validate"].trigger()
    return window.evaluation


def test_an_mse_run_has_no_calibration_error_and_says_why(qtbot, window):
    page = trained_and_validated(qtbot, window, load_preset("grokking").with_updates(SMALL_GROKKING))
    report = page.report
    assert report.ece is None and report.reliability == [] and "optim.loss = mse" in report.calibration_note
    assert "calibration error none (an MSE run)" in page.headline.text()
    assert "not probabilities" in page.headline.toolTip()
    charts = page.charts
    at = charts.indexOf(page.reliability)
    assert not charts.isTabEnabled(at) and "optim.loss = mse" in charts.tabToolTip(at)
    assert charts.currentWidget() is page.pr

    # The data map's axes fit the points, not 0–1: an MSE run's confidences lie far below 1.
    view = window.examples_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.tally is not None and len(view.tally.epochs) == 4, timeout=RUN_TIMEOUT)
    (_, x_top), (_, y_top) = view.map_plot.getPlotItem().vb.viewRange()
    top = float(view.tally.confidence.max())
    assert top < 0.8 and y_top < 1.0 and top <= y_top <= top + 0.25
    assert float(view.tally.variability.max()) <= x_top


def test_a_cross_entropy_run_keeps_its_calibration(qtbot, window):
    page = trained_and_validated(qtbot, window, tiny_config())
    assert page.report.ece is not None and page.report.calibration_note == ""
    assert page.charts.isTabEnabled(page.charts.indexOf(page.reliability))
    assert "calibration error 0." in page.headline.text()


def test_the_command_line_leaves_the_calibration_error_out_of_an_mse_run(tmp_path):
    sets = [f"{k}={v}" for k, v in {**SMALL_GROKKING, "optim.epochs": 2}.items()]
    out = subprocess.run([sys.executable, "main.py", "train", "--preset", "grokking", "--out", str(tmp_path),
                          *[a for s in sets for a in ("--set", s)]], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    epoch_lines = [line for line in out.stdout.splitlines() if line.startswith("epoch")]
    assert len(epoch_lines) == 2 and not any("ECE" in line for line in epoch_lines)
