"""Model-wise double descent: the `double_descent` preset's own sweep ([curve]: MNIST-1D,
15 % of the labels wrong, an MLP swept over its width, 3 seeds), as `main.py curve --preset
double_descent` runs it.

Prints per width the mean ± sd final validation error and training error (on the given
labels); the interpolation threshold (the smallest width whose mean training accuracy is >=
0.99); the peak (an interior maximum of the validation error) against the lowest error at
smaller widths and the widest model's (targets: >= 3 points above each); the whole sweep's
time (target <= 10 min on this 2-core CPU). Then, per width, the epoch-wise view: where the
validation error was lowest, and where early stopping (monitor val_loss, the preset's
patience) would have stopped and with what error — whether it stops before a second descent.

    python benchmarks/double_descent.py [--seeds N] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core.config import curve_section, load_preset  # noqa: E402
from engine.experiments.experiment import Experiment  # noqa: E402
from engine.experiments.plans import curve_plan  # noqa: E402
from engine.runs.reader import read_run  # noqa: E402


def early_stop(val_losses: list[float], patience: int) -> int:
    """The epoch (1-based) Keras's rule (min_delta 0) stops at, watching validation loss."""
    best, wait = float("inf"), 0
    for i, v in enumerate(val_losses):
        if v < best:
            best, wait = v, 0
        else:
            wait += 1
            if wait >= patience:  # as the app's EarlyStopping (engine.training.callbacks)
                return i + 1
    return len(val_losses)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int)
    p.add_argument("--set", dest="overrides", action="append", default=[])
    a = p.parse_args()
    sweep = curve_section(preset="double_descent")
    base = load_preset("double_descent").with_overrides(a.overrides)
    seeds = [base.run.seed + i for i in range(a.seeds or sweep["seeds"])]
    key, values = sweep["over"], sweep["values"]
    with tempfile.TemporaryDirectory() as runs:
        t0 = time.perf_counter()
        result = Experiment(base, curve_plan(key, values, seeds), runs_dir=runs, name="dd", kind="curve").run()
        seconds = time.perf_counter() - t0
        epochs = {v: [] for v in values}  # per width: each seed's epoch rows
        for t in result.trials:
            epochs[t.config.get(key)].append(read_run(t.run_dir).epochs)
    val_err = {v: [1 - rs[-1]["val_accuracy"] for rs in runs_of] for v, runs_of in epochs.items()}
    train_acc = {v: [rs[-1]["train_accuracy"] for rs in runs_of] for v, runs_of in epochs.items()}
    print(f"double_descent: {len(result.trials)} runs ({len(values)} widths x {len(seeds)} seeds, "
          f"{base.optim.epochs} epochs) in {seconds / 60:.1f} min (target <= 10 min)")
    print(f"{key:>12}  val error %     train error %   epoch-wise (mean over seeds): lowest val error at epoch, "
          f"early stopping (patience {base.regularization.patience}) at epoch, its val error")
    for v in values:
        e, tr = val_err[v], train_acc[v]
        lowest = [min(range(len(rs)), key=lambda j: rs[j]["val_loss"]) + 1 for rs in epochs[v]]
        stops = [early_stop([r["val_loss"] for r in rs], base.regularization.patience) for rs in epochs[v]]
        at_stop = [1 - rs[s - 1]["val_accuracy"] for rs, s in zip(epochs[v], stops, strict=True)]
        best = [1 - max(r["val_accuracy"] for r in rs) for rs in epochs[v]]
        print(f"{v:>12}  {statistics.fmean(e) * 100:5.1f} ± {statistics.pstdev(e) * 100:4.1f}   "
              f"{(1 - statistics.fmean(tr)) * 100:5.1f}            lowest val loss at epoch "
              f"{statistics.fmean(lowest):.0f}; early stop at {statistics.fmean(stops):.0f}: val error "
              f"{statistics.fmean(at_stop) * 100:.1f} % (best epoch's {statistics.fmean(best) * 100:.1f} %)")
    means = [statistics.fmean(val_err[v]) for v in values]
    threshold = next((v for v in values if statistics.fmean(train_acc[v]) >= 0.99), None)
    i = max(range(1, len(values) - 1), key=lambda j: means[j])
    left, right = min(means[:i]), means[-1]
    print(f"interpolation threshold (mean training accuracy >= 99 %): width {threshold}")
    print(f"peak: width {values[i]}, {means[i] * 100:.1f} % — {(means[i] - left) * 100:+.1f} pts above the lowest "
          f"at smaller widths ({left * 100:.1f} %), {(means[i] - right) * 100:+.1f} pts above the widest "
          f"({right * 100:.1f} %)  (targets >= +3 each)")


if __name__ == "__main__":
    main()
