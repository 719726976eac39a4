"""GUI responsiveness while training the `overfit` preset (or --preset) on CPU (Qt offscreen).

Prints:
  throughput   training samples/s with the window plotting live / the headless engine in
               a process of its own (target >= 0.90), pairs measured in alternating order;
               also with the stall probe running; the GUI thread's CPU per epoch (robust to load)
  stall        GUI event-loop stall while training, from a 1 ms timer in the GUI thread
               (target p99 <= 20 ms, max <= 50 ms)
  pause        latency from the click to the worker idling (target <= one step + 20 ms)
  evaluation   GUI stalls while the engine evaluates the 10,000-image test split
  refresh      a redraw frame (refresh + paint) with 100,000 points per curve (target <= 5 ms)
  startup      process start to visible window (target <= 1.5 s) and to Start enabled (<= 3 s)

    python benchmarks/gui_responsiveness.py [--epochs N] [--repeats N] [--tab examples] [--preset NAME] [--only-throughput]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.core import events as ev  # noqa: E402
from engine.core.config import load_preset  # noqa: E402


class Headless:
    """The engine alone, as `main.py train` runs it, in a process of its own that stays up
    between runs (started once: importing torch takes seconds), idle while the window trains."""

    def __init__(self, cfg):
        self.tmp = tempfile.TemporaryDirectory()
        path = Path(self.tmp.name) / "config.toml"
        cfg.save(path)
        self.proc = subprocess.Popen([sys.executable, __file__, "--headless-child", str(path)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def run(self) -> float:
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(60)
        self.tmp.cleanup()


def headless_child(path):
    import engine.core.runtime
    from engine.core.config import Config
    from engine.experiments.experiment import run_single

    cfg = Config.load(path)
    engine.core.runtime.warm_up()  # as the window's loader does: the first run pays no imports
    print("ready", flush=True)
    for _line in sys.stdin:
        with tempfile.TemporaryDirectory() as runs:
            t = run_single(cfg, runs_dir=runs).trainer
        n = len(t.data.train_y) * cfg.optim.epochs
        print(n / sum(m.epoch_time for m in t.history), flush=True)


def open_window(cfg):
    """One window for every measurement, as a user runs one run after another in it: its
    one engine thread serves them all (a new window per run would start a new engine
    thread, and torch's OpenMP pools of the old ones slow the new one)."""
    import engine.core.runtime
    from gui.window.main_window import MainWindow

    engine.core.runtime.warm_up()  # as the app's background loader has done, seconds after its start
    w = MainWindow(cfg, None, runs_dir=tempfile.mkdtemp(), restore=False)
    w.show()
    w.set_engine_ready()
    return w


def close_window(app, w):
    w.close()
    while w.any_thread_running():
        app.processEvents()
        time.sleep(0.01)


gui_cpu: list[tuple[float, int, float]] = []  # per window run: GUI-thread CPU s, epochs, training s


def windowed(app, w, cfg, probe_stalls: bool):
    """Train one run in the window; return (samples/s, stall intervals in ms, index of the
    first interval after RunStarted, i.e. once the run's data are loaded and training begins).

    With probe_stalls, a 1 ms timer on the GUI thread records how late the event loop
    runs it. The probe itself costs the training thread (a thousand GIL hand-overs a
    second), so throughput is reported from runs without it."""
    w.settings_panel.set_config(cfg)
    epochs, gaps = [], []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setInterval(1)
    last = [0]

    def tick():
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    def record(e):
        if isinstance(e, ev.EpochMetrics):
            epochs.append(e)

    def begin(_e):
        began.append(len(gaps))

    probe.timeout.connect(tick)
    loop = QEventLoop()
    began = []
    # Both signals are emitted on the GUI thread, so plain functions are safe receivers.
    w.run_ended.connect(loop.quit)
    w.run_started.connect(begin)
    w.epoch_shown.connect(record)
    clock.start()
    if probe_stalls:
        probe.start()
    cpu0 = time.thread_time()
    w.start_run()
    loop.exec()  # as app.exec() would: the GUI thread sleeps between events
    gui_cpu.append((time.thread_time() - cpu0, len(epochs), sum(e.epoch_time for e in epochs)))
    probe.stop()
    w.run_ended.disconnect(loop.quit)
    w.run_started.disconnect(begin)
    w.epoch_shown.disconnect(record)
    n = sum(e.samples_per_sec * e.epoch_time for e in epochs)  # examples trained (a preset's own split sizes)
    return n / sum(e.epoch_time for e in epochs), gaps[5:], max(0, began[0] - 5)


def evaluation_stalls(app, w, cfg):
    """The window's event loop while the engine thread evaluates the 10,000-image test split
    (after a short run): GUI stall intervals in ms, and how long the evaluation took."""
    w.settings_panel.set_config(cfg.with_updates({"optim.epochs": 1}))
    done = QEventLoop()
    w.run_ended.connect(done.quit)
    w.start_run()
    done.exec()
    w.run_ended.disconnect(done.quit)
    gaps, clock, last = [], QElapsedTimer(), [0]

    def tick():
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    probe = QTimer()
    probe.setInterval(1)
    probe.timeout.connect(tick)
    shown = QEventLoop()
    w.test_shown.connect(shown.quit)
    clock.start()
    probe.start()
    t0 = time.perf_counter()
    w.actions["test"].trigger()
    shown.exec()
    took = time.perf_counter() - t0
    probe.stop()
    w.test_shown.disconnect(shown.quit)
    w.tabs.setCurrentWidget(w.plots)
    return gaps[5:], took


def pause_latency(app, w, cfg, trials=10):
    """Click -> Paused event (the worker idles), against the step time."""
    w.settings_panel.set_config(cfg.with_updates({"optim.epochs": 1000}))
    paused, epochs = [], []
    w.epoch_shown.connect(epochs.append)
    w.start_run()
    while w.plots.step_loss.n < 5:
        app.processEvents()
    w.engine.worker.event_emitted.connect(lambda n, e: paused.append(e) if isinstance(e, ev.Paused) else None)
    latencies = []
    for _ in range(trials):
        paused.clear()
        t0 = time.perf_counter()
        w.actions["pause"].trigger()
        while not paused:
            time.sleep(0.0002)
        latencies.append((paused[0].time - t0) * 1000)
        w.actions["pause"].trigger()
        time.sleep(0.15)
        app.processEvents()
    with_end = QEventLoop()
    w.run_ended.connect(with_end.quit)
    w.actions["stop"].trigger()
    with_end.exec()
    w.epoch_shown.disconnect(epochs.append)
    step_ms = (1000 * sum(m.epoch_time for m in epochs) / max(1, epochs[-1].step)) if epochs else float("nan")
    return latencies, step_ms


def refresh_time(app, points=100_000, trials=20):
    """Redraw times (refresh + the paint it causes) with 100,000 points on every curve:
    a timer frame after one new step, the frame that folds the step curve's tail into
    its 100,000-point long curve, and all plots at once after one new point on every curve."""
    from gui.panels.plots import PlotsPanel

    panel = PlotsPanel()
    panel.resize(1100, 800)
    panel.show()
    panel.timer.stop()
    started = ev.RunStarted(run_id="b", config=load_preset("overfit").to_dict(),
                            layer_names=["fc1", "fc2", "out"], parameter_count=1, steps_per_epoch=1,
                            device="cpu", dataset="fashion_mnist", class_names=[], train_size=1,
                            val_size=1, epochs=points)
    panel.start_run(started, "bench")
    x = np.arange(1, points + 1, dtype=float)
    rng = np.random.default_rng(0)
    everything = (panel.step_loss, *panel.series.values(), *panel.layer_series.values(), *panel.grad_series.values())
    for i, s in enumerate(everything):
        # Curves as training draws them: a decay to a plateau, with noise on every point.
        s.extend(x, (1 + i / 10) * (0.3 + np.exp(-x / (points / 5))) * (1 + 0.1 * rng.standard_normal(points)))
    panel.refresh()
    app.processEvents()
    n = points

    def timed(fn):
        t0 = time.perf_counter()
        fn()
        app.processEvents()  # the paint the refresh scheduled
        return (time.perf_counter() - t0) * 1000

    step, fold, full = [], [], []
    for _ in range(trials):
        for _ in range(panel.step_loss.TAIL_POINTS):
            n += 1
            panel.step_loss.append(n, 1.0)
            step.append(timed(lambda: panel.refresh(staggered=True)))
        n += 1
        panel.step_loss.append(n, 1.0)  # past the tail's length: the long curve is redrawn
        fold.append(timed(lambda: panel.refresh(staggered=True)))
        n += 1
        for s in everything:
            s.append(n, 1.0)
        full.append(timed(lambda: panel.refresh(staggered=False)))
    panel.close()
    plots = sum(1 for p in panel.plots.values() if not p.isHidden())
    return statistics.median(step), statistics.median(fold), statistics.median(full), len(everything), plots


def launch(env: dict) -> tuple[float, float]:
    """One start of main.py: seconds to the window visible and to Start enabled."""
    t0 = time.time()
    p = subprocess.Popen([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env,
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    marks = {}
    for line in p.stderr:
        if line.startswith("timing "):
            _, what, stamp = line.split()
            marks[what] = float(stamp)
            if what == "engine-ready":
                break
    p.terminate()
    p.wait(30)
    return marks["window-visible"] - t0, marks["engine-ready"] - t0


def startup(repeats=9):
    visible, ready = [], []
    env = dict(os.environ, OVERFIT_LAB_TIMING="1", QT_QPA_PLATFORM="offscreen",
               XDG_CONFIG_HOME=tempfile.mkdtemp())
    # As on a user's machine: Python caches the bytecode of our modules at the first
    # launch (an unmeasured one here), later launches load it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for i in range(repeats + 1):
        v, r = launch(env)
        if i > 0:
            visible.append(v)
            ready.append(r)
    return visible, ready


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--tab", choices=("training", "examples"), default="training",
                        help="the tab showing while the window trains (examples: its data map and gallery "
                             "redrawn every epoch)")
    parser.add_argument("--preset", default="overfit", help="the preset trained (default overfit)")
    parser.add_argument("--only-throughput", action="store_true", help="the window / headless ratio and stalls only")
    parser.add_argument("--headless-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.headless_child:
        return headless_child(args.headless_child)
    app = QApplication.instance() or QApplication([])
    QCoreApplication.setOrganizationName("OverfitLabBenchmark")
    from importlib.metadata import version

    cfg = load_preset(args.preset).with_updates({"optim.epochs": args.epochs, "run.device": "cpu"})
    print(f"{args.preset} preset, {args.epochs} epochs, torch {version('torch')}, {os.cpu_count()} CPUs, "
          f"Qt platform {app.platformName()}, the {args.tab} tab showing")
    w = open_window(cfg)
    if args.tab == "examples":
        w.tabs.setCurrentWidget(w.examples_view)
    child = Headless(cfg)
    head, live, probed, gaps, training = [], [], [], [], []
    windowed(app, w, cfg, probe_stalls=False)  # the window's first run, like the child's warm-up
    for i in range(args.repeats):
        # Alternate the order (headless first, then window first), so that a machine
        # slowing down or speeding up over the benchmark favours neither side.
        if i % 2 == 0:
            head.append(child.run())
            live.append(windowed(app, w, cfg, probe_stalls=False)[0])
        else:
            live.append(windowed(app, w, cfg, probe_stalls=False)[0])
            head.append(child.run())
    child.close()
    for _ in range(max(1, args.repeats // 2)):
        sps, g, began = windowed(app, w, cfg, probe_stalls=True)
        probed.append(sps)
        gaps += g
        training += g[began:]
    h, w_, p_ = statistics.median(head), statistics.median(live), statistics.median(probed)
    pairs = [b / a for a, b in zip(head, live, strict=True)]
    print(f"throughput  headless {h:,.0f} samples/s, window {w_:,.0f} samples/s, ratio of medians {w_ / h:.3f}, "
          f"median of pairwise ratios {statistics.median(pairs):.3f} (pairs {min(pairs):.2f}..{max(pairs):.2f})"
          f"  (target >= 0.90)\n            with the 1 ms stall probe running: {p_:,.0f} samples/s, ratio {p_ / h:.3f}")
    # What the window's own thread spent (CPU, not wall time: robust to a loaded machine), per
    # epoch and as a share of the training time: what the engine thread cannot have.
    cpu = [c / max(n, 1) * 1000 for c, n, _ in gui_cpu]
    share = [c / max(t, 1e-9) for c, _, t in gui_cpu]
    print(f"gui thread  CPU {statistics.median(cpu):.2f} ms per epoch (median of {len(cpu)} window runs), "
          f"{statistics.median(share):.1%} of the training time")
    g, t = np.asarray(gaps) - 1.0, np.asarray(training) - 1.0
    print(f"stall       1 ms timer: p50 {np.percentile(g, 50):.1f} ms, p99 {np.percentile(g, 99):.1f} ms, "
          f"max {g.max():.1f} ms over {len(g):,} ticks  (targets p99 <= 20, max <= 50)\n"
          f"            of which while training (after the data are loaded): p99 {np.percentile(t, 99):.1f} ms, "
          f"max {t.max():.1f} ms over {len(t):,} ticks")
    if args.only_throughput:
        close_window(app, w)
        return
    lat, step_ms = pause_latency(app, w, cfg)
    eval_gaps, took = evaluation_stalls(app, w, cfg)
    close_window(app, w)
    e = np.asarray(eval_gaps) - 1.0
    print(f"evaluation  while the engine evaluates the 10,000-image test split ({took:.2f} s, report "
          f"shown): stall p99 {np.percentile(e, 99):.1f} ms, max {e.max():.1f} ms over {len(e):,} ticks  "
          f"(targets p99 <= 20, max <= 50)")
    print(f"pause       click -> worker idle: median {statistics.median(lat):.1f} ms, max {max(lat):.1f} ms; "
          f"one step = {step_ms:.1f} ms  (target <= step + 20 ms)")
    step, fold, full, curves, plots = refresh_time(app)
    print(f"refresh     {curves} curves x 100,000 points, median frame (refresh + paint): after a step {step:.2f} ms, "
          f"folding the step tail into the long curve {fold:.2f} ms, every curve of the {plots} plots changed "
          f"{full:.2f} ms  (target <= 5 ms)")
    vis, ready = startup()
    print(f"startup     median of {len(ready)} launches: window visible {statistics.median(vis):.2f} s "
          f"({min(vis):.2f}..{max(vis):.2f}), Start enabled {statistics.median(ready):.2f} s "
          f"({min(ready):.2f}..{max(ready):.2f}; {sum(r <= 3.0 for r in ready)} of {len(ready)} within 3 s)"
          f"  (targets 1.5 s, 3 s)")


if __name__ == "__main__":
    main()
