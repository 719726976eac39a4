"""What a pretrained backbone buys on a task with few examples, and what the frozen mode saves.

    python benchmarks/transfer_effect.py [--seeds 0 1 2] [--per-class 10 100]

Target task: Fashion-MNIST's odd classes (trouser, dress, sandal, sneaker, ankle boot),
10 or 100 training examples per class, 2,000 validation images; the `transfer` preset's
settings (fashion_cnn backbone, 30 epochs, Adam 1e-3, batch 16). For each size and seed
the four modes train as twins (same examples, head initialization and data order):
scratch, random frozen, frozen, fine-tune. Prints mean ± sd of the best validation
accuracy of any epoch and of the final gap, then the epoch time of frozen mode (features
cached) against fine-tuning, and the time for SqueezeNet (ImageNet) to train a frozen head
on 1,000 images of a folder at its own input size (224 × 224), features included.
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
from engine.experiments.experiment import Experiment  # noqa: E402
from engine.experiments.plans import TRANSFER_MODES, transfer_plan  # noqa: E402


def ms(values, scale=100.0) -> str:
    m = statistics.fmean(values) * scale
    sd = statistics.stdev(values) * scale if len(values) > 1 else 0.0
    return f"{m:.1f} ± {sd:.1f}"


def effect(seeds, sizes) -> None:
    print(f"{'per class':>9}  " + "  ".join(f"{m:>17}" for m in TRANSFER_MODES) + "   (best val acc %)")
    for per_class in sizes:
        best = {m: [] for m in TRANSFER_MODES}
        gaps = {m: [] for m in TRANSFER_MODES}
        for seed in seeds:
            cfg = load_preset("transfer").with_updates({"data.train_size": 5 * per_class, "run.seed": seed,
                                                        "run.device": "cpu"})
            for trial in Experiment(cfg, transfer_plan()).run().trials:
                f = trial.result.final_metrics
                best[trial.changes["model.transfer"]].append(f["max_val_accuracy"])
                gaps[trial.changes["model.transfer"]].append(f["end_gap"])
        print(f"{per_class:>9}  " + "  ".join(f"{ms(best[m]):>17}" for m in TRANSFER_MODES))
        print(f"{'gap':>9}  " + "  ".join(f"{ms(gaps[m]):>17}" for m in TRANSFER_MODES) + "   (final gap, pts)")
        print(f"{'':>9}  frozen − scratch {statistics.fmean(best['frozen']) * 100 - statistics.fmean(best['scratch']) * 100:+.1f} pts, "
              f"fine-tune − scratch {statistics.fmean(best['finetune']) * 100 - statistics.fmean(best['scratch']) * 100:+.1f} pts "
              f"(target ≥ +2 at 10 per class)", flush=True)


def epoch_times() -> None:
    cfg = load_preset("transfer").with_updates({"data.train_size": 500, "optim.epochs": 4, "run.device": "cpu"})
    times = {}
    for mode in ("frozen", "finetune"):
        trial = Experiment(cfg, [{"model.transfer": mode}]).run().trials[0]
        times[mode] = statistics.median(m.epoch_time for m in trial.trainer.history[1:])
    print(f"epoch time, 500 images: frozen {times['frozen'] * 1000:.1f} ms (features cached), fine-tune "
          f"{times['finetune'] * 1000:.1f} ms: {times['frozen'] / times['finetune']:.3f} of a fine-tune epoch "
          "(target ≤ 0.2)")


def imagenet_folder(images: int) -> None:
    import numpy as np
    from PIL import Image

    from engine.data.bundle import load_data
    from engine.data.sources import fashion_mnist

    with tempfile.TemporaryDirectory() as tmp:
        tx, ty, _, _ = fashion_mnist()
        rng = np.random.default_rng(0)
        total = int(images * 1.4)  # 1,000 to train on, and validation and test images beside them
        for i in rng.choice(len(ty), total, replace=False):
            folder = Path(tmp) / f"class{ty[i]}"
            folder.mkdir(exist_ok=True)
            Image.fromarray(tx[i]).convert("RGB").resize((96, 96)).save(folder / f"{i}.png")
        cfg = load_preset("transfer").with_updates({
            "data.dataset": "image_folder", "data.path": tmp, "data.classes": "all", "data.image_size": 96,
            "data.train_size": images, "data.val_size": (total - images) // 2, "data.test_size": (total - images) // 2,
            "model.backbone": "squeezenet", "model.transfer": "frozen", "optim.epochs": 20, "optim.batch_size": 64,
            "run.device": "cpu"})
        t0 = time.perf_counter()
        data = load_data(cfg.data, 0)
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        trial = Experiment(cfg, [{}]).run().trials[0]
        trained = time.perf_counter() - t0
        print(f"SqueezeNet (ImageNet), frozen, {len(data.train_y):,} training + {len(data.val_y):,} validation "
              f"images of a folder at 224 × 224: {trained:.1f} s (features and 20 epochs of the head; reading the "
              f"folder {loaded:.1f} s more), best val acc {trial.result.final_metrics['max_val_accuracy']:.1%} "
              "(target: under a minute)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--per-class", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--skip", nargs="*", default=[], choices=("effect", "epochs", "imagenet"))
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    if "effect" not in args.skip:
        effect(args.seeds, args.per_class)
    if "epochs" not in args.skip:
        epoch_times()
    if "imagenet" not in args.skip:
        imagenet_folder(1000)


if __name__ == "__main__":
    main()
