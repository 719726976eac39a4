"""Your own data from Python: `data.dataset = "python"`, `data.file = "PATH/my_data.py:NAME"`.

NAME is a function or class called with no arguments; it returns a map-style torch dataset
(`len()` and `[i]`) of (input, label) items, or a (train, test) pair of them. The items
are read once into tensors, so the app's splits, label noise, folds and per-example dynamics
apply as for shipped data. The file runs only when a run or an evaluation starts with it.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from engine.core.config import DataConfig
from engine.core.i18n import _, integer, number
from engine.core.user_code import import_target, split_target, traceback_text
from engine.data.arrays import (
    FLOAT_BYTES,
    available_memory,
    check_inputs,
    class_names,
    lock_test_split,
)
from engine.data.sources import DataError

KEY = "data.file"


def _array(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _label(where: str, i: int, value) -> int:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    elif isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise DataError(_("{where}: item {item}'s label is {value} ({type}); labels are whole "
                          "numbers 0 … classes − 1").format(where=where, item=i, value=repr(value), type=type(value).__name__))
    return int(value)


def materialize(dataset, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, labels) of every item of a map-style dataset, refused naming the item that is
    not (input, label), whose input's shape differs, or that would not fit in memory."""
    if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
        raise DataError(_("{where}: a map-style dataset (len() and [i]) of (input, label) items; "
                          "got {type}").format(where=where, type=type(dataset).__name__))
    n = len(dataset)
    if n == 0:
        raise DataError(_("{where}: the dataset is empty").format(where=where))
    inputs, labels, shape = None, np.empty(n, dtype=np.int64), None
    for i in range(n):
        try:
            item = dataset[i]
        except Exception:
            raise DataError(_("{where}: reading item {item} failed:\n{traceback}").format(
                where=where, item=i, traceback=traceback_text())) from None
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            # i18n: {what} is a Python type, or "a tuple of 3" (a type and its length)
            what = _("a {type} of {length}").format(type=type(item).__name__, length=len(item)) \
                if isinstance(item, (tuple, list)) else type(item).__name__
            raise DataError(_("{where}: item {item} is {what}; items must be (input, label) pairs").format(
                where=where, item=i, what=what))
        x = _array(item[0])
        if shape is None:
            shape, dtype = x.shape, (np.uint8 if x.dtype == np.uint8 else np.float32)
            need = n * max(1, x.size) * FLOAT_BYTES * 2  # the items, and the splits' float32 copies
            available = available_memory()
            if available is not None and need > available:
                raise DataError(_("{where}: {count} items of shape {shape} need about {need} GiB "
                                  "of memory, and {available} GiB is available: return fewer or "
                                  "smaller items").format(where=where, count=integer(n), shape=list(shape),
                                                          need=number(need / 2**30, 1), available=number(available / 2**30, 1)))
            inputs = np.empty((n, *shape), dtype=dtype)
        elif x.shape != shape:
            raise DataError(_("{where}: item {item}'s input has shape {shape}, item 0's {first}; "
                              "every input must have one shape").format(where=where, item=i, shape=list(x.shape),
                                                                       first=list(shape)))
        if x.dtype.kind not in "uifb":
            raise DataError(_("{where}: item {item}'s input is {dtype}, not numbers").format(
                where=where, item=i, dtype=x.dtype))
        inputs[i] = x
        labels[i] = _label(where, i, item[1])
    return inputs, labels


def ran_from(cfg: DataConfig, source: dict) -> dict:
    """{file, name, setting, sha256} of the data file as it ran (the digest of the very bytes
    import_target executed), kept on the DataBundle and recorded as the run's data_source: an
    experiment reuses loaded data, so a file edited since must not lend the run its SHA."""
    return {"file": source["file"], "name": split_target(cfg.file, KEY)[1], "setting": cfg.file,
            "sha256": source["sha256"]}


def load_python(cfg: DataConfig, rng: np.random.Generator, source: dict):
    """(pool_x, pool_y, test_x, test_y, class names) from the datasets data.file returns;
    without a test dataset, data.test_size stratified examples are locked as the test split."""
    if not cfg.file:
        raise DataError(_("data.file is empty: data.dataset = python calls PATH/my_data.py:NAME for its datasets"))
    target, path, digest = import_target(cfg.file, KEY)
    try:
        made = target()
    except Exception:
        raise DataError(_("{path}: calling {target} failed:\n{traceback}").format(
            path=path, target=cfg.file, traceback=traceback_text())) from None
    pair = isinstance(made, (tuple, list)) and len(made) == 2 and all(hasattr(d, "__getitem__") for d in made) \
        and not isinstance(made[0], (numbers.Number, np.ndarray, torch.Tensor))
    train, test = made if pair else (made, None)
    x, y = materialize(train, _("{path} ({target}, train)").format(path=path, target=cfg.file))
    x = check_inputs(f"{path} ({cfg.file})", _("the train dataset's inputs"), x)
    test_xy = None
    if test is not None:
        tx, ty = materialize(test, _("{path} ({target}, test)").format(path=path, target=cfg.file))
        tx = check_inputs(f"{path} ({cfg.file})", _("the test dataset's inputs"), tx)
        if tx.shape[1:] != x.shape[1:]:
            raise DataError(_("{path}: the test dataset's inputs are {test_shape}, the train "
                              "dataset's {shape}").format(path=path, test_shape=list(tx.shape[1:]), shape=list(x.shape[1:])))
        test_xy = tx, ty
    names = getattr(train, "classes", None)
    names = list(names) if isinstance(names, (list, tuple)) and all(isinstance(c, str) for c in names) else None
    classes = class_names(f"{path} ({cfg.file})", names,
                          [(_("the train dataset"), y), (_("the test dataset"), test_xy[1] if test_xy else None)])
    source.update(file=str(path), sha256=digest)
    if test_xy is not None:
        return x, y, test_xy[0], test_xy[1], classes
    return (*lock_test_split(x, y, cfg, rng, f"{path} ({cfg.file})",
                                    _("no test dataset: the test split comes from the train dataset")), classes)
