"""The Examples tab at the size of full Fashion-MNIST: 60,000 training examples.

Prints, per epoch of synthetic dynamics (the figures depend on the number of examples, not
on what they are; 40 epochs, 15 % of the labels marked corrupted):
  tally    folding an epoch into the running scores (engine.runs.tally), with the detector's
           AUROC and precision for the epoch
  redraw   the data map given the epoch's 60,000 points and painted (set_points + a paint of
           the plot, offscreen; target <= 30 ms)
  refresh  the whole tab's redraw for the epoch (data map, detector plot, gallery, summary)

    python benchmarks/examples_tab.py [--examples N] [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.runs.tally import ExampleTally  # noqa: E402
from gui.panels.examples_view import ExamplesView  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", type=int, default=60_000)
    p.add_argument("--epochs", type=int, default=40)
    a = p.parse_args()
    app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(0)
    n = a.examples
    given = rng.integers(0, 10, n)
    corrupted = rng.random(n) < 0.15
    true = np.where(corrupted, (given + 1) % 10, given)
    tally = ExampleTally(np.arange(n), given, true, corrupted, [f"class {i}" for i in range(10)])
    view = ExamplesView()
    view.resize(900, 600)
    view.show()
    images = rng.integers(0, 255, (n, 28, 28, 1), dtype=np.uint8)
    view.start(tally, images, "benchmark")
    app.processEvents()
    fold, redraw, refresh = [], [], []
    skill = np.where(corrupted, -1.0, 1.0)
    for e in range(1, a.epochs + 1):
        margin = (skill * min(e, 5) + rng.normal(0, 2, n) + (e > 5) * (e - 5) * 0.4).astype(np.float16)
        prob = (1 / (1 + np.exp(-margin.astype(np.float32)))).astype(np.float16)
        predicted = np.where(margin > 0, given, (given + 3) % 10).astype(np.int16)
        t0 = time.perf_counter()
        tally.add(e, prob, margin, predicted, 1.0 + abs(e - 5) * 0.05)
        fold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        view.cloud.set_points(tally.variability, tally.confidence, tally.corrupted.astype(int), ["#4a78b5", "#e0452b"])
        view.map_plot.grab()  # paint the plot now, offscreen
        redraw.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        view.refresh()
        view.grab()
        refresh.append(time.perf_counter() - t0)
    ms = lambda xs: f"median {statistics.median(xs) * 1e3:.1f} ms, max {max(xs) * 1e3:.1f} ms"  # noqa: E731
    print(f"{n:,} examples, {a.epochs} epochs")
    print(f"tally    an epoch folded in (with AUROC and precision): {ms(fold)}")
    print(f"redraw   data map, {n:,} points set and painted: {ms(redraw)}  (target <= 30 ms)")
    print(f"refresh  the whole tab for an epoch: {ms(refresh)}")


if __name__ == "__main__":
    main()
