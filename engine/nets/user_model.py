"""A network from the user's own Python file: `model.file = "PATH/my_net.py:NAME"` or
`"package.module:NAME"` (with `model.python_path`).

The file runs only here, when a run or an evaluation builds its model: reading or listing a
run folder never calls this. The bytes executed are the bytes hashed, so the SHA-256 a run
folder records is of the code that ran. Every failure is a ConfigError naming the file.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import torch
from torch import nn

from engine.core.config import ModelConfig
from engine.core.i18n import _, integer, n_, number
from engine.core.user_code import (
    file_sha256,
    import_target,
    is_file_target,
    split_target,
    traceback_text,
    user_imports,
)
from engine.core.values import ConfigError

KEY = "model.file"
GIVEN_BY_DATA = ("input_shape", "num_classes")
PROBE_BATCH = 2  # two examples: batch norm in training mode needs more than one
REPR_LIMIT = 20_000  # characters of the module's repr kept in a run folder


def dropout_layers(module: nn.Module) -> list[nn.Module]:
    """Every nn.Dropout, Dropout1d/2d/3d, AlphaDropout … of a module."""
    return [m for m in module.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]


def call_arguments(target, text: str, input_shape: tuple[int, ...], num_classes: int,
                   kwargs: dict) -> dict:
    """The keyword arguments `target` asks for: input_shape / num_classes where its signature
    names them (or takes **kwargs), then model.kwargs; refused naming what does not fit."""
    taken = [k for k in GIVEN_BY_DATA if k in kwargs]
    if taken:
        raise ConfigError("model.kwargs", kwargs, _("no {keys}: the data gives them").format(keys=", ".join(taken)))
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
        # Named model.kwargs.NAME: a search that draws NAME stops at its first trial on this.
        raise ConfigError(f"model.kwargs.{unknown[0]}", kwargs[unknown[0]], (
            _("a keyword argument that {target} takes: {unknown} is not one of its parameters ({parameters})")
            if params else _("a keyword argument that {target} takes: {unknown} is not one of its parameters (none)")
        ).format(target=text, unknown=", ".join(unknown), parameters=", ".join(params)))
    arguments = {**given, **kwargs}
    try:
        signature.bind(**arguments)
    except TypeError as exc:
        raise ConfigError(KEY, text, _("a class or function that can be called with {arguments} (the data "
                                       "gives input_shape and num_classes; model.kwargs the rest): {error}").format(
            arguments=", ".join(arguments) or _("no arguments"), error=exc)) from None
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
        raise ConfigError(KEY, text, _("a network that takes a batch of shape {shape}; its forward "
                                       "failed:\n{traceback}").format(shape=list(shape), traceback=traceback_text())) from None
    finally:
        module.train(was_training)
    want = [PROBE_BATCH, num_classes]
    if not isinstance(out, torch.Tensor):
        raise ConfigError(KEY, text, _("a network whose output is a tensor of shape {want} ([batch, classes]); "
                                       "for an input of shape {shape} it returned {type}").format(
            want=want, shape=list(shape), type=type(out).__name__))
    if list(out.shape) != want:
        raise ConfigError(KEY, text, _("a network whose output is [batch, classes] = {want}; for an input of "
                                       "shape {shape} its output has shape {output}").format(
            want=want, shape=list(shape), output=list(out.shape)))


def build_user_net(cfg: ModelConfig, input_shape, num_classes: int, dropout: float
                   ) -> tuple[nn.Module, dict, list[str]]:
    """The user's network, checked: (module, source record, warnings). The record (file, name,
    SHA-256, the module's repr) goes into the run folder's summary."""
    text = cfg.file
    if cfg.backbone != "none":
        raise ConfigError("model.backbone", cfg.backbone, _("none with model.file: your own network replaces "
                                                           "the backbone"))
    with user_imports(cfg.python_path):  # (the call too: a build function may import its own modules)
        target, path, digest = import_target(text, KEY, cfg.python_path)
        arguments = call_arguments(target, text, tuple(input_shape), num_classes, dict(cfg.kwargs))
        failed = None
        try:
            module = target(**arguments)
        except Exception:
            failed = traceback_text()
    if failed is not None:
        raise ConfigError(KEY, text, _("a class or function that builds a network; calling it with "
                                       "{arguments} failed:\n{traceback}").format(
            arguments=", ".join(arguments) or _("no arguments"), traceback=failed))
    if not isinstance(module, nn.Module):
        raise ConfigError(KEY, text, _("a class or function returning a torch nn.Module; it returned "
                                       "{type}").format(type=type(module).__name__))
    if not any(p.requires_grad for p in module.parameters()):
        raise ConfigError(KEY, text, _("a network with trainable parameters; this one has none "
                                       "(nothing would learn)"))
    probe(module, text, tuple(input_shape), num_classes)
    drops = dropout_layers(module)
    warnings = []
    if not drops:
        warnings.append(_("model.file {target}: the network has no dropout layers, so regularization.dropout "
                          "changes nothing (add nn.Dropout layers to the file to use it)").format(target=text))
    else:
        own = sorted({round(float(m.p), 4) for m in drops})
        if own != [round(float(dropout), 4)]:
            warnings.append(n_("model.file {target}: regularization.dropout = {dropout} sets p of its "
                               "{count} dropout layer(s) (p = {own} in the file)",
                               "model.file {target}: regularization.dropout = {dropout} sets p of its "
                               "{count} dropout layer(s) (p = {own} in the file)", len(drops)).format(
                target=text, dropout=number(dropout), count=integer(len(drops)), own=", ".join(number(p) for p in own)))
        for m in drops:
            m.p = float(dropout)
    source = {"file": str(path), "name": split_target(text, KEY)[1], "setting": text, "sha256": digest,
              "python_path": cfg.python_path, "kwargs": dict(cfg.kwargs), "repr": repr(module)[:REPR_LIMIT],
              "parameters": sum(p.numel() for p in module.parameters())}
    return module, source, warnings


def check_unchanged(source: dict, folder) -> str | None:
    """Refuse (ConfigError) to rebuild a run's network from a file that changed since the run:
    compared by SHA-256, before anything is imported. Returns the model.file to build from (a
    file by the absolute path that ran, whatever the current folder), None without a record."""
    if not source or not source.get("sha256"):
        return None
    path = Path(source.get("file", ""))
    if not path.is_file():
        raise ConfigError(KEY, source.get("setting", str(path)), _(
            "{folder}: the run's network file {path} no longer exists (put it back to "
            "evaluate this run)").format(folder=folder, path=path))
    now = file_sha256(path)
    if now != source["sha256"]:
        raise ConfigError(KEY, source.get("setting", str(path)), _(
            "{folder}: the run's network file {path} changed since the run (SHA-256 {then}… then, {now}… now); "
            "nothing was imported. The weights fit the network the run trained: restore the file as it was to "
            "evaluate it").format(folder=folder, path=path, then=source["sha256"][:12], now=now[:12]))
    setting = source.get("setting", "")
    return f"{path}:{source['name']}" if is_file_target(split_target(setting, KEY)[0]) else setting
