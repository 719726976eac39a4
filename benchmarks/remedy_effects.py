"""What each remedy preset does to the overfit run, as a mean over seeds.

    python benchmarks/remedy_effects.py [--seeds 0 1 2] [--presets overfit dropout ...]
                                        [--set data.label_noise=0.3 ...]

Trains every preset once per seed on the CPU (each remedy preset is `overfit` plus one
remedy: same data, model and seed) and prints, as mean ± sd over the seeds: the validation
accuracy the run ends with (the restored best epoch's where early stopping restores it),
the best validation accuracy of any epoch, the train − validation accuracy gap the run
ends with, the final validation loss and the time. The last columns check the targets: a
remedy's gap at most 0.6 × overfit's, its validation accuracy at least overfit's + 3 points.
`--set` applies the same overrides to every preset (for tuning).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core.config import load_preset  # noqa: E402
from engine.experiments.cleaning import cleaned_changes  # noqa: E402
from engine.experiments.experiment import run_single  # noqa: E402
from engine.runs.suspects import read_suspects  # noqa: E402

PRESETS = ("overfit", "dropout", "weight_decay", "augmentation", "early_stopping", "all_remedies", "cleaned")
# "cleaned": the overfit run of the same seed trained again without its suspects (as many as its
# dynamics estimate), the remedy tour's last run; its time does not include the overfit run's.


def mean_sd(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    m = statistics.fmean(values) * scale
    sd = statistics.stdev(values) * scale if len(values) > 1 else 0.0
    return f"{m:.{digits}f} ± {sd:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU; seeds {args.seeds}"
          + (f"; overrides {' '.join(args.overrides)}" if args.overrides else ""))
    rows = {}
    runs = tempfile.mkdtemp()
    overfit_runs = {}  # seed -> its overfit run folder, for "cleaned"
    for name in args.presets:
        cfg = load_preset("overfit" if name == "cleaned" else name).with_overrides(args.overrides).with_updates(
            {"run.device": "cpu"})
        rows[name] = []
        for seed in args.seeds:
            config = cfg.with_updates({"run.seed": seed})
            notes = None
            if name == "cleaned":
                if seed not in overfit_runs:
                    overfit_runs[seed] = run_single(config, runs_dir=runs).run_dir
                changes, notes = cleaned_changes(config.to_dict(), read_suspects(overfit_runs[seed]))
                config = config.with_updates(changes)
            t0 = time.perf_counter()
            trial = run_single(config, runs_dir=runs, notes=notes)
            seconds = time.perf_counter() - t0
            if name == "overfit":
                overfit_runs[seed] = trial.run_dir
            f = trial.result.final_metrics
            if "end_val_accuracy" not in f:
                sys.exit(f"{name} seed {seed}: {trial.result.reason}: {trial.result.message}")
            rows[name].append(dict(val=f["end_val_accuracy"], best=f["max_val_accuracy"], gap=f["end_gap"],
                                   loss=f["end_val_loss"], epoch=f["end_epoch"], seconds=seconds))
            print(f"  {name:<15} seed {seed}: val {f['end_val_accuracy']:.1%} (epoch {f['end_epoch']}), "
                  f"gap {f['end_gap'] * 100:+.1f} pts, {seconds:.1f} s", flush=True)

    base = rows.get("overfit")
    base_gap = statistics.fmean(r["gap"] for r in base) if base else None
    base_val = statistics.fmean(r["val"] for r in base) if base else None
    print()
    print(f"{'preset':<15} {'final val acc %':>15} {'best val acc %':>15} {'gap (pts)':>13} "
          f"{'final val loss':>15} {'time (s)':>11}  gap ≤ 0.6×overfit  val ≥ overfit+3")
    for name, runs in rows.items():
        col = {k: [r[k] for r in runs] for k in runs[0]}
        checks = ""
        if base and name != "overfit":
            gap_ok = statistics.fmean(col["gap"]) <= 0.6 * base_gap
            val_ok = statistics.fmean(col["val"]) >= base_val + 0.03
            checks = f"  {'yes' if gap_ok else 'NO':<17}  {'yes' if val_ok else 'NO'}"
        print(f"{name:<15} {mean_sd(col['val'], 100):>15} {mean_sd(col['best'], 100):>15} "
              f"{mean_sd(col['gap'], 100):>13} {mean_sd(col['loss'], digits=3):>15} "
              f"{mean_sd(col['seconds']):>11}{checks}")


if __name__ == "__main__":
    main()
