"""The Examples tab at the size of full Fashion-MNIST: 60,000 training examples.

Prints, per epoch of synthetic dynamics (the figures depend on the number of examples, not
on what they are; 40 epochs, 15 % of the labels marked corrupted):
  tally    folding an epoch into the running scores (engine.runs.tally), with the detector's
           AUROC and precision for the epoch
  redraw   the data map given the epoch's 60,000 points and painted (set_points + a paint of
           the plot, offscreen; target <= 30 ms)
  refresh  the whole tab's redraw for the epoch (data map, detector plot, gallery, summary)
  open     Open a run… in a window: a run folder of that size read and scored (off the GUI
           thread), its images fetched by the engine thread, the GUI thread's stalls meanwhile
           (a 1-ms timer's gaps; targets p99 <= 20 ms, max <= 50 ms), until the tab shows them.
           The folder is a Fashion-MNIST run of that many training examples (at most 59,000:
           the rest is its validation split) trained one epoch (a few seconds), its dynamics
           replaced by synthetic ones over the epochs. A toy run that does not complete ends
           the benchmark with its message (exit status 1), not a figure.

    python benchmarks/examples_tab.py [--examples N] [--epochs N] [--skip-open]
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
    p.add_argument("--skip-open", action="store_true", help="leave out Open a run… (it trains a tiny run first)")
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
    if not a.skip_open:
        view.close()
        open_stalls(app, n, a.epochs)


# Fashion-MNIST's 60,000 training images less the default validation split's 1,000: the most
# a run's training split can hold (the engine refuses more)
OPEN_AT_MOST = 59_000


def synthetic_run(folder: Path, n: int, epochs: int) -> Path:
    """A finished toy run's folder, its per-example dynamics replaced by n examples over `epochs`."""
    from engine.core import events as ev
    from engine.core.config import Config
    from engine.experiments.experiment import run_single
    from engine.runs.dynamics import FOLDER, write_epoch, write_examples

    config = Config().with_updates({"data.dataset": "fashion_mnist", "data.train_size": n, "data.val_size": 1000,
                                     "optim.epochs": 1, "optim.batch_size": 1024, "model.width": 16,
                                     "run.device": "cpu"})
    trial = run_single(config, runs_dir=folder)
    if trial.result is None or trial.result.reason != ev.COMPLETED or trial.run_dir is None:
        # a run that did not complete has no folder worth opening: no figure is better than a wrong one
        why = trial.result.message if trial.result is not None else "it did not start"
        raise SystemExit(f"examples_tab: the toy run for Open a run… did not complete: {why}")
    run = trial.run_dir
    for old in (run / FOLDER).glob("*"):
        old.unlink()
    rng = np.random.default_rng(1)
    given = rng.integers(0, 10, n)
    corrupted = rng.random(n) < 0.15
    write_examples(run, ev.TrainingExamples(np.arange(n), given, np.where(corrupted, (given + 1) % 10, given),
                                            corrupted, [f"class {i}" for i in range(10)]))
    for e in range(1, epochs + 1):
        margin = (np.where(corrupted, -1.0, 1.0) * min(e, 5) + rng.normal(0, 2, n)).astype(np.float16)
        write_epoch(run, ev.ExampleDynamics(e, (1 / (1 + np.exp(-margin.astype(np.float32)))).astype(np.float16),
                                            margin, np.where(margin > 0, given, (given + 3) % 10).astype(np.int16)))
    return run


def open_stalls(app, n: int, epochs: int) -> None:
    import tempfile

    from PySide6.QtCore import QTimer

    from gui.window.main_window import MainWindow

    n = min(n, OPEN_AT_MOST)  # the run's training split, whose images the tab fetches by position
    with tempfile.TemporaryDirectory() as tmp:
        run = synthetic_run(Path(tmp) / "runs", n, epochs)
        window = MainWindow(runs_dir=Path(tmp) / "window", restore=False)
        window.resize(1280, 720)
        window.show()
        for _ in range(20):
            app.processEvents()
        gaps, last = [], [time.perf_counter()]

        def tick():
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer(interval=1)
        timer.timeout.connect(tick)
        timer.start()
        t0 = time.perf_counter()
        window.examples.open_folder(str(run))
        while window.examples.folder != run and time.perf_counter() - t0 < 120:
            app.processEvents()
        shown = time.perf_counter() - t0
        while window.examples_view.images is None and time.perf_counter() - t0 < 300:
            app.processEvents()
        pictured = time.perf_counter() - t0
        until = time.perf_counter() + 0.5  # and the tab's first redraws after
        while time.perf_counter() < until:
            app.processEvents()
        timer.stop()
        window.engine.quit()
        window.engine.thread.wait(5000)
        window.close()
    gaps.sort()
    p99 = gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))]
    print(f"open     {n:,} examples x {epochs} epochs shown after {shown:.2f} s, their images after "
          f"{pictured:.2f} s; GUI stalls meanwhile: "
          f"p99 {p99 * 1e3:.1f} ms, max {gaps[-1] * 1e3:.1f} ms  (targets <= 20 ms, <= 50 ms)")


if __name__ == "__main__":
    main()
