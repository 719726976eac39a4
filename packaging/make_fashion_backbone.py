"""Train the Fashion-MNIST backbone the app ships (resources/backbones/fashion_cnn.safetensors)
from the shipped data, in the style of Yosinski et al. 2014 ("How transferable are features
in deep neural networks?"): pretrain on one half of the classes, transfer to the other.

    python packaging/make_fashion_backbone.py [--epochs 6]

Source task: the even classes (T-shirt, pullover, coat, shirt, bag): 29,000 of their 30,000
training images, 1,000 held out for validation, with the engine itself (`model.backbone =
fashion_cnn`, `model.transfer = scratch`). Writes the backbone's weights (the head is
dropped) and fashion_cnn.json beside them: the settings, the source task's accuracy on its
5,000 test images, the time, the SHA-256 (to pin in engine/backbones.py). The target task —
the odd classes (trouser, dress, sandal, sneaker, ankle boot), few examples each — never
sees an image of this training.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "backbones")
    args = parser.parse_args()
    import torch
    from safetensors.torch import save_file

    from engine.core.config import Config
    from engine.nets.backbones import sha256_of
    from engine.training.trainer import Trainer

    config = Config().with_updates({
        "data.dataset": "fashion_mnist", "data.classes": "even", "data.train_size": 29000, "data.val_size": 1000,
        "model.backbone": "fashion_cnn", "model.transfer": "scratch", "optim.optimizer": "adam", "optim.lr": 1e-3,
        "optim.batch_size": 128, "optim.epochs": args.epochs, "run.seed": 0, "run.device": "cpu",
        "run.name": "fashion_cnn-source"})
    t0 = time.perf_counter()
    trainer = Trainer(config)
    result = trainer.fit()
    seconds = time.perf_counter() - t0
    if result.reason != "completed":
        sys.exit(f"pretraining ended {result.reason}: {result.message}")
    test = trainer.evaluate_test()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "fashion_cnn.safetensors"
    state = {k: v.detach().cpu().contiguous() for k, v in trainer.model.backbone.state_dict().items()}
    save_file(state, str(path), metadata={"model": "fashion_cnn backbone", "source": "Fashion-MNIST even classes"})
    record = {
        "backbone": "fashion_cnn", "weights": path.name, "sha256": sha256_of(path),
        "parameters": sum(v.numel() for k, v in state.items() if not k.endswith("num_batches_tracked")),
        "source_task": "Fashion-MNIST even classes: " + ", ".join(trainer.data.class_names),
        "source_train_images": len(trainer.data.train_y), "epochs": args.epochs,
        "source_val_accuracy": trainer.history[-1].val_accuracy, "source_test_accuracy": test.accuracy,
        "train_seconds": round(seconds, 1), "torch": torch.__version__, "settings": config.to_dict(),
        "made_by": "packaging/make_fashion_backbone.py"}
    (args.out / "fashion_cnn.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"source task: validation {record['source_val_accuracy']:.1%}, test {test.accuracy:.1%}, {seconds:.0f} s")
    print(f"{path}: sha256 {record['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
