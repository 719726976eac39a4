"""What running several runs as one experiment costs, and how fast the runs browser lists.

    python benchmarks/experiments.py [--preset overfit] [--trials 5] [--folders 1000]

Prints, on this machine's CPU:
  * the per-run overhead inside an experiment whose runs share their data settings (the
    data loaded once): from a trial's start to its first training step, and from a run's
    end to the next trial's start (median and max over the trials; target ≤ 0.5 s);
  * one run of the preset against a 5-fold cross-validation of it (target ≤ 5.5 ×); each
    fold trains on 4/5 of the training examples and validates on the other 1/5;
  * how long listing N run folders takes (engine.runs.index.scan: summaries and configs
    only, never the metrics files; target ≤ 1 s for 1,000).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core import events as ev  # noqa: E402
from engine.core.config import load_preset  # noqa: E402
from engine.experiments.experiment import Experiment, run_single  # noqa: E402
from engine.experiments.plans import cv_plan  # noqa: E402
from engine.runs.index import scan  # noqa: E402
from engine.training.callbacks import Callback  # noqa: E402


class Clock(Callback):
    def __init__(self):
        self.marks: list[tuple[str, float]] = []
        self._first_step = False

    def on_event(self, event) -> None:
        now = time.perf_counter()
        if isinstance(event, ev.TrialStarted):
            self.marks.append(("trial", now))
            self._first_step = True
        elif isinstance(event, ev.StepMetrics) and self._first_step:
            self.marks.append(("step", now))
            self._first_step = False
        elif isinstance(event, ev.EpochMetrics):  # the last one of a run marks its end of training
            if self.marks and self.marks[-1][0] == "end":
                self.marks[-1] = ("end", now)
            else:
                self.marks.append(("end", now))


def overhead(preset: str, trials: int, root: Path) -> None:
    cfg = load_preset(preset).with_updates({"run.device": "cpu", "optim.epochs": 2})
    clock = Clock()
    plan = [{"regularization.dropout": 0.1 * i} for i in range(trials)]  # same data: loaded once
    Experiment(cfg, plan, subscribers=[clock], runs_dir=root, name="overhead").run()
    marks = clock.marks
    to_first = [b[1] - a[1] for a, b in zip(marks, marks[1:], strict=False) if a[0] == "trial" and b[0] == "step"]
    between = [b[1] - a[1] for a, b in zip(marks, marks[1:], strict=False) if a[0] == "end" and b[0] == "trial"]
    # The first trial's start includes loading the data; the others reuse it.
    print(f"per-run overhead, {preset} ({trials} runs, data shared):")
    print(f"  first trial, start -> first step (loads the data): {to_first[0]:.3f} s")
    print(f"  later trials, start -> first step: median {statistics.median(to_first[1:]):.3f} s, "
          f"max {max(to_first[1:]):.3f} s  (target <= 0.5 s)")
    print(f"  last epoch of a run -> next trial starts (weights, summary, next folder written): median "
          f"{statistics.median(between):.3f} s, max {max(between):.3f} s  (target <= 0.5 s)")


def cv_ratio(preset: str, root: Path) -> None:
    cfg = load_preset(preset).with_updates({"run.device": "cpu"})
    t0 = time.perf_counter()
    run_single(cfg, runs_dir=root)
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    Experiment(cfg, cv_plan(5), runs_dir=root, name="cv", kind="cv", meta={"folds": 5}).run()
    five = time.perf_counter() - t0
    print(f"{preset}: one run {one:.1f} s; 5-fold cross-validation {five:.1f} s = {five / one:.2f} x one run "
          f"(target <= 5.5 x; a fold validates 1/5 of the {cfg.data.train_size:,} training examples each "
          f"epoch, the run {cfg.data.val_size:,} held-out ones)")


def listing(folders: int, root: Path) -> None:
    cfg = load_preset("overfit").with_updates({"run.device": "cpu", "optim.epochs": 2,
                                               "data.train_size": 200, "data.val_size": 200})
    source = run_single(cfg, runs_dir=root / "source").run_dir
    many = root / "many"
    many.mkdir()
    for i in range(folders):
        shutil.copytree(source, many / f"20261126-000000-run-{i:04d}", ignore=shutil.ignore_patterns("*.safetensors"))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        _, runs = scan(many)
        times.append(time.perf_counter() - t0)
    assert len(runs) == folders
    print(f"listing {folders:,} run folders: median {statistics.median(times):.3f} s over 3 scans "
          f"(first, cold-ish: {times[0]:.3f} s; target <= 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="overfit")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--folders", type=int, default=1000)
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        overhead(args.preset, args.trials, root / "overhead")
        cv_ratio(args.preset, root / "cv")
        listing(args.folders, root / "listing")


if __name__ == "__main__":
    main()
