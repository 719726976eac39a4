"""The suspects: how well a run's own training dynamics find the labels it corrupted, what
cleaning them buys, and what recording the dynamics costs.

Prints:
  detector  per seed of `overfit` (1,000 images, 300 labels wrong, 40 epochs): AUROC and
            precision at 300 of every score (the default first; target AUROC >= 0.95 and
            precision >= 0.83, mean of seeds 0-2), the epoch of lowest validation loss, how
            many the default count without ground truth would take out; with --eval-pass also
            AUM from an eval-mode pass over the training images after each epoch (the
            alternative to the training forward passes the engine records)
  cleaned   the twin without the top 300: its final validation accuracy against overfit's
            final and best epoch (target: above the best epoch)
  cost      run time with and without recording (run.record_examples), interleaved pairs
            (target <= 5 %)
  disk      the dynamics of a 60,000-example, 40-epoch run, written by the run writer
            (target <= 30 MB)

    python benchmarks/suspects.py [--seeds 0 1 2] [--pairs 6] [--presets overfit dropout] [--eval-pass]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from engine.core import events as ev  # noqa: E402
from engine.core.config import Config, load_preset  # noqa: E402
from engine.experiments.cleaning import cleaned_changes  # noqa: E402
from engine.experiments.experiment import run_single  # noqa: E402
from engine.runs import scores  # noqa: E402
from engine.runs.dynamics import read_dynamics  # noqa: E402
from engine.runs.suspects import read_suspects  # noqa: E402
from engine.runs.writer import RunWriter  # noqa: E402
from engine.training.callbacks import Callback  # noqa: E402


class EvalPass(Callback):
    """The alternative measured against: each example's margin from an eval-mode pass over the
    training images after each epoch."""

    def __init__(self):
        self.margins = []

    def on_epoch_end(self, trainer, metrics):
        model, d = trainer.model, trainer.data
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(x) for x in d.train_x.split(1000)])
        model.train()
        y = d.train_y[:, None]
        self.margins.append((logits.gather(1, y)[:, 0] - logits.scatter(1, y, float("-inf")).amax(1)).numpy())


def detector(preset: str, seeds, eval_pass: bool, runs: Path) -> list[Path]:
    folders = []
    for seed in seeds:
        cfg = load_preset(preset).with_updates({"run.seed": seed})
        probe = EvalPass() if eval_pass else None
        trial = run_single(cfg, runs_dir=runs, subscribers=[probe] if probe else [])
        folders.append(trial.run_dir)
        s = read_suspects(trial.run_dir)
        d = s.dynamics
        parts = [f"{preset} seed {seed}: lowest val loss at epoch {s.turn}; default count without ground truth "
                 f"{scores.estimated_count(d.predicted, d.given, s.val_losses)} (corrupted: {int(d.corrupted.sum())})"]
        for name in scores.SCORES:
            r = read_suspects(trial.run_dir, name).ranking
            parts.append(f"  {name:<12} AUROC {r.auroc:.3f}  precision at {r.k} {r.precision_at_k:.3f}"
                         f"  (epochs 1-{r.upto})")
        m = d.margin
        parts.append(f"  aum, all {len(m)} epochs: AUROC {scores.auroc(-m.mean(0), d.corrupted):.3f}")
        if probe is not None:
            e = np.stack(probe.margins)[: s.ranking.upto]
            parts.append(f"  aum from an eval-mode pass (epochs 1-{s.ranking.upto}): AUROC "
                         f"{scores.auroc(-e.mean(0), d.corrupted):.3f}  precision at {s.ranking.k} "
                         f"{scores.precision_at_k(-e.mean(0), d.corrupted, s.ranking.k):.3f}")
        print("\n".join(parts), flush=True)
    return folders


def cleaned(folders: list[Path], runs: Path) -> None:
    for folder in folders:
        s = read_suspects(folder)
        ref = Config.load(Path(folder) / "config.json")
        base = read_run_final(folder)
        for relabel in (False, True):
            changes, notes = cleaned_changes(ref.to_dict(), s, 300, relabel)
            got = run_single(ref.with_updates(changes), runs_dir=runs, notes=notes).result.final_metrics
            print(f"cleaned seed {ref.run.seed}: top 300 {'relabelled' if relabel else 'removed'} "
                  f"({int(s.dynamics.corrupted[s.ranking.order[:300]].sum())} of them corrupted): final val acc "
                  f"{got['val_accuracy']:.1%} (best {got['max_val_accuracy']:.1%}); overfit final "
                  f"{base['val_accuracy']:.1%}, best epoch {base['max_val_accuracy']:.1%}", flush=True)


def read_run_final(folder: Path) -> dict:
    import json
    return json.loads((Path(folder) / "summary.json").read_text())["final_metrics"]


def cost(pairs: int) -> None:
    """Run time with and without recording, interleaved pairs after an unmeasured warm-up run:
    the training epochs' time (where the recording is done) and the whole Trainer.fit (with
    validation, the run writer and its dynamics files)."""
    steps = {True: [], False: []}
    whole = {True: [], False: []}
    with tempfile.TemporaryDirectory() as runs:
        run_single(load_preset("overfit").with_updates({"optim.epochs": 2}), runs_dir=runs)  # warm-up
    for i in range(pairs):
        for record in ((True, False) if i % 2 == 0 else (False, True)):
            cfg = load_preset("overfit").with_updates({"run.record_examples": record})
            with tempfile.TemporaryDirectory() as runs:
                t0 = time.perf_counter()
                trainer = run_single(cfg, runs_dir=runs).trainer
                whole[record].append(time.perf_counter() - t0)
            steps[record].append(sum(m.epoch_time for m in trainer.history))
    for name, times in (("training epochs", steps), ("whole run", whole)):
        ratios = [a / b for a, b in zip(times[True], times[False], strict=True)]
        print(f"cost: overfit (40 epochs), {name}, with / without recording, {pairs} interleaved pairs: median "
              f"{statistics.median(times[True]):.2f} s / {statistics.median(times[False]):.2f} s; pairwise ratio "
              f"median {statistics.median(ratios):.3f} (pairs {min(ratios):.3f}-{max(ratios):.3f}) -> "
              f"{(statistics.median(ratios) - 1) * 100:+.1f} %  (target <= +5 %)", flush=True)


def disk(examples: int = 60_000, epochs: int = 40) -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as runs:
        w = RunWriter(runs, "disk")
        w.on_event(ev.RunStarted(run_id="x", config=load_preset("overfit").to_dict(), layer_names=[],
                                 parameter_count=0, steps_per_epoch=1, device="cpu", dataset="fashion_mnist",
                                 class_names=[str(i) for i in range(10)], train_size=examples, val_size=0,
                                 epochs=epochs))
        labels = rng.integers(0, 10, examples)
        w.on_event(ev.TrainingExamples(positions=np.arange(examples), given=labels, true=labels,
                                       corrupted=np.zeros(examples, bool), class_names=[str(i) for i in range(10)]))
        t0 = time.perf_counter()
        for e in range(1, epochs + 1):
            w.on_event(ev.ExampleDynamics(epoch=e, probability=rng.random(examples).astype(np.float16),
                                          margin=rng.normal(size=examples).astype(np.float16),
                                          predicted=rng.integers(0, 10, examples).astype(np.int16)))
        write = (time.perf_counter() - t0) / epochs
        size = sum(p.stat().st_size for p in (w.path / "dynamics").iterdir())
        t0 = time.perf_counter()
        read_dynamics(w.path)
        read = time.perf_counter() - t0
    print(f"disk: {examples:,} examples x {epochs} epochs: {size / 1e6:.1f} MB; {write * 1e3:.1f} ms to write an "
          f"epoch, {read:.2f} s to read them all", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--pairs", type=int, default=6)
    p.add_argument("--presets", nargs="+", default=["overfit"])
    p.add_argument("--eval-pass", action="store_true")
    p.add_argument("--only", choices=("detector", "cost", "disk"))
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if a.only in (None, "detector"):
            for preset in a.presets:
                folders = detector(preset, a.seeds, a.eval_pass, Path(tmp))
                if preset == "overfit":
                    cleaned(folders, Path(tmp))
        if a.only in (None, "disk"):
            disk()
        if a.only in (None, "cost"):
            cost(a.pairs)


if __name__ == "__main__":
    main()
