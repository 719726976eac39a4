"""Your own network from a file vs the built-in one: the `overfit` preset with its MLP, and
with docs/examples/my_mlp.py (the same layers, a plain nn.Sequential importing nothing from
the app). Prints each one's training speed (Trainer.fit() end to end, no run writer), the
ratio file ÷ built-in (target ≥ 0.95) and, per seed, both runs' final validation accuracy
(target: the file's runs within the built-in's seed-to-seed spread).

--overhead: the engine's overhead on a user's ResNet-style file instead
(docs/examples/small_resnet.py on the `cnn` preset's data): benchmarks/engine_overhead.py's
bare PyTorch loop and Trainer.fit() on the same module, interleaved (target ≥ 0.95).

    python benchmarks/user_model.py [--epochs N] [--seeds N] [--repeats N] [--file PATH:NAME]
    python benchmarks/user_model.py --overhead [--epochs N] [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.core.config import load_preset  # noqa: E402
from engine.data.bundle import load_data  # noqa: E402
from engine.training.trainer import Trainer  # noqa: E402


def timed_run(cfg, data) -> tuple[float, float]:
    """(seconds of Trainer.fit(), final validation accuracy)."""
    trainer = Trainer(cfg, data=data)
    t0 = time.perf_counter()
    result = trainer.fit()
    seconds = time.perf_counter() - t0
    if result.reason not in ("completed", "early_stopped"):
        raise SystemExit(f"the run ended {result.reason}: {result.message}")
    return seconds, trainer.history[-1].val_accuracy


def overhead(epochs: int, repeats: int) -> None:
    """bare loop vs engine on the user's ResNet-style file (engine_overhead.py's two loops)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from engine_overhead import bare_loop, engine_run

    cfg = load_preset("cnn").with_updates({"optim.epochs": epochs, "run.device": "cpu", "model.file":
                                           f"{ROOT / 'docs' / 'examples' / 'small_resnet.py'}:SmallResNet"})
    load_data(cfg.data, cfg.run.seed)  # warm the dataset cache
    bare, eng = [], []
    for _ in range(repeats):  # interleaved pairs: both see the same machine load
        bare.append(bare_loop(cfg))
        eng.append(engine_run(cfg))
    print(f"small_resnet.py on the cnn preset's data, {epochs} epoch(s), {repeats} interleaved pair(s), CPU")
    for i, measure in enumerate(("steps only", "whole run")):
        b, e = statistics.median(r[i] for r in bare), statistics.median(r[i] for r in eng)
        print(f"  {measure:<11} bare {b:8,.0f} samples/s  engine {e:8,.0f} samples/s  ratio {e / b:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40, help="epochs per run (the preset: 40)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1, help="timed runs of each kind per seed")
    parser.add_argument("--file", default=f"{ROOT / 'docs' / 'examples' / 'my_mlp.py'}:build")
    parser.add_argument("--overhead", action="store_true", help="engine vs a bare loop on small_resnet.py")
    args = parser.parse_args()
    if args.overhead:
        return overhead(args.epochs, args.repeats)
    base = load_preset("overfit").with_updates({"optim.epochs": args.epochs, "run.device": "cpu",
                                                "run.record_examples": False})
    own = base.with_updates({"model.file": args.file, "model.kwargs": {"hidden": base.model.width}})
    times = {"built-in": [], "file": []}
    accuracy = {"built-in": [], "file": []}  # final validation accuracy, one per seed
    for seed in range(args.seeds):
        data = load_data(base.data, seed)
        for repeat in range(args.repeats):  # alternated, so a busy moment of the machine hits both
            for kind, cfg in (("built-in", base), ("file", own)):
                seconds, acc = timed_run(cfg.with_updates({"run.seed": seed}), data)
                times[kind].append(seconds)
                if repeat == 0:
                    accuracy[kind].append(acc)
    print(f"overfit preset, {args.epochs} epochs, {args.seeds} seed(s) × {args.repeats} timed run(s), CPU")
    for kind, values in times.items():
        accs = ", ".join(f"{a:.1%}" for a in accuracy[kind])
        print(f"  {kind:9} median {statistics.median(values):7.2f} s a run; final val accuracy by seed: {accs}")
    ratio = statistics.median(times["built-in"]) / statistics.median(times["file"])
    lo, hi = min(accuracy["built-in"]), max(accuracy["built-in"])
    inside = all(lo <= a <= hi for a in accuracy["file"])
    print(f"  speed, file ÷ built-in: {ratio:.3f} (target ≥ 0.95)")
    print(f"  file's accuracies within the built-in's seed-to-seed spread [{lo:.1%}, {hi:.1%}]: {inside}")


if __name__ == "__main__":
    main()
