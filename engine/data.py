"""Offline datasets, train / validation / locked test splits, label noise, batched augmentation.

Nothing here downloads. Small datasets live as tensors on the training device: batches are
shuffled index slices and augmentation runs on whole batches with a separate random draw
per example.
"""

from __future__ import annotations

import gzip
import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.config import (
    TORCHVISION_DATASETS,
    TOY_DATASETS,
    ConfigError,
    DataConfig,
    RegularizationConfig,
)

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
IGNORED_FILES = {"thumbs.db", "desktop.ini"}


class DataError(ValueError):
    """Data that cannot be loaded; the message names the path and the problem."""


def resources_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "resources"


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
        raise DataError(f"{sums}: checksum list missing; the installation is incomplete")
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split()
        path = folder / name.lstrip("*")
        if not path.is_file():
            raise DataError(f"{path}: file missing; the installation is incomplete")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise DataError(f"{path}: checksum mismatch; the file is damaged, reinstall Overfit Lab")


@lru_cache(maxsize=1)
def fashion_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels) as uint8 arrays."""
    folder = fashion_mnist_dir()
    _verify_checksums(folder)
    return (_read_idx_gz(folder / "train-images-idx3-ubyte.gz"),
            _read_idx_gz(folder / "train-labels-idx1-ubyte.gz"),
            _read_idx_gz(folder / "t10k-images-idx3-ubyte.gz"),
            _read_idx_gz(folder / "t10k-labels-idx1-ubyte.gz"))


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
        raise ConfigError("data.dataset", name, f"one of {', '.join(TOY_DATASETS)}")
    x = x + rng.normal(0, noise * 0.5, x.shape)
    return x.astype(np.float32), y.astype(np.int64)


# ---- user folders and torchvision datasets on disk --------------------------------------

def load_image_folder(path: str, image_size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images in `path/<class>/<image>` as float arrays [N, C, S, S] in [0, 1]."""
    from PIL import Image, UnidentifiedImageError

    if not path:
        raise ConfigError("data.path", path, "a folder with one sub-folder of images per class")
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"{root}: folder not found")
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DataError(f"{root}: no class folders inside; expected one sub-folder per class, "
                        "each holding that class's images")
    if len(classes) < 2:
        raise DataError(f"{root}: only one class folder ({classes[0]}); at least two classes are needed")
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
        raise DataError(f"class folders with no images: {', '.join(empty)}")
    if strays:
        shown = ", ".join(str(p) for p in strays[:5])
        more = f" and {len(strays) - 5} more" if len(strays) > 5 else ""
        raise DataError(f"files that are not images ({', '.join(sorted(IMAGE_SUFFIXES))}): {shown}{more}")
    opened, unreadable = [], []
    for p in files:
        try:
            with Image.open(p) as im:
                opened.append(im.convert("RGB").resize((image_size, image_size)))
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            unreadable.append(f"{p} ({exc.__class__.__name__})")
    if unreadable:
        shown = ", ".join(unreadable[:5])
        more = f" and {len(unreadable) - 5} more" if len(unreadable) > 5 else ""
        raise DataError(f"unreadable images: {shown}{more}")
    arr = np.stack([np.asarray(im, dtype=np.uint8) for im in opened])  # N, S, S, 3
    if np.all(arr[..., 0] == arr[..., 1]) and np.all(arr[..., 1] == arr[..., 2]):
        arr = arr[..., :1]  # grayscale images stay one channel
    x = arr.transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    return x, np.asarray(labels, dtype=np.int64), classes


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
        raise ConfigError("data.path", path, f"the folder holding {sub}/ for data.dataset = {name}")
    root = Path(path).expanduser()
    missing = [f for f in expected if not (root / sub / f).is_file()]
    if missing:
        raise DataError(f"{root / sub}: missing {', '.join(missing)}. {name} is never downloaded: "
                        f"copy its files to {root / sub}/ ({', '.join(expected)})")
    cls = getattr(tvd, cls_name)
    try:
        train, test = cls(str(root), train=True, download=False), cls(str(root), train=False, download=False)
    except (RuntimeError, OSError, ValueError) as exc:
        raise DataError(f"{root / sub}: could not read {name}: {exc}") from exc

    def arrays(ds):
        data = np.asarray(ds.data)
        data = data[:, None] if data.ndim == 3 else data.transpose(0, 3, 1, 2)
        return data.astype(np.float32) / 255.0, np.asarray(ds.targets, dtype=np.int64)

    return (*arrays(train), *arrays(test), list(train.classes))


# ---- splits -----------------------------------------------------------------------------

def stratified_subset(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n indices whose class proportions match `labels` (largest-remainder rounding)."""
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts / counts.sum() * n
    take = np.floor(quota).astype(int)
    for i in np.argsort(-(quota - take))[: n - take.sum()]:
        take[i] += 1
    chosen = []
    for c, k in zip(classes, take, strict=True):
        idx = np.flatnonzero(labels == c)
        chosen.append(rng.permutation(idx)[:k])
    return np.sort(np.concatenate(chosen))


def corrupt_labels(labels: np.ndarray, fraction: float, num_classes: int, mode: str,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Replace round(fraction * n) labels. Returns (new labels, mask of labels that changed).

    mode 'different': each chosen label becomes another class, so exactly that many are wrong.
    mode 'uniform': each chosen label is redrawn uniformly and may, by chance, stay the same.
    """
    n = len(labels)
    k = int(round(fraction * n))
    chosen = rng.choice(n, size=k, replace=False)
    noisy = labels.copy()
    if mode == "different":
        shift = rng.integers(1, num_classes, size=k)
        noisy[chosen] = (labels[chosen] + shift) % num_classes
    else:
        noisy[chosen] = rng.integers(0, num_classes, size=k)
    return noisy, noisy != labels


class LockedSplit:
    """The test split. Training never reads it: `open()` records each access."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor):
        self._x, self._y = x, y
        self.accesses: list[str] = []

    def __len__(self) -> int:
        return len(self._y)

    def open(self, reason: str) -> tuple[torch.Tensor, torch.Tensor]:
        self.accesses.append(reason)
        return self._x, self._y


@dataclass
class DataBundle:
    train_x: torch.Tensor
    train_y: torch.Tensor  # labels the network is trained on (noisy where corrupted)
    train_y_clean: torch.Tensor
    corrupted: torch.Tensor  # bool mask: label replaced
    val_x: torch.Tensor
    val_y: torch.Tensor
    test: LockedSplit
    class_names: list[str]
    input_shape: tuple[int, ...]
    mean: torch.Tensor
    std: torch.Tensor
    is_toy: bool
    train_indices: np.ndarray  # which examples of the source were drawn (for reproducibility checks)
    val_indices: np.ndarray

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def load_data(cfg: DataConfig, seed: int, device: torch.device | str = "cpu") -> DataBundle:
    """Build the splits for `cfg`, reproducibly from `seed`, as tensors on `device`."""
    rng = np.random.default_rng([seed, 1])
    if cfg.dataset in TOY_DATASETS:
        x, y = make_toy(cfg.dataset, cfg.train_size + cfg.val_size + cfg.test_size, cfg.toy_noise, rng)
        pool_x, pool_y = x[: cfg.train_size + cfg.val_size], y[: cfg.train_size + cfg.val_size]
        test_x, test_y = x[cfg.train_size + cfg.val_size:], y[cfg.train_size + cfg.val_size:]
        classes = [f"class {i}" for i in range(int(y.max()) + 1)]
    elif cfg.dataset == "fashion_mnist":
        tx, ty, vx, vy = fashion_mnist()
        pool_x, pool_y, test_x, test_y = tx[:, None], ty.astype(np.int64), vx[:, None], vy.astype(np.int64)
        classes = FASHION_CLASSES
    elif cfg.dataset == "image_folder":
        x, y, classes = load_image_folder(cfg.path, cfg.image_size)
        if cfg.test_size + cfg.val_size >= len(y):
            raise ConfigError("data.test_size", cfg.test_size,
                              f"with data.val_size = {cfg.val_size}, less than the {len(y)} images in {cfg.path}")
        test_idx = stratified_subset(y, cfg.test_size, rng)
        rest = np.setdiff1d(np.arange(len(y)), test_idx)
        pool_x, pool_y, test_x, test_y = x[rest], y[rest], x[test_idx], y[test_idx]
    elif cfg.dataset in TORCHVISION_DATASETS:
        pool_x, pool_y, test_x, test_y, classes = load_torchvision(cfg.dataset, cfg.path)
    else:  # pragma: no cover - guarded by config choices
        raise ConfigError("data.dataset", cfg.dataset, "a known dataset")

    if cfg.val_size >= len(pool_y):
        raise ConfigError("data.val_size", cfg.val_size, f"less than the {len(pool_y)} examples available for training and validation")
    available = len(pool_y) - cfg.val_size
    if cfg.train_size > available:
        raise ConfigError("data.train_size", cfg.train_size,
                          f"at most {available} ({cfg.dataset} has {len(pool_y)} training examples "
                          f"and data.val_size = {cfg.val_size} of them are held out for validation)")
    if cfg.dataset in TOY_DATASETS:
        val_idx = np.arange(cfg.train_size, cfg.train_size + cfg.val_size)
        train_idx = np.arange(cfg.train_size)
    else:
        val_idx = stratified_subset(pool_y, cfg.val_size, rng)
        rest = np.setdiff1d(np.arange(len(pool_y)), val_idx)
        train_idx = rest[stratified_subset(pool_y[rest], cfg.train_size, rng)]

    num_classes = len(classes)
    clean = pool_y[train_idx]
    noisy, corrupted = corrupt_labels(clean, cfg.label_noise, num_classes, cfg.label_noise_mode, rng)

    def floats(a):
        a = np.asarray(a)
        t = torch.from_numpy(np.array(a))  # a writable copy
        return (t.float() / 255.0 if a.dtype == np.uint8 else t.float()).to(device)

    train_x = floats(pool_x[train_idx])
    dims = (0, 2, 3) if train_x.ndim == 4 else (0,)
    mean, std = train_x.mean(dim=dims).cpu(), train_x.std(dim=dims).cpu()

    def labels(a):
        return torch.from_numpy(np.ascontiguousarray(a)).long().to(device)

    return DataBundle(
        train_x=train_x, train_y=labels(noisy), train_y_clean=labels(clean),
        corrupted=torch.from_numpy(corrupted).to(device),
        val_x=floats(pool_x[val_idx]), val_y=labels(pool_y[val_idx]),
        test=LockedSplit(floats(test_x), labels(test_y)),
        class_names=list(classes), input_shape=tuple(train_x.shape[1:]), mean=mean, std=std,
        is_toy=cfg.dataset in TOY_DATASETS, train_indices=train_idx, val_indices=val_idx)


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator, device) -> list[torch.Tensor]:
    """Index tensors for one epoch: a fresh permutation sliced into batches (last one partial)."""
    perm = torch.randperm(n, generator=generator, device=generator.device).to(device)
    return list(perm.split(batch_size))


# ---- augmentation ---------------------------------------------------------------------

def augmentation_active(reg: RegularizationConfig, is_toy: bool) -> bool:
    if is_toy:
        return reg.augment_noise
    return any((reg.augment_hflip, reg.augment_rotate, reg.augment_translate, reg.augment_noise,
                reg.augment_erase))


def augment(x: torch.Tensor, reg: RegularizationConfig, generator: torch.Generator) -> torch.Tensor:
    """Augment a batch with an independent random draw per example.

    Images [B, C, H, W] in [0, 1]: flip, rotation + translation (one affine resample),
    random erasing, Gaussian noise. Vectors [B, D] (toy data): Gaussian noise only.
    """
    b = x.shape[0]
    dev = x.device

    def uniform(*shape):
        return torch.rand(*shape, generator=generator, device=dev)

    if x.ndim == 4:
        if reg.augment_hflip:
            flip = uniform(b) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        rotate = reg.augment_rotate and reg.rotate_degrees > 0
        translate = reg.augment_translate and reg.translate_fraction > 0
        if rotate or translate:
            angle = (uniform(b) * 2 - 1) * math.radians(reg.rotate_degrees) if rotate else torch.zeros(b, device=dev)
            # affine_grid works in [-1, 1] coordinates: a shift of f image widths is 2f.
            shift = (uniform(b, 2) * 2 - 1) * 2 * reg.translate_fraction if translate else torch.zeros(b, 2, device=dev)
            cos, sin = torch.cos(angle), torch.sin(angle)
            theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                                 torch.stack([sin, cos, shift[:, 1]], 1)], 1)
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        if reg.augment_erase:
            h, w = x.shape[-2:]
            area = 0.02 + uniform(b) * max(reg.erase_fraction - 0.02, 0.0)
            log_ratio = (uniform(b) * 2 - 1) * math.log(3.0)
            ratio = torch.exp(log_ratio)
            eh = (torch.sqrt(area * ratio) * h).clamp(1, h)
            ew = (torch.sqrt(area / ratio) * w).clamp(1, w)
            top = uniform(b) * (h - eh)
            left = uniform(b) * (w - ew)
            rows = torch.arange(h, device=dev)[None, :, None]
            cols = torch.arange(w, device=dev)[None, None, :]
            box = ((rows >= top[:, None, None]) & (rows < (top + eh)[:, None, None])
                   & (cols >= left[:, None, None]) & (cols < (left + ew)[:, None, None]))
            apply = (uniform(b) < 0.5)[:, None, None]
            x = x.masked_fill((box & apply)[:, None], 0.0)
    if reg.augment_noise and reg.noise_std > 0:
        noise = torch.randn(x.shape, generator=generator, device=dev)
        x = x + noise * reg.noise_std
    return x
