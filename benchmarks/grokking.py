"""Grokking through corrupted labels: the `grokking` preset headless, and its twin without
weight decay.

Prints the preset's run time (target <= 60 s on this 2-core CPU), the first epoch that fits
>= 0.9 of the corrupted training labels while validation is <= 0.3 (memorized), the end
(targets: validation >= 0.98, corrupted labels as given <= 0.05, clean ones >= 0.98), the
first epoch with validation >= 0.9, and the twin with regularization.weight_decay = 0 at that
epoch (target <= 0.5).

    python benchmarks/grokking.py [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core.config import load_preset  # noqa: E402
from engine.experiments.experiment import run_single  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    cfg = load_preset("grokking").with_updates({"run.seed": a.seed})
    with tempfile.TemporaryDirectory() as runs:
        t0 = time.perf_counter()
        trainer = run_single(cfg, runs_dir=runs).trainer
        seconds = time.perf_counter() - t0
        h = trainer.history
        memorized = next((m.epoch for m in h if m.train_accuracy_corrupted >= 0.9 and m.val_accuracy <= 0.3), None)
        generalized = next((m.epoch for m in h if m.val_accuracy >= 0.9), None)
        end = h[-1]
        print(f"grokking seed {a.seed}: {seconds:.1f} s headless for {len(h)} epochs (target <= 60 s)")
        if memorized:
            m = h[memorized - 1]
            print(f"  memorized: epoch {memorized}, corrupted labels fitted {m.train_accuracy_corrupted:.1%}, "
                  f"validation {m.val_accuracy:.1%}  (targets >= 90 %, <= 30 %)")
        else:
            print("  memorized: no epoch fitted >= 90 % of the corrupted labels with validation <= 30 %")
        print(f"  end (epoch {end.epoch}): validation {end.val_accuracy:.1%} (>= 98 %), corrupted labels as given "
              f"{end.train_accuracy_corrupted:.1%} (<= 5 %), clean {end.train_accuracy_clean:.1%} (>= 98 %)")
        print(f"  validation first >= 90 % at epoch {generalized}")
        twin = run_single(cfg.with_updates({"regularization.weight_decay": 0.0}), runs_dir=runs).trainer.history
        if generalized:
            w = twin[generalized - 1]
            print(f"  without weight decay, epoch {generalized}: validation {w.val_accuracy:.1%} (target <= 50 %), "
                  f"corrupted labels fitted {w.train_accuracy_corrupted:.1%}; at its end (epoch {twin[-1].epoch}): "
                  f"validation {twin[-1].val_accuracy:.1%}")


if __name__ == "__main__":
    main()
