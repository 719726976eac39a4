"""Engine overhead: the same training through a bare PyTorch loop and through the engine.

Both use the same model, the same in-memory tensors, batch size, epochs and step count.
Two comparisons are printed:
  steps only  the bare loop's training steps vs the engine's training loop (epoch_time:
              per-step metrics accumulation, gradient norms, step events, run writer lines)
  whole run   bare steps + a per-epoch validation pass vs Trainer.fit() end to end with the
              run writer on (validation, weight norms, best-weight snapshots, safetensors)
Target: engine / bare >= 0.95 on CPU.

    python benchmarks/engine_overhead.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from engine.core.config import load_preset  # noqa: E402
from engine.data.bundle import load_data, shuffled_batches  # noqa: E402
from engine.nets.models import build_model  # noqa: E402
from engine.runs.writer import RunWriter
from engine.training.evaluate import EVAL_BATCH
from engine.training.trainer import Trainer  # noqa: E402

CASES = {"overfit": {}, "cnn": {"optim.epochs": 3}}  # overfit: the preset as shipped, 40 epochs


def bare_loop(cfg):
    """A plain PyTorch loop: the minimum any training script does."""
    torch.manual_seed(cfg.run.seed)
    d = load_data(cfg.data, cfg.run.seed)
    model = build_model(cfg.model, d.input_shape, d.num_classes, cfg.regularization.dropout, d.mean, d.std)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.optim.lr)
    gen = torch.Generator().manual_seed(cfg.run.seed + 1)
    n = len(d.train_y)
    step_time = 0.0
    t_start = time.perf_counter()
    for _ in range(cfg.optim.epochs):
        model.train()
        t0 = time.perf_counter()
        for idx in shuffled_batches(n, cfg.optim.batch_size, gen, "cpu"):
            loss = F.cross_entropy(model(d.train_x[idx]), d.train_y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        step_time += time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            correct = 0
            for s in range(0, len(d.val_y), EVAL_BATCH):
                out = model(d.val_x[s:s + EVAL_BATCH])
                F.cross_entropy(out, d.val_y[s:s + EVAL_BATCH])
                correct += (out.argmax(1) == d.val_y[s:s + EVAL_BATCH]).sum().item()
    total = time.perf_counter() - t_start
    samples = n * cfg.optim.epochs
    return samples / step_time, samples / total


def engine_run(cfg):
    with tempfile.TemporaryDirectory() as runs:
        trainer = Trainer(cfg, callbacks=[RunWriter(runs)])
        trainer.prepare()  # data loading is outside both timings
        t0 = time.perf_counter()
        result = trainer.fit()
        total = time.perf_counter() - t0
    assert result.reason == "completed", result.message
    samples = len(trainer.data.train_y) * cfg.optim.epochs
    return samples / sum(m.epoch_time for m in trainer.history), samples / total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    print(f"{'case':<10} {'measure':<11} {'bare samples/s':>15} {'engine samples/s':>17} {'ratio':>7}   (medians of {args.repeats} interleaved runs)")
    for name, updates in CASES.items():
        cfg = load_preset(name).with_updates({**updates, "run.device": "cpu"})
        load_data(cfg.data, cfg.run.seed)  # warm the dataset cache
        bare, eng = [], []
        for _ in range(args.repeats):  # interleaved pairs: both see the same machine load
            bare.append(bare_loop(cfg))
            eng.append(engine_run(cfg))
        for i, measure in enumerate(("steps only", "whole run")):
            b = statistics.median(r[i] for r in bare)
            e = statistics.median(r[i] for r in eng)
            ratios = sorted(en[i] / ba[i] for ba, en in zip(bare, eng, strict=True))
            print(f"{name:<10} {measure:<11} {b:>15,.0f} {e:>17,.0f} {e / b:>7.3f}   "
                  f"(pairwise {ratios[0]:.2f}..{ratios[-1]:.2f})", flush=True)


if __name__ == "__main__":
    main()
