"""Logger overhead: a hand-written PyTorch loop on the `overfit` preset's MLP, with and without
the overfit_lab logger (ol.init, ol.watch, run.batch with logits, targets and index: per-example
margins on; run.epoch with the validation figures).

Both loops use the same model, the same in-memory tensors (Fashion-MNIST from resources/),
batches, epochs and validation pass; the logged one writes its run folder into a temporary
folder. Pairs are interleaved (bare, logged, bare, logged, ...) so both see the same machine
load. Two ratios, logged time / bare time (1.00 = free):
  steps only  the training steps (+ run.batch) of every epoch
  whole loop  steps + the per-epoch validation pass + run.epoch (the epoch's one read back,
              its metrics line, the per-example dynamics file) + ol.init / run.finish
each by the wall clock and by the process's CPU time: on a shared machine whose load swings
(other processes taking the cores), the CPU time still counts only the work this process did,
so its ratio holds where the wall clock's wanders. torch runs on one thread by default here
(--threads), which keeps the CPU time free of idle threads spinning.
Target: whole loop <= 1.03 on CPU.

    python benchmarks/logger_overhead.py [--repeats N] [--epochs N] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import overfit_lab as ol  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from engine.core.config import load_preset  # noqa: E402
from engine.data.bundle import load_data, shuffled_batches  # noqa: E402
from engine.nets.models import build_model  # noqa: E402
from engine.training.evaluate import EVAL_BATCH  # noqa: E402


def loop(cfg, d, runs_dir: str | None):
    """The user's loop; `runs_dir` None: no logger. Returns seconds: (steps, whole loop) by
    the wall clock, then the same by the process's CPU time."""
    torch.manual_seed(cfg.run.seed)
    model = build_model(cfg.model, d.input_shape, d.num_classes, cfg.regularization.dropout, d.mean, d.std)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.optim.lr)
    gen = torch.Generator().manual_seed(cfg.run.seed + 1)
    n = len(d.train_y)
    step_time = step_cpu = 0.0
    t_start, cpu_start = time.perf_counter(), time.process_time()
    run = None
    if runs_dir is not None:
        run = ol.init("overfit-bench", config={"lr": cfg.optim.lr, "batch_size": cfg.optim.batch_size,
                                               "epochs": cfg.optim.epochs}, runs_dir=runs_dir, classes=d.class_names)
        ol.watch(model, opt)
    for _ in range(cfg.optim.epochs):
        model.train()
        t0, c0 = time.perf_counter(), time.process_time()
        for idx in shuffled_batches(n, cfg.optim.batch_size, gen, "cpu"):
            x, y = d.train_x[idx], d.train_y[idx]
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if run is not None:
                run.batch(loss=loss, logits=logits, targets=y, index=idx)
        step_time += time.perf_counter() - t0
        step_cpu += time.process_time() - c0
        model.eval()
        with torch.no_grad():
            loss_sum, correct = 0.0, 0
            for s in range(0, len(d.val_y), EVAL_BATCH):
                out = model(d.val_x[s:s + EVAL_BATCH])
                y = d.val_y[s:s + EVAL_BATCH]
                loss_sum += F.cross_entropy(out, y, reduction="sum").item()
                correct += (out.argmax(1) == y).sum().item()
        if run is not None:
            run.epoch(val_loss=loss_sum / len(d.val_y), val_accuracy=correct / len(d.val_y))
    if run is not None:
        run.finish()
    return step_time, time.perf_counter() - t_start, step_cpu, time.process_time() - cpu_start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="instead of the preset's 40")
    parser.add_argument("--threads", type=int, default=1, help="torch's threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_preset("overfit").with_updates({"run.device": "cpu",
                                               **({"optim.epochs": args.epochs} if args.epochs else {})})
    d = load_data(cfg.data, cfg.run.seed)  # loading is outside both timings
    # (ol.Indexed says how many training examples the run's dynamics hold, as a script with a
    # DataLoader over it would; this loop indexes the tensors itself)
    sized = ol.Indexed(torch.utils.data.TensorDataset(d.train_x, d.train_y))  # noqa: F841
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU; load average {load:.2f} "
          f"on {os.cpu_count()} cores at the start")
    print(f"overfit preset: MLP {cfg.model.width} x {cfg.model.depth}, {len(d.train_y):,} training / "
          f"{len(d.val_y):,} validation examples, batch {cfg.optim.batch_size}, {cfg.optim.epochs} epochs")
    loop(cfg, d, None)  # warm-up (allocator, kernels)
    bare, logged = [], []
    with tempfile.TemporaryDirectory() as runs:
        for _ in range(args.repeats):  # interleaved pairs: both see the same machine load
            bare.append(loop(cfg, d, None))
            logged.append(loop(cfg, d, runs))
    print(f"{'measure':<22} {'bare s':>8} {'logged s':>9} {'ratio':>7}   (medians of {args.repeats} interleaved pairs)")
    for i, measure in enumerate(("steps only, wall", "whole loop, wall", "steps only, CPU time",
                                 "whole loop, CPU time")):
        b = statistics.median(r[i] for r in bare)
        lg = statistics.median(r[i] for r in logged)
        ratios = sorted(lo[i] / ba[i] for ba, lo in zip(bare, logged, strict=True))
        print(f"{measure:<22} {b:>8.2f} {lg:>9.2f} {statistics.median(ratios):>7.3f}   "
              f"(pairwise {ratios[0]:.3f}..{ratios[-1]:.3f})", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} at the end")


if __name__ == "__main__":
    main()
