"""What a hyperparameter search costs, what pruning saves, and what local workers buy.

    python benchmarks/search.py [--trials 30] [--epochs 20] [--worker-trials 8]

On this machine's CPU, with the `overfit` preset (its epochs set by --epochs):
  * per-trial overhead: from a trial's last epoch to the next trial's first step (the data
    loaded once; the study asked and told in between), median and max (target ≤ 0.5 s);
  * pruning: the same 30-trial TPE study (seed 0) with the median pruner and without:
    epochs trained and the best value (target: ≥ 40 % fewer epochs, best within 1 point);
  * workers: N trials by 1 worker with 2 torch threads against 2 workers with 1 thread
    each (separate processes sharing the study's journal), wall time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.experiments import Clock  # noqa: E402  (trial start, first step, last epoch)
from engine.core.config import load_preset  # noqa: E402
from engine.search.runner import run_worker, start_study  # noqa: E402
from engine.search.space import search_settings  # noqa: E402


def study(root: Path, name: str, trials: int, epochs: int, pruner: str, clock=None):
    base = load_preset("overfit").with_updates({"optim.epochs": epochs, "run.device": "cpu"})
    settings = search_settings({"trials": trials, "pruner": pruner, "seed": 0,
                                "params": {"optim.lr": {"low": 1e-4, "high": 1e-2, "log": True},
                                           "regularization.dropout": {"low": 0.0, "high": 0.7},
                                           "regularization.weight_decay": {"low": 1e-3, "high": 10.0, "log": True}}})
    s, folder = start_study(base, settings, name, root, None)
    t0 = time.perf_counter()
    run_worker(s, settings, base, folder, None, subscribers=[clock] if clock else ())
    seconds = time.perf_counter() - t0
    epochs_trained = sum(t.user_attrs.get("epochs", 0) for t in s.get_trials())
    return s, epochs_trained, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--worker-trials", type=int, default=8)
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU; overfit preset at {args.epochs} epochs")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clock = Clock()
        pruned, pruned_epochs, pruned_s = study(root, "median", args.trials, args.epochs, "median", clock)
        m = clock.marks
        gaps = [b[1] - a[1] for a, b in zip(m, m[1:], strict=False) if a[0] == "end" and b[0] == "trial"]
        starts = [b[1] - a[1] for a, b in zip(m, m[1:], strict=False) if a[0] == "trial" and b[0] == "step"][1:]
        over = [g + s for g, s in zip(gaps, starts, strict=False)]
        print(f"per-trial overhead, last epoch -> next trial's first step: median {statistics.median(over):.3f} s, "
              f"max {max(over):.3f} s (target <= 0.5 s)")
        full, full_epochs, full_s = study(root, "none", args.trials, args.epochs, "none")
        saved = 1 - pruned_epochs / full_epochs
        print(f"{args.trials} trials, median pruner: {pruned_epochs} epochs in {pruned_s:.0f} s, best "
              f"{pruned.best_value:.4f}; no pruner: {full_epochs} epochs in {full_s:.0f} s, best {full.best_value:.4f}")
        print(f"  pruning trained {saved:.0%} fewer epochs (target >= 40 %); best value "
              f"{(pruned.best_value - full.best_value) * 100:+.2f} points (target within 1)")
        workers(root, args.worker_trials, args.epochs)


def workers(root: Path, trials: int, epochs: int) -> None:
    common = ["--preset", "overfit", "--set", f"optim.epochs={epochs}", "--trials", str(trials), "--out", str(root)]
    main_py = [sys.executable, str(ROOT / "main.py"), "search"]
    t0 = time.perf_counter()
    subprocess.run([*main_py, *common, "--study", "one", "--workers", "1"], check=True, capture_output=True)
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([*main_py, *common, "--study", "two", "--workers", "2"], check=True, capture_output=True)
    two = time.perf_counter() - t0
    print(f"{trials} trials: 1 worker with 2 threads {one:.0f} s; 2 workers with 1 thread each {two:.0f} s "
          f"({one / two:.2f} x)")


if __name__ == "__main__":
    main()
