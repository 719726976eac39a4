"""Grokking through corrupted labels: the `grokking` preset headless, and its twin without
weight decay.

Prints the preset's run time (target <= 60 s on this 2-core CPU), the first epoch that fits
>= 0.9 of the corrupted training labels while validation is <= 0.3 (memorized), the end
(targets: validation >= 0.98, corrupted labels as given <= 0.05, clean ones >= 0.98), the
first epoch with validation >= 0.9, and the twin with regularization.weight_decay = 0 at that
epoch (target <= 0.5).

--modulus P runs it for a + b mod P (the preset rejects the noise at 97 and 113, not at 59).
--live EPOCH:L2 (repeatable) runs the README's live move instead of the twin: the preset
started with L2 strength 0, raised to L2 through RunControl after epoch EPOCH (as the window's
settings panel does; a raise past lr × L2 = 0.08 is clamped), and prints the applied change,
validation and the label kinds every 20 epochs (target: validation >= 0.9 and corrupted
labels <= 0.2 at the end, rather than both kinds collapsing to 0 %).

    python benchmarks/grokking.py [--seed 0] [--modulus 97] [--live 60:8 --live 60:15]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core import events as ev  # noqa: E402
from engine.core.config import load_preset  # noqa: E402
from engine.core.control import RunControl  # noqa: E402
from engine.experiments.experiment import run_single  # noqa: E402
from engine.training.callbacks import Callback  # noqa: E402


class RaiseAfter(Callback):
    """Submits {"regularization.weight_decay": value} after `epoch`, as the settings panel does."""

    def __init__(self, control: RunControl, epoch: int, value: float):
        self.control, self.epoch, self.value = control, epoch, value
        self.applied: ev.SettingsApplied | None = None

    def on_event(self, event) -> None:
        if isinstance(event, ev.SettingsApplied):
            self.applied = event

    def on_epoch_end(self, trainer, metrics) -> None:
        if metrics.epoch == self.epoch:
            self.control.submit_settings({"regularization.weight_decay": self.value})


def live_move(cfg, epoch: int, value: float, runs: str) -> None:
    control = RunControl()
    raise_ = RaiseAfter(control, epoch, value)
    h = run_single(cfg.with_updates({"regularization.weight_decay": 0.0}), control=control,
                   subscribers=[raise_], runs_dir=runs).trainer.history
    a = raise_.applied
    applied = ", ".join(f"{k} {old:g} -> {new:g}" for k, (old, new) in a.changes.items()) if a else "nothing"
    at = h[epoch - 1]
    print(f"  live move: L2 0 -> {value:g} after epoch {epoch} (validation {at.val_accuracy:.1%}, corrupted labels "
          f"fitted {at.train_accuracy_corrupted:.1%}); applied: {applied}" + (f" ({a.note})" if a and a.note else ""))
    print("    epoch: validation / corrupted labels as given / clean  " + "  ".join(
        f"{m.epoch}: {m.val_accuracy:.0%} / {m.train_accuracy_corrupted:.0%} / {m.train_accuracy_clean:.0%}"
        for m in h if m.epoch % 20 == 0 or m.epoch == h[-1].epoch))
    lowest = min(h[epoch:], key=lambda m: m.train_accuracy_clean)
    print(f"    end: validation {h[-1].val_accuracy:.1%} (target >= 90 %), corrupted labels as given "
          f"{h[-1].train_accuracy_corrupted:.1%} (<= 20 %); clean labels at their lowest after the raise "
          f"{lowest.train_accuracy_clean:.1%} (epoch {lowest.epoch})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--modulus", type=int, default=None)
    p.add_argument("--live", action="append", default=[], metavar="EPOCH:L2")
    a = p.parse_args()
    cfg = load_preset("grokking").with_updates({"run.seed": a.seed})
    if a.modulus:
        cfg = cfg.with_updates({"data.modulus": a.modulus})
    with tempfile.TemporaryDirectory() as runs:
        if a.live:
            print(f"grokking seed {a.seed}, modulus {cfg.data.modulus}:")
            for move in a.live:
                epoch, value = move.split(":")
                live_move(cfg, int(epoch), float(value), runs)
            return
        t0 = time.perf_counter()
        trainer = run_single(cfg, runs_dir=runs).trainer
        seconds = time.perf_counter() - t0
        h = trainer.history
        memorized = next((m.epoch for m in h if m.train_accuracy_corrupted >= 0.9 and m.val_accuracy <= 0.3), None)
        generalized = next((m.epoch for m in h if m.val_accuracy >= 0.9), None)
        end = h[-1]
        print(f"grokking seed {a.seed}, modulus {cfg.data.modulus}: {seconds:.1f} s headless for {len(h)} epochs (target <= 60 s)")
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
