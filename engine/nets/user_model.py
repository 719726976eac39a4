"""A network from the user's own Python file: `model.file = "PATH/my_net.py:NAME"` or
`"package.module:NAME"` (with `model.python_path`).

The file runs only here, when a run or an evaluation builds its model: reading or listing a
run folder never calls this. The bytes executed are the bytes hashed, so the SHA-256 a run
folder records is of the code that ran. Every failure is a ConfigError naming the file.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType

import torch
from torch import nn

from engine.core.config import ModelConfig
from engine.core.values import ConfigError

KEY = "model.file"
GIVEN_BY_DATA = ("input_shape", "num_classes")
PROBE_BATCH = 2  # two examples: batch norm in training mode needs more than one
REPR_LIMIT = 20_000  # characters of the module's repr kept in a run folder


def dropout_layers(module: nn.Module) -> list[nn.Module]:
    """Every nn.Dropout, Dropout1d/2d/3d, AlphaDropout … of a module."""
    return [m for m in module.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def split_target(text: str, key: str = KEY) -> tuple[str, str]:
    """"PATH/my_net.py:NAME" -> ("PATH/my_net.py", "NAME"); the last colon splits, so a
    Windows drive letter stays with the path."""
    where, sep, name = text.rpartition(":")
    if not sep or not where or not name.isidentifier():
        raise ConfigError(key, text, "PATH/my_file.py:NAME or package.module:NAME (NAME: the class or "
                                     "function to call)")
    return where, name


def is_file_target(where: str) -> bool:
    return where.endswith(".py") or "/" in where or os.sep in where


def _add_python_path(python_path: str) -> None:
    for folder in reversed([p for p in python_path.split(os.pathsep) if p.strip()]):
        folder = str(Path(folder).expanduser().resolve())
        if folder not in sys.path:
            sys.path.insert(0, folder)


def _traceback_text() -> str:
    return "".join(traceback.format_exc()).rstrip()


def import_target(text: str, python_path: str = "", key: str = KEY) -> tuple[object, Path, str]:
    """The object `text` names, the file it was read from and that file's SHA-256."""
    where, name = split_target(text, key)
    _add_python_path(python_path)
    if is_file_target(where):
        path = Path(where).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(key, text, f"an existing Python file: {path} does not exist")
        try:
            source = path.read_bytes()
        except OSError as exc:
            raise ConfigError(key, text, f"a readable Python file: {path} ({exc.strerror or exc})") from None
        digest = hashlib.sha256(source).hexdigest()
        # A private module name per file and content: the user's own module names never clash
        # with the app's, and an edited file is a new module.
        module = ModuleType(f"_overfit_lab_user_{digest[:16]}")
        module.__file__ = str(path)
        sys.modules[module.__name__] = module  # (dataclasses and pickling look a class's module up)
        try:
            exec(compile(source, str(path), "exec"), module.__dict__)
        except BaseException:  # SyntaxError, ImportError, even SystemExit: the user's own traceback
            sys.modules.pop(module.__name__, None)
            raise ConfigError(key, text, f"{path} could not be imported:\n{_traceback_text()}") from None
    else:
        try:
            module = importlib.import_module(where)
        except BaseException:
            raise ConfigError(key, text, f"an importable module: importing {where} failed (add its folder "
                                         f"to model.python_path?):\n{_traceback_text()}") from None
        path = Path(getattr(module, "__file__", "") or where)
        digest = file_sha256(path) if path.is_file() else ""
    target = getattr(module, name, None)
    if target is None or not callable(target):
        found = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                       and getattr(v, "__module__", None) == module.__name__)
        what = "is not callable" if target is not None else "is not defined there"
        raise ConfigError(key, text, f"a class or function of {path}: {name} {what}"
                          + (f" (it defines {', '.join(found)})" if found else ""))
    return target, path, digest


def call_arguments(target, text: str, input_shape: tuple[int, ...], num_classes: int,
                   kwargs: dict) -> dict:
    """The keyword arguments `target` asks for: input_shape / num_classes where its signature
    names them (or takes **kwargs), then model.kwargs; refused naming what does not fit."""
    taken = [k for k in GIVEN_BY_DATA if k in kwargs]
    if taken:
        raise ConfigError("model.kwargs", kwargs, f"no {', '.join(taken)}: the data gives them")
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return {"input_shape": tuple(input_shape), "num_classes": num_classes, **kwargs}
    params = signature.parameters
    open_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
    given = {k: v for k, v in (("input_shape", tuple(input_shape)), ("num_classes", num_classes))
             if k in params or open_kwargs}
    unknown = [k for k in kwargs if k not in params and not open_kwargs]
    if unknown:
        raise ConfigError("model.kwargs", kwargs, f"arguments {text} takes: {', '.join(unknown)} is not one of "
                                                  f"its parameters ({', '.join(params) or 'none'})")
    arguments = {**given, **kwargs}
    try:
        signature.bind(**arguments)
    except TypeError as exc:
        raise ConfigError(KEY, text, f"a class or function that can be called with "
                                     f"{', '.join(arguments) or 'no arguments'} (the data gives input_shape "
                                     f"and num_classes; model.kwargs the rest): {exc}") from None
    return arguments


def probe(module: nn.Module, text: str, input_shape: tuple[int, ...], num_classes: int) -> None:
    """One small batch through the network, in eval mode: its output must be [batch, classes]."""
    shape = (PROBE_BATCH, *input_shape)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))  # (the run's own seed untouched)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            out = module(x)
    except Exception:
        raise ConfigError(KEY, text, f"a network that takes a batch of shape {list(shape)}; its forward "
                                     f"failed:\n{_traceback_text()}") from None
    finally:
        module.train(was_training)
    want = [PROBE_BATCH, num_classes]
    if not isinstance(out, torch.Tensor):
        raise ConfigError(KEY, text, f"a network whose output is a tensor of shape {want} ([batch, classes]); "
                                     f"for an input of shape {list(shape)} it returned {type(out).__name__}")
    if list(out.shape) != want:
        raise ConfigError(KEY, text, f"a network whose output is [batch, classes] = {want}; for an input of "
                                     f"shape {list(shape)} its output has shape {list(out.shape)}")


def build_user_net(cfg: ModelConfig, input_shape, num_classes: int, dropout: float
                   ) -> tuple[nn.Module, dict, list[str]]:
    """The user's network, checked: (module, source record, warnings). The record (file, name,
    SHA-256, the module's repr) goes into the run folder's summary."""
    text = cfg.file
    if cfg.backbone != "none":
        raise ConfigError("model.backbone", cfg.backbone, "none with model.file: your own network replaces "
                                                         "the backbone")
    target, path, digest = import_target(text, cfg.python_path)
    arguments = call_arguments(target, text, tuple(input_shape), num_classes, dict(cfg.kwargs))
    try:
        module = target(**arguments)
    except Exception:
        raise ConfigError(KEY, text, f"a class or function that builds a network; calling it with "
                                     f"{', '.join(arguments) or 'no arguments'} failed:\n{_traceback_text()}") from None
    if not isinstance(module, nn.Module):
        raise ConfigError(KEY, text, f"a class or function returning a torch nn.Module; it returned "
                                     f"{type(module).__name__}")
    if not any(p.requires_grad for p in module.parameters()):
        raise ConfigError(KEY, text, "a network with trainable parameters; this one has none "
                                     "(nothing would learn)")
    probe(module, text, tuple(input_shape), num_classes)
    drops = dropout_layers(module)
    warnings = []
    if not drops:
        warnings.append(f"model.file {text}: the network has no dropout layers, so regularization.dropout "
                        "changes nothing (add nn.Dropout layers to the file to use it)")
    else:
        own = sorted({round(float(m.p), 4) for m in drops})
        if own != [round(float(dropout), 4)]:
            warnings.append(f"model.file {text}: regularization.dropout = {dropout:g} sets p of its "
                            f"{len(drops)} dropout layer(s) (p = {', '.join(f'{p:g}' for p in own)} in the file)")
        for m in drops:
            m.p = float(dropout)
    source = {"file": str(path), "name": split_target(text)[1], "setting": text, "sha256": digest,
              "python_path": cfg.python_path, "kwargs": dict(cfg.kwargs), "repr": repr(module)[:REPR_LIMIT]}
    return module, source, warnings


def check_unchanged(source: dict, folder) -> None:
    """Refuse (ConfigError) to rebuild a run's network from a file that changed since the run:
    compared by SHA-256, before anything is imported."""
    if not source or not source.get("sha256"):
        return
    path = Path(source.get("file", ""))
    what = f"{folder}: the run's network file {path}"
    if not path.is_file():
        raise ConfigError(KEY, source.get("setting", str(path)), f"{what} no longer exists (put it back to "
                                                                 "evaluate this run)")
    now = file_sha256(path)
    if now != source["sha256"]:
        raise ConfigError(KEY, source.get("setting", str(path)), (
            f"{what} changed since the run (SHA-256 {source['sha256'][:12]}… then, {now[:12]}… now); nothing was "
            "imported. The weights fit the network the run trained: restore the file as it was to evaluate it"))
