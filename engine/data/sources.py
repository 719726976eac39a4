"""Where examples come from, offline: Fashion-MNIST (shipped), 2-D toy sets, a user's image
folder, a torchvision dataset already on disk. Nothing here downloads."""

from __future__ import annotations

import gzip
import hashlib
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from engine.core.config import TOY_DATASETS, ConfigError
from engine.core.files import resources_dir
from engine.core.i18n import _, integer, n_

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
IGNORED_FILES = {"thumbs.db", "desktop.ini"}


class DataError(ValueError):
    """Data that cannot be loaded; the message names the path and the problem."""


def fashion_mnist_dir() -> Path:
    return resources_dir() / "data" / "fashion-mnist"


# ---- Fashion-MNIST, shipped ---------------------------------------------------------------

def _read_idx_gz(path: Path) -> np.ndarray:
    # One zlib call for the whole file: it runs without the GIL, so a window stays smooth
    # while a run loads its data (GzipFile.read holds the GIL between small chunks).
    raw = gzip.decompress(path.read_bytes())
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def _verify_checksums(folder: Path) -> None:
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        raise DataError(_("{path}: checksum list missing; the installation is incomplete").format(path=sums))
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split()
        path = folder / name.lstrip("*")
        if not path.is_file():
            raise DataError(_("{path}: file missing; the installation is incomplete").format(path=path))
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise DataError(_("{path}: checksum mismatch; the file is damaged, reinstall Overfit Lab").format(path=path))


@lru_cache(maxsize=1)
def fashion_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels) as uint8 arrays."""
    folder = fashion_mnist_dir()
    _verify_checksums(folder)
    return (_read_idx_gz(folder / "train-images-idx3-ubyte.gz"),
            _read_idx_gz(folder / "train-labels-idx1-ubyte.gz"),
            _read_idx_gz(folder / "t10k-images-idx3-ubyte.gz"),
            _read_idx_gz(folder / "t10k-labels-idx1-ubyte.gz"))


# ---- generated and shipped vectors ---------------------------------------------------------

def modular_addition(modulus: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (a, b) of 0 … p − 1 as two one-hot numbers side by side ([p², 2p] float32),
    and its class (a + b) mod p."""
    a, b = np.divmod(np.arange(modulus * modulus), modulus)
    x = np.zeros((modulus * modulus, 2 * modulus), np.float32)
    x[np.arange(len(a)), a] = 1.0
    x[np.arange(len(b)), modulus + b] = 1.0
    return x, (a + b) % modulus


@lru_cache(maxsize=1)
def mnist1d() -> tuple[np.ndarray, np.ndarray]:
    """MNIST-1D (Greydanus 2020), shipped: 16,000 signals of 40 numbers and their digit."""
    folder = resources_dir() / "data" / "mnist1d"
    _verify_checksums(folder)
    with np.load(folder / "mnist1d.npz") as f:
        return f["x"].astype(np.float32), f["y"].astype(np.int64)


# ---- 2-D toy sets ---------------------------------------------------------------------

def make_toy(name: str, n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points of a 2-D toy problem with Gaussian noise of std `noise` (in data units)."""
    if name == "moons":
        y = rng.integers(0, 2, n)
        t = rng.uniform(0, math.pi, n)
        x = np.where(y[:, None] == 0,
                     np.stack([np.cos(t), np.sin(t)], 1),
                     np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
        x = x - [0.5, 0.25]
    elif name == "circles":
        y = rng.integers(0, 2, n)
        t = rng.uniform(0, 2 * math.pi, n)
        r = np.where(y == 0, 1.0, 0.5)
        x = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    elif name == "spirals":
        y = rng.integers(0, 2, n)
        t = np.sqrt(rng.uniform(0, 1, n)) * 3 * math.pi
        sign = np.where(y == 0, 1.0, -1.0)
        x = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], 1) / (3 * math.pi)
    elif name == "xor":
        x = rng.uniform(-1, 1, (n, 2))
        y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
    elif name == "blobs":
        centers = np.array([[-0.6, -0.5], [0.6, -0.5], [0.0, 0.6]])
        y = rng.integers(0, 3, n)
        x = centers[y] + rng.normal(0, 0.25, (n, 2))
    else:  # pragma: no cover - guarded by config choices
        raise ConfigError("data.dataset", name, _("one of {choices}").format(choices=", ".join(TOY_DATASETS)))
    x = x + rng.normal(0, noise * 0.5, x.shape)
    return x.astype(np.float32), y.astype(np.int64)


# ---- user folders and torchvision datasets on disk --------------------------------------

def load_image_folder(path: str, image_size: int, skip_unreadable: bool = False,
                      skipped: list[str] | None = None,
                      paths: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images in `path/<class>/<image>` as float arrays [N, C, S, S] in [0, 1].

    With `skip_unreadable`, images that cannot be read are left out and named in `skipped`
    (a list the caller passes); otherwise one unreadable image refuses the folder. `paths`,
    if given, receives each image's file, in the order of the arrays."""
    from PIL import Image, UnidentifiedImageError

    if not path:
        raise ConfigError("data.path", path, _("a folder with one sub-folder of images per class"))
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(_("{path}: folder not found").format(path=root))
    if not root.is_dir():
        raise DataError(_("{path}: not a folder").format(path=root))
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DataError(_("{path}: no class folders inside; expected one sub-folder per class, "
                          "each holding that class's images").format(path=root))
    if len(classes) < 2:
        raise DataError(_("{path}: only one class folder ({name}); at least two classes are needed").format(
            path=root, name=classes[0]))
    files, labels, empty, strays = [], [], [], []
    for label, name in enumerate(classes):
        entries = [p for p in sorted((root / name).rglob("*")) if p.is_file()
                   and not p.name.startswith(".") and p.name.lower() not in IGNORED_FILES]
        images = [p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES]
        strays += [p for p in entries if p.suffix.lower() not in IMAGE_SUFFIXES]
        if not images:
            empty.append(str(root / name))
        files += images
        labels += [label] * len(images)
    if empty:
        raise DataError(_("class folders with no images: {folders}").format(folders=", ".join(empty)))
    if strays:
        # i18n: {suffixes} are image file suffixes (.png, .jpg); {files} the first five files
        raise DataError(_("files that are not images ({suffixes}): {files}").format(
            suffixes=", ".join(sorted(IMAGE_SUFFIXES)), files=first_five([str(p) for p in strays])))
    opened, kept_labels, kept_files, unreadable = [], [], [], []
    for p, label in zip(files, labels, strict=True):
        try:
            with Image.open(p) as im:
                opened.append(im.convert("RGB").resize((image_size, image_size)))
            kept_labels.append(label)
            kept_files.append(str(p))
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            unreadable.append(f"{p} ({exc.__class__.__name__})")
    if unreadable and skip_unreadable and skipped is not None:
        skipped.extend(unreadable)
        labels = kept_labels
        missing = [name for i, name in enumerate(classes) if i not in set(labels)]
        if missing:
            raise DataError(_("class folders with no readable images: {folders} (unreadable: {files})").format(
                folders=", ".join(missing), files=", ".join(unreadable[:5])))
    elif unreadable:
        raise DataError(_("unreadable images: {files} (data.skip_unreadable = true leaves "
                          "them out with a warning)").format(files=first_five(unreadable)))
    if paths is not None:
        paths.extend(kept_files)
    arr = np.stack([np.asarray(im, dtype=np.uint8) for im in opened])  # N, S, S, 3
    if np.all(arr[..., 0] == arr[..., 1]) and np.all(arr[..., 1] == arr[..., 2]):
        arr = arr[..., :1]  # grayscale images stay one channel
    x = arr.transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    return x, np.asarray(labels, dtype=np.int64), classes


def first_five(names: list[str]) -> str:
    """The first five names, and how many more ("a, b, c, d, e and 3 more")."""
    shown = ", ".join(names[:5])
    if len(names) <= 5:
        return shown
    more = len(names) - 5
    # i18n: {names} are the first five files; {count} how many more there are
    return n_("{names} and {count} more", "{names} and {count} more", more).format(names=shown, count=integer(more))


_TV_EXPECTED = {
    "mnist": ("MNIST", "MNIST/raw", ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]),
    "kmnist": ("KMNIST", "KMNIST/raw", ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]),
    "fashion_mnist_folder": ("FashionMNIST", "FashionMNIST/raw", [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte"]),
    "cifar10": ("CIFAR10", "cifar-10-batches-py", ["data_batch_1", "data_batch_2", "data_batch_3",
                                                   "data_batch_4", "data_batch_5", "test_batch",
                                                   "batches.meta"]),
    "cifar100": ("CIFAR100", "cifar-100-python", ["train", "test", "meta"]),
}


def load_torchvision(name: str, path: str):
    """A torchvision dataset already on disk under `path` (never downloaded)."""
    import torchvision.datasets as tvd

    cls_name, sub, expected = _TV_EXPECTED[name]
    if not path:
        raise ConfigError("data.path", path, _("the folder holding {folder}/ for data.dataset = {name}").format(
            folder=sub, name=name))
    root = Path(path).expanduser()
    missing = [f for f in expected if not (root / sub / f).is_file()]
    if missing:
        raise DataError(_("{path}: missing {files}. {name} is never downloaded: "
                          "copy its files to {path}/ ({expected})").format(
            path=root / sub, files=", ".join(missing), name=name, expected=", ".join(expected)))
    cls = getattr(tvd, cls_name)
    try:
        train, test = cls(str(root), train=True, download=False), cls(str(root), train=False, download=False)
    except (RuntimeError, OSError, ValueError) as exc:
        raise DataError(_("{path}: could not read {name}: {error}").format(path=root / sub, name=name, error=exc)) from exc

    def arrays(ds):
        data = np.asarray(ds.data)
        data = data[:, None] if data.ndim == 3 else data.transpose(0, 3, 1, 2)
        return data.astype(np.float32) / 255.0, np.asarray(ds.targets, dtype=np.int64)

    return (*arrays(train), *arrays(test), list(train.classes))
