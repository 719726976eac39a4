"""How long an evaluation of the 10,000-image Fashion-MNIST test split takes, with the
`cnn` preset's model (and the `overfit` MLP), on this machine.

    python benchmarks/evaluation.py [--repeats 5]

Prints the median time of `engine.training.reports.evaluate_split` (forward passes in chunks,
torchmetrics' report and calibration error) after one unmeasured warm-up. The time does
not depend on how well the weights are trained, so the model is evaluated as built.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core.config import load_preset  # noqa: E402
from engine.data.bundle import load_data  # noqa: E402
from engine.nets.models import build_model  # noqa: E402
from engine.training.reports import evaluate_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    for preset in ("cnn", "overfit"):
        cfg = load_preset(preset).with_updates({"run.device": "cpu"})
        data = load_data(cfg.data, cfg.run.seed)
        model = build_model(cfg.model, data.input_shape, data.num_classes, 0.0, data.mean, data.std)
        evaluate_split(model, data, "test", "last")  # warm-up, unmeasured
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            report = evaluate_split(model, data, "test", "last")
            times.append(time.perf_counter() - t0)
        print(f"{preset:<8} test split, {report.examples:,} images: median {statistics.median(times):.2f} s "
              f"({min(times):.2f}..{max(times):.2f}) over {args.repeats} evaluations  (target: a few seconds)")


if __name__ == "__main__":
    main()
