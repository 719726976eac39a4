"""PyTorch Lightning adapter: `Trainer(callbacks=[ol.LightningCallback()])` writes an Overfit
Lab run folder.

What it records:
    config          the LightningModule's hparams (save_hyperparameters), its name the
                    module's class unless `name` is given
    per batch       the training loss; per-example margins too where training_step returns
                    a dict with "logits", "targets" and "index" beside "loss":
                        return {"loss": loss, "logits": logits, "targets": y, "index": idx}
                    (idx from a dataset wrapped in ol.Indexed)
    per epoch       val_loss and val_accuracy from trainer.callback_metrics (the names
                    val_loss / val_acc / val_accuracy / val_accuracy_epoch, logged with
                    self.log in validation_step or on_validation_epoch_end)
    per layer       weight and gradient norms of the first optimizer's layers, taken in
                    on_before_optimizer_step, after backward (under 16-mixed: by the
                    optimizer's step, which the GradScaler calls, gradients unscaled, only
                    for the steps it takes)

The window's Stop sets trainer.should_stop (Lightning ends the epoch's loop and the fit
cleanly); the run ends at on_fit_end, or at on_exception as failed. Under DDP every rank
starts a run and only rank 0 writes the folder, holding every rank's examples; the ranks
agree on a Stop at each epoch's end (overfit_lab.distributed).
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl

VAL_LOSS = ("val_loss", "val_loss_epoch", "validation_loss", "val/loss")
VAL_ACCURACY = ("val_accuracy", "val_acc", "val_accuracy_epoch", "val_acc_epoch", "validation_accuracy",
                "val/accuracy", "val/acc")
EXAMPLE_KEYS = ("logits", "targets", "index")


def _first(metrics: dict, names: tuple[str, ...]) -> float | None:
    for name in names:
        if name in metrics:
            value = metrics[name]
            return float(value.item() if hasattr(value, "item") else value)
    return None


def _plain(hparams: Any) -> dict:
    """A module's hparams as a JSON-able dict (AttributeDict, Namespace, nested containers)."""
    try:
        items = dict(hparams)
    except (TypeError, ValueError):
        items = dict(vars(hparams)) if hasattr(hparams, "__dict__") else {}
    return {str(k): v if isinstance(v, (bool, int, float, str, type(None), list, dict, tuple)) else repr(v)
            for k, v in items.items()}


class LightningCallback(pl.Callback):
    """Writes the fit as an Overfit Lab run folder; `name` defaults to the module's class,
    `runs_dir` to the app's runs folder."""

    def __init__(self, name: str | None = None, runs_dir=None):
        super().__init__()
        self.name = name
        self.runs_dir = runs_dir
        self.run = None
        self._val: dict[str, float] = {}
        self._norms = None
        self._norms_here = False

    # -- start --------------------------------------------------------------------------

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        import overfit_lab as ol

        self.run = ol.init(self.name or type(pl_module).__name__, config=_plain(pl_module.hparams),
                           runs_dir=self.runs_dir)
        self._val = {}
        self._norms = ol.watch(pl_module, trainer.optimizers[0]) if trainer.optimizers else None
        self._norms_here = self._norms is not None and getattr(trainer.precision_plugin, "scaler", None) is None
        if self._norms_here:
            # Lightning calls optimizer.step(closure) and the closure runs backward inside the
            # step: the logger's step pre-hook would see the previous step's gradients. The
            # norms are taken in on_before_optimizer_step instead, after backward. (With AMP's
            # GradScaler the closure runs first and scaler.step() calls optimizer.step() only
            # for steps it takes, gradients unscaled: the pre-hook is right there, and this
            # hook would count the skipped steps' inf gradients.)
            self._norms.remove()

    # -- per batch ------------------------------------------------------------------------

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        if self.run is not None and self._norms_here:
            self._norms.record_step()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.run is None:
            return
        if outputs is None:  # training_step returned None: the step was skipped
            return
        if isinstance(outputs, dict):
            loss = outputs.get("loss")
            example = {k: outputs[k].detach() if hasattr(outputs[k], "detach") else outputs[k]
                       for k in EXAMPLE_KEYS if k in outputs}
        else:
            loss, example = outputs, {}
        if loss is None:
            return
        self.run.batch(loss=loss.detach() if hasattr(loss, "detach") else loss, **example)
        if self.run.should_stop:
            trainer.should_stop = True

    # -- per epoch ------------------------------------------------------------------------

    def on_validation_end(self, trainer, pl_module) -> None:
        # on_validation_end, not on_validation_epoch_end: metrics the module logs in its own
        # on_validation_epoch_end (after the callbacks' hook) are in callback_metrics by now
        if self.run is None or trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        self._val = {k: v for k, v in (("val_loss", _first(metrics, VAL_LOSS)),
                                       ("val_accuracy", _first(metrics, VAL_ACCURACY))) if v is not None}

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        # validation at the epoch's end runs before this hook; an epoch without validation
        # (check_val_every_n_epoch > 1, no val loader) is recorded without val metrics
        if self.run is None:
            return
        self.run.epoch(**self._val)
        self._val = {}
        if self.run.should_stop:
            trainer.should_stop = True

    # -- end ------------------------------------------------------------------------------

    def on_fit_end(self, trainer, pl_module) -> None:
        run, self.run = self.run, None
        if run is not None:
            run.finish()

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        run, self.run = self.run, None
        if run is None:
            return
        if isinstance(exception, KeyboardInterrupt):  # Ctrl+C: Lightning ends the fit gracefully
            run.finish("user_stopped", "stopped by Ctrl+C in the script")
            return
        import traceback

        run.finish("failed", f"{type(exception).__name__}: {exception}",
                   "".join(traceback.format_exception(type(exception), exception, exception.__traceback__)))
