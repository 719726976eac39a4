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
from engine.core.i18n import _, integer, n_, number
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
                        shape, _fortran, dtype = read(fh)
                    out[name] = (tuple(shape), np.dtype(dtype))
        else:
            from safetensors import safe_open

            with safe_open(str(path), "np") as fh:
                for name in fh.keys():
                    part = fh.get_slice(name)
                    out[name] = (tuple(part.get_shape()), _safetensors_dtype(part.get_dtype()))
    except Exception as exc:  # a damaged or foreign file: named, whatever the reader raised
        raise DataError(_("{path}: not a readable {suffix} file of arrays ({error})").format(
            path=path, suffix=path.suffix, error=f"{type(exc).__name__}: {exc}")) from None
    return out


def _safetensors_dtype(name: str) -> np.dtype:
    table = {"U8": "uint8", "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64", "F16": "float16",
             "BF16": "float32", "F32": "float32", "F64": "float64", "BOOL": "bool", "U16": "uint16",
             "U32": "uint32", "U64": "uint64"}
    return np.dtype(table.get(name, "float32"))


def _size_text(n: float) -> str:
    return _("{size} GiB").format(size=number(n / 2**30, 1)) if n >= 2**30 else _("{size} MiB").format(size=number(n / 2**20, 1))


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
        shape = " × ".join(integer(s) for s in x_shape)
        lower = _("write a smaller file (fewer examples, smaller images; uint8 pixels take a quarter of "
                  "float32's memory)") if raw > available else _(
            "lower data.train_size / data.val_size / data.test_size (their float32 copies take "
            "{size}), or write a smaller file").format(size=_size_text(per_example * used))
        # i18n: {dtype} is the array's number type (uint8, float32); {remedy} what to do
        raise DataError(_("{path}: array x ({shape}, {dtype}) needs about {need} of memory "
                          "with its float32 copies, and {available} is available: {remedy}").format(
            path=path, shape=shape, dtype=headers["x"][1], need=_size_text(need), available=_size_text(available),
            remedy=lower))


def _read(path: Path) -> tuple[dict[str, np.ndarray], list[str] | None]:
    """The file's arrays and its class names (None where it has none)."""
    if path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except ValueError as exc:  # an object array (pickled): refused, no code runs
            raise DataError(_("{path}: holds an array that only unpickling could read ({error}); save plain "
                              "numeric arrays, and class names as a string array").format(path=path, error=exc)) from None
        names = arrays.pop("classes", None)
        if names is not None and names.dtype.kind not in "US":
            raise DataError(_("{path}: array classes is {dtype}, not strings (the class names)").format(
                path=path, dtype=names.dtype))
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
        raise DataError(_('{path}: metadata "classes" is not a JSON list of names: {text}').format(
            path=path, text=repr(meta["classes"][:80]))) from None
    return arrays, names


def check_inputs(where, what: str, x: np.ndarray) -> np.ndarray:
    """Inputs as the app takes them (uint8 or float, finite; N×D, N×H×W or N×C×H×W, the
    last two as N×C×H×W), refused naming `where` and `what` ("array x")."""
    if x.dtype != np.uint8 and x.dtype.kind != "f":
        # i18n: {what} is "array x" or "the train dataset's inputs"; {dtype} a number type (int64)
        raise DataError(_("{where}: {what} is {dtype}; inputs must be uint8 (0 … 255) or float").format(
            where=where, what=what, dtype=x.dtype))
    if x.ndim not in (2, 3, 4):
        raise DataError(_("{where}: {what} has shape {shape}; expected N×D vectors, N×H×W or "
                          "N×C×H×W images").format(where=where, what=what, shape=list(x.shape)))
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            count = int(bad.sum())
            raise DataError(n_("{where}: {what} holds NaN or infinite values in {count} "
                               "example (the first: example {first})",
                               "{where}: {what} holds NaN or infinite values in {count} "
                               "examples (the first: example {first})", count).format(
                where=where, what=what, count=integer(count), first=first))
    return x[:, None] if x.ndim == 3 else x  # one channel


def check_labels(path, name: str, y: np.ndarray, n: int, x_name: str) -> np.ndarray:
    if y.dtype.kind not in "iu":
        raise DataError(_("{path}: array {name} is {dtype}; labels must be whole numbers (0 … classes − 1)").format(
            path=path, name=name, dtype=y.dtype))
    if y.ndim != 1:
        raise DataError(_("{path}: array {name} has shape {shape}; labels are one number per example").format(
            path=path, name=name, shape=list(y.shape)))
    if len(y) != n:
        raise DataError(_("{path}: arrays {x_name} and {name} differ in length: {examples} examples but {labels} "
                          "labels").format(path=path, x_name=x_name, name=name, examples=integer(n), labels=integer(len(y))))
    return y.astype(np.int64)


def load_arrays(cfg: DataConfig, rng: np.random.Generator, source: dict):
    """(pool_x, pool_y, test_x, test_y, class names) from the arrays file data.path; without
    x_test, data.test_size stratified examples are locked as the test split. `source` gets
    the file's path and SHA-256 (the split's fingerprint)."""
    if not cfg.path:
        raise DataError(_("data.path is empty: data.dataset = arrays reads an .npz or .safetensors file "
                          "(arrays x, y, optionally x_test, y_test, classes)"))
    path = Path(cfg.path).expanduser()
    if not path.is_file():
        raise DataError(_("{path}: file not found (data.path, for data.dataset = arrays)").format(path=path))
    if path.suffix.lower() not in SUFFIXES:
        raise DataError((_("{path}: an arrays file is .npz or .safetensors, not {suffix}") if path.suffix else
                         _("{path}: an arrays file is .npz or .safetensors, not a file without suffix")).format(
            path=path, suffix=path.suffix))
    headers = _headers(path)
    unknown = sorted(set(headers) - set(NAMES))
    if unknown:
        raise DataError(_("{path}: unknown array {name}; an arrays file holds x, y and optionally "
                          "x_test, y_test, classes").format(path=path, name=repr(unknown[0])))
    for name in ("x", "y"):
        if name not in headers:
            raise DataError(_("{path}: no array {name}; an arrays file holds x, y and optionally x_test, y_test, "
                              "classes").format(path=path, name=name))
    if ("x_test" in headers) != ("y_test" in headers):
        have, lack = ("x_test", "y_test") if "x_test" in headers else ("y_test", "x_test")
        raise DataError(_("{path}: array {have} without {lack}: a test split needs both").format(
            path=path, have=have, lack=lack))
    check_fits_memory(path, headers, cfg, available_memory())
    # Hashed in chunks, before the arrays are read: reading the whole file to hash it would
    # hold it a second time, beyond what the memory check allowed for.
    digest = file_sha256(path)
    arrays, names = _read(path)
    x = check_inputs(path, _("array {name}").format(name="x"), arrays["x"])
    y = check_labels(path, "y", arrays["y"], len(x), "x")
    test = None
    if "x_test" in arrays:
        test_x = check_inputs(path, _("array {name}").format(name="x_test"), arrays["x_test"])
        if test_x.shape[1:] != x.shape[1:]:
            raise DataError(_("{path}: x_test's examples are {test_shape}, x's {shape}").format(
                path=path, test_shape=list(test_x.shape[1:]), shape=list(x.shape[1:])))
        test = test_x, check_labels(path, "y_test", arrays["y_test"], len(test_x), "x_test")
    classes = class_names(path, names, [(_("array {name}").format(name="y"), y),
                                        (_("array {name}").format(name="y_test"), test[1] if test else None)])
    source.update(path=str(path.resolve()), sha256=digest)
    if test is not None:
        return x, y, test[0], test[1], classes
    return (*lock_test_split(x, y, cfg, rng, path, _("no x_test: the test split comes from x")), classes)


def class_names(where, names: list[str] | None, labelled: list) -> list[str]:
    """The class names (given, or "0" … "k − 1" from the largest label); refused naming the
    labels (("array y", y), …) that hold one outside 0 … classes − 1."""
    largest = max((int(labels.max()) for _what, labels in labelled if labels is not None and len(labels)), default=0)
    num_classes = len(names) if names is not None else largest + 1
    for what, labels in labelled:
        if labels is not None and len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
            bad = int(labels.min()) if labels.min() < 0 else int(labels.max())
            fields = dict(where=where, what=what, label=bad, last=num_classes - 1, count=integer(num_classes))
            raise DataError((n_("{where}: {what} holds label {label}, outside 0 … {last} ({count} class names given)",
                                "{where}: {what} holds label {label}, outside 0 … {last} ({count} class names given)",
                                num_classes) if names is not None
                             else _("{where}: {what} holds label {label}, outside 0 … {last}")).format(**fields))
    if num_classes < 2:
        raise DataError(_("{where}: the labels hold one class only; a classifier needs at least two").format(where=where))
    if names is None:  # classes 0 … the largest label: one without an example is a stray label's doing
        seen = np.unique(np.concatenate([labels for _what, labels in labelled if labels is not None]))
        empty = sorted(set(range(num_classes)) - set(seen.tolist()))
        if empty:
            count = sum(int((labels == largest).sum()) for _what, labels in labelled if labels is not None)
            raise DataError(n_("{where}: no example has label {labels}, yet {count} example has label "
                               "{largest}: without an array classes the classes are 0 … the largest label. Correct "
                               "the stray label, or add an array classes naming every class (empty ones too)",
                               "{where}: no example has label {labels}, yet {count} examples have label "
                               "{largest}: without an array classes the classes are 0 … the largest label. Correct "
                               "the stray labels, or add an array classes naming every class (empty ones too)",
                               count).format(where=where, labels=_span(empty), count=integer(count), largest=largest))
    return names if names is not None else [str(i) for i in range(num_classes)]


def _span(numbers: list[int]) -> str:
    return str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]} … {numbers[-1]}" if \
        numbers[-1] - numbers[0] == len(numbers) - 1 else ", ".join(map(str, numbers))


def lock_test_split(x: np.ndarray, y: np.ndarray, cfg: DataConfig, rng: np.random.Generator, where, origin: str):
    """(pool_x, pool_y, test_x, test_y): data.test_size stratified examples locked away as the
    test split, where the data brings none; refused, with sizes that fit, when too few."""
    if cfg.train_size + cfg.val_size + cfg.test_size > len(y):
        test = max(1, len(y) // 5)
        # i18n: {origin} says where the test split comes from; the sizes that fit are settings' values
        raise DataError(_("{where}: {count} examples, fewer than data.train_size + data.val_size + data.test_size "
                          "= {train} + {val} + {test} ({origin}); sizes that fit: "
                          "data.train_size = {fit_train}, data.val_size = {fit_test}, "
                          "data.test_size = {fit_test}").format(
            where=where, count=integer(len(y)), train=integer(cfg.train_size), val=integer(cfg.val_size),
            test=integer(cfg.test_size), origin=origin, fit_train=max(1, len(y) - 2 * test), fit_test=test))
    test_idx = stratified_subset(y, cfg.test_size, rng)
    rest = np.setdiff1d(np.arange(len(y)), test_idx)
    return x[rest], y[rest], x[test_idx], y[test_idx]
