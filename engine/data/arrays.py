"""Your own data as arrays in one file: `data.dataset = "arrays"`, `data.path = FILE`.

An .npz (read with allow_pickle=False) or a .safetensors file holding `x` and `y`, and
optionally `x_test`, `y_test` and `classes` (a string array in an .npz; a JSON list under
the metadata key "classes" in a .safetensors file). Images are N×H×W or N×C×H×W, vectors
N×D, uint8 (0…255) or float. No code runs to read it. Every problem is a DataError naming
the file and the array.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from engine.core.config import DataConfig
from engine.core.user_code import file_sha256
from engine.data.sources import DataError
from engine.data.splits import stratified_subset

NAMES = ("x", "y", "x_test", "y_test", "classes")
SUFFIXES = (".npz", ".safetensors")
# The file's arrays, the float32 copies of the splits and the training device's copy live at
# once: refuse a file whose estimate exceeds the memory available.
FLOAT_BYTES = 4


def available_memory() -> int | None:
    """Bytes of memory available now (Linux: MemAvailable), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each array's shape and dtype, read from the file's headers without loading the data."""
    out = {}
    try:
        if path.suffix.lower() == ".npz":
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    name = info.filename.removesuffix(".npy")
                    with zf.open(info) as fh:
                        version = np.lib.format.read_magic(fh)
                        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                else np.lib.format.read_array_header_2_0)
                        shape, _, dtype = read(fh)
                    out[name] = (tuple(shape), np.dtype(dtype))
        else:
            from safetensors import safe_open

            with safe_open(str(path), "np") as fh:
                for name in fh.keys():
                    part = fh.get_slice(name)
                    out[name] = (tuple(part.get_shape()), _safetensors_dtype(part.get_dtype()))
    except Exception as exc:  # a damaged or foreign file: named, whatever the reader raised
        raise DataError(f"{path}: not a readable {path.suffix} file of arrays ({type(exc).__name__}: {exc})") from None
    return out


def _safetensors_dtype(name: str) -> np.dtype:
    table = {"U8": "uint8", "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64", "F16": "float16",
             "BF16": "float32", "F32": "float32", "F64": "float64", "BOOL": "bool", "U16": "uint16",
             "U32": "uint32", "U64": "uint64"}
    return np.dtype(table.get(name, "float32"))


def _size_text(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def check_fits_memory(path: Path, headers: dict, cfg: DataConfig, available: int | None) -> None:
    """Refuse a file whose arrays, with the float32 copies of the splits, need more memory
    than is available: say how large, and what to lower."""
    if available is None:
        return
    raw = sum(int(np.prod(shape, dtype=np.float64)) * dtype.itemsize for name, (shape, dtype) in headers.items()
              if name in ("x", "x_test"))
    x_shape = headers.get("x", ((0,), np.dtype("float32")))[0]
    per_example = int(np.prod(x_shape[1:], dtype=np.float64)) * FLOAT_BYTES if len(x_shape) > 1 else FLOAT_BYTES
    used = min(cfg.train_size + cfg.val_size + cfg.test_size, int(x_shape[0]) if x_shape else 0)
    need = raw + per_example * used
    if need > available:
        shape = " × ".join(f"{s:,}" for s in x_shape)
        lower = ("write a smaller file (fewer examples, smaller images; uint8 pixels take a quarter of "
                 "float32's memory)") if raw > available else (
            f"lower data.train_size / data.val_size / data.test_size (their float32 copies take "
            f"{_size_text(per_example * used)}), or write a smaller file")
        raise DataError(f"{path}: array x ({shape}, {headers['x'][1]}) needs about {_size_text(need)} of memory "
                        f"with its float32 copies, and {_size_text(available)} is available: {lower}")


def _read(path: Path) -> tuple[dict[str, np.ndarray], list[str] | None]:
    """The file's arrays and its class names (None where it has none)."""
    if path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except ValueError as exc:  # an object array (pickled): refused, no code runs
            raise DataError(f"{path}: holds an array that only unpickling could read ({exc}); save plain "
                            "numeric arrays, and class names as a string array") from None
        names = arrays.pop("classes", None)
        if names is not None and names.dtype.kind not in "US":
            raise DataError(f"{path}: array classes is {names.dtype}, not strings (the class names)")
        return arrays, None if names is None else [
            n.decode() if isinstance(n, bytes) else str(n) for n in names.reshape(-1).tolist()]
    from safetensors import safe_open
    from safetensors.numpy import load_file

    arrays = load_file(str(path))
    with safe_open(str(path), "np") as fh:
        meta = fh.metadata() or {}
    if "classes" not in meta:
        return arrays, None
    try:
        names = json.loads(meta["classes"])
        assert isinstance(names, list) and all(isinstance(n, str) for n in names)
    except (json.JSONDecodeError, AssertionError):
        raise DataError(f'{path}: metadata "classes" is not a JSON list of names: {meta["classes"][:80]!r}') from None
    return arrays, names


def check_inputs(where, what: str, x: np.ndarray) -> np.ndarray:
    """Inputs as the app takes them (uint8 or float, finite; N×D, N×H×W or N×C×H×W, the
    last two as N×C×H×W), refused naming `where` and `what` ("array x")."""
    if x.dtype != np.uint8 and x.dtype.kind != "f":
        raise DataError(f"{where}: {what} is {x.dtype}; inputs must be uint8 (0 … 255) or float")
    if x.ndim not in (2, 3, 4):
        raise DataError(f"{where}: {what} has shape {list(x.shape)}; expected N×D vectors, N×H×W or "
                        "N×C×H×W images")
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise DataError(f"{where}: {what} holds NaN or infinite values in {int(bad.sum()):,} "
                            f"example(s) (the first: example {first})")
    return x[:, None] if x.ndim == 3 else x  # one channel


def check_labels(path, name: str, y: np.ndarray, n: int, x_name: str) -> np.ndarray:
    if y.dtype.kind not in "iu":
        raise DataError(f"{path}: array {name} is {y.dtype}; labels must be whole numbers (0 … classes − 1)")
    if y.ndim != 1:
        raise DataError(f"{path}: array {name} has shape {list(y.shape)}; labels are one number per example")
    if len(y) != n:
        raise DataError(f"{path}: arrays {x_name} and {name} differ in length: {n:,} examples but {len(y):,} labels")
    return y.astype(np.int64)


def load_arrays(cfg: DataConfig, rng: np.random.Generator, source: dict):
    """(pool_x, pool_y, test_x, test_y, class names) from the arrays file data.path; without
    x_test, data.test_size stratified examples are locked as the test split. `source` gets
    the file's path and SHA-256 (the split's fingerprint)."""
    if not cfg.path:
        raise DataError("data.path is empty: data.dataset = arrays reads an .npz or .safetensors file "
                        "(arrays x, y, optionally x_test, y_test, classes)")
    path = Path(cfg.path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: file not found (data.path, for data.dataset = arrays)")
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{path}: an arrays file is .npz or .safetensors, not {path.suffix or 'a file without suffix'}")
    headers = _headers(path)
    unknown = sorted(set(headers) - set(NAMES))
    if unknown:
        raise DataError(f"{path}: unknown array {unknown[0]!r}; an arrays file holds x, y and optionally "
                        "x_test, y_test, classes")
    for name in ("x", "y"):
        if name not in headers:
            raise DataError(f"{path}: no array {name}; an arrays file holds x, y and optionally x_test, y_test, classes")
    if ("x_test" in headers) != ("y_test" in headers):
        have, lack = ("x_test", "y_test") if "x_test" in headers else ("y_test", "x_test")
        raise DataError(f"{path}: array {have} without {lack}: a test split needs both")
    check_fits_memory(path, headers, cfg, available_memory())
    # Hashed in chunks, before the arrays are read: reading the whole file to hash it would
    # hold it a second time, beyond what the memory check allowed for.
    digest = file_sha256(path)
    arrays, names = _read(path)
    x = check_inputs(path, "array x", arrays["x"])
    y = check_labels(path, "y", arrays["y"], len(x), "x")
    test = None
    if "x_test" in arrays:
        test_x = check_inputs(path, "array x_test", arrays["x_test"])
        if test_x.shape[1:] != x.shape[1:]:
            raise DataError(f"{path}: x_test's examples are {list(test_x.shape[1:])}, x's {list(x.shape[1:])}")
        test = test_x, check_labels(path, "y_test", arrays["y_test"], len(test_x), "x_test")
    classes = class_names(path, names, [("array y", y), ("array y_test", test[1] if test else None)])
    source.update(path=str(path.resolve()), sha256=digest)
    if test is not None:
        return x, y, test[0], test[1], classes
    return (*lock_test_split(x, y, cfg, rng, path, "no x_test: the test split comes from x"), classes)


def class_names(where, names: list[str] | None, labelled: list) -> list[str]:
    """The class names (given, or "0" … "k − 1" from the largest label); refused naming the
    labels (("array y", y), …) that hold one outside 0 … classes − 1."""
    largest = max((int(labels.max()) for _, labels in labelled if labels is not None and len(labels)), default=0)
    num_classes = len(names) if names is not None else largest + 1
    for what, labels in labelled:
        if labels is not None and len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
            bad = int(labels.min()) if labels.min() < 0 else int(labels.max())
            raise DataError(f"{where}: {what} holds label {bad}, outside 0 … {num_classes - 1}"
                            + (f" ({num_classes} class names given)" if names is not None else ""))
    if num_classes < 2:
        raise DataError(f"{where}: the labels hold one class only; a classifier needs at least two")
    if names is None:  # classes 0 … the largest label: one without an example is a stray label's doing
        seen = np.unique(np.concatenate([labels for _, labels in labelled if labels is not None]))
        empty = sorted(set(range(num_classes)) - set(seen.tolist()))
        if empty:
            count = sum(int((labels == largest).sum()) for _, labels in labelled if labels is not None)
            raise DataError(f"{where}: no example has label {_span(empty)}, yet {count:,} example(s) have label "
                            f"{largest}: without an array classes the classes are 0 … the largest label. Correct "
                            "the stray labels, or add an array classes naming every class (empty ones too)")
    return names if names is not None else [str(i) for i in range(num_classes)]


def _span(numbers: list[int]) -> str:
    return str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]} … {numbers[-1]}" if \
        numbers[-1] - numbers[0] == len(numbers) - 1 else ", ".join(map(str, numbers))


def lock_test_split(x: np.ndarray, y: np.ndarray, cfg: DataConfig, rng: np.random.Generator, where, origin: str):
    """(pool_x, pool_y, test_x, test_y): data.test_size stratified examples locked away as the
    test split, where the data brings none; refused, with sizes that fit, when too few."""
    if cfg.train_size + cfg.val_size + cfg.test_size > len(y):
        test = max(1, len(y) // 5)
        raise DataError(f"{where}: {len(y):,} examples, fewer than data.train_size + data.val_size + data.test_size "
                        f"= {cfg.train_size:,} + {cfg.val_size:,} + {cfg.test_size:,} ({origin}); sizes that fit: "
                        f"data.train_size = {max(1, len(y) - 2 * test)}, data.val_size = {test}, "
                        f"data.test_size = {test}")
    test_idx = stratified_subset(y, cfg.test_size, rng)
    rest = np.setdiff1d(np.arange(len(y)), test_idx)
    return x[rest], y[rest], x[test_idx], y[test_idx]
