"""Overfit Lab's logger: any PyTorch training loop writes a run folder the app shows live.

    import overfit_lab as ol
    run = ol.init("resnet-noisy", config=vars(args))
    ol.watch(model, optimizer)
    for epoch in range(epochs):
        for x, y, idx in loader:                     # loader over ol.Indexed(dataset)
            ...
            run.batch(loss=loss, logits=logits, targets=y, index=idx)
        run.epoch(val_loss=vl, val_accuracy=va)
        if run.should_stop:
            break
    run.finish()
"""

from __future__ import annotations

from pathlib import Path

from overfit_lab import _state
from overfit_lab._indexed import Indexed
from overfit_lab._run import Run, RunFinishedError, default_runs_dir
from overfit_lab.distributed import run_class

__version__ = "0.1.0"
__all__ = ["HuggingFaceCallback", "Indexed", "LightningCallback", "Run", "RunFinishedError", "default_runs_dir",
           "init", "watch"]


def init(name: str, config: dict | None = None, runs_dir: str | Path | None = None,
         classes: list[str] | int | None = None) -> Run:
    """Start a run: a new folder in `runs_dir` (default: the app's runs folder). `config`: the
    script's settings (vars(args)), kept in the run's summary; `classes`: the class names
    (or their number; else config["classes"], else the logits' width)."""
    run = run_class()(name, config, runs_dir, classes)
    _state.remember(run)
    return run


def watch(model, optimizer, scaler=None):
    """Per-layer weight and gradient norms of `model`, from `optimizer`'s step (gradient norms
    before each step, unscaled under AMP's GradScaler; weight norms at each epoch's end)."""
    from overfit_lab._watch import Norms

    norms = Norms(model, optimizer, scaler)
    _state.watched(norms)
    return norms


def __getattr__(name):
    # the adapters import Lightning / transformers: only when asked for
    if name == "LightningCallback":
        from overfit_lab.lightning import LightningCallback

        return LightningCallback
    if name == "HuggingFaceCallback":
        from overfit_lab.huggingface import HuggingFaceCallback

        return HuggingFaceCallback
    raise AttributeError(f"module 'overfit_lab' has no attribute {name!r}")
