"""Hugging Face adapter: `Trainer(..., callbacks=[ol.HuggingFaceCallback()])` writes an
Overfit Lab run folder.

What it records:
    config          the TrainingArguments (to_dict), their learning rate, batch size,
                    epochs, seed and weight decay also as the app's settings; its name the
                    model's class unless `name` is given
    per log         the training loss the Trainer logs (every `logging_steps` steps, and
                    before each evaluation, which this callback asks of it: the run's
                    "steps" count these logs)
    per epoch       eval_loss and eval_accuracy (the "accuracy" your compute_metrics
                    returns) of each evaluation during training (eval_strategy "steps":
                    each evaluation is an epoch line); with eval_strategy "no", an epoch
                    line without them at each epoch's end
    per layer       weight and gradient norms from the optimizer's step (unscaled under
                    fp16: the Trainer unscales before it steps)
Per-example dynamics are not recorded: the Trainer hands callbacks no logits and no
example indices (use ol.init / run.batch in your own loop for them).

The window's Stop sets control.should_training_stop; the run ends at on_train_end. Under
DDP every process calls ol.init (its run.epoch() is a point where the ranks agree on a
Stop), and only rank 0 writes the folder (overfit_lab.distributed).
"""

from __future__ import annotations

from transformers import TrainerCallback

EVAL_ACCURACY = ("eval_accuracy", "eval_acc")


def _config(args) -> dict:
    # the names the logger copies into the app's settings (the settings panel shows them)
    known = {"learning_rate": args.learning_rate, "batch_size": args.per_device_train_batch_size,
             "epochs": args.num_train_epochs, "seed": args.seed, "weight_decay": args.weight_decay}
    try:
        return {**known, "training_args": args.to_dict()}
    except Exception:  # (a subclass whose fields cannot be written: its name is enough)
        return {**known, "training_args": type(args).__name__}


class HuggingFaceCallback(TrainerCallback):
    """Writes a Trainer's training as an Overfit Lab run folder; `name` defaults to the
    model's class, `runs_dir` to the app's runs folder."""

    def __init__(self, name: str | None = None, runs_dir=None):
        self.name = name
        self.runs_dir = runs_dir
        self.run = None

    def on_train_begin(self, args, state, control, model=None, optimizer=None, **kwargs):
        import overfit_lab as ol

        name = self.name or (type(model).__name__ if model is not None else "transformers")
        self.run = ol.init(name, config=_config(args), runs_dir=self.runs_dir)
        # (in the summary from its next write: the app says why the run has no per-example figures)
        self.run.summary["adapter"] = "huggingface"
        if model is not None and optimizer is not None:
            # accelerate wraps the optimizer; its step calls the inner one's, whose hooks see
            # the gradients after the Trainer unscaled (fp16) and clipped them
            ol.watch(model, getattr(optimizer, "optimizer", optimizer))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.run is None or not logs or "loss" not in logs:
            return
        self.run.batch(loss=float(logs["loss"]))
        self._check_stop(control)

    def on_step_end(self, args, state, control, **kwargs):
        if control.should_evaluate:
            control.should_log = True  # the training loss up to each evaluation, whatever logging_steps says
        self._check_stop(control)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        # trainer.evaluate() after training also calls this: the run has ended by then
        if self.run is None or not metrics:
            return
        values = {}
        if "eval_loss" in metrics:
            values["val_loss"] = float(metrics["eval_loss"])
        for key in EVAL_ACCURACY:
            if key in metrics:
                values["val_accuracy"] = float(metrics[key])
                break
        self.run.epoch(**values)
        self._check_stop(control)

    def on_epoch_end(self, args, state, control, **kwargs):
        # the epoch's evaluation (eval_strategy "epoch") runs after this hook: an epoch line
        # is written here only when no evaluation will write one
        if self.run is not None and control.should_evaluate:
            # the training loss before the epoch's evaluation (the Trainer logs every
            # logging_steps, 500 by default: an epoch of fewer steps had no training loss at all)
            control.should_log = True
        if self.run is not None and str(getattr(args.eval_strategy, "value", args.eval_strategy)) == "no":
            self.run.epoch()
            self._check_stop(control)

    def on_train_end(self, args, state, control, **kwargs):
        run, self.run = self.run, None
        if run is not None:
            run.finish()

    def _check_stop(self, control) -> None:
        if self.run is not None and self.run.should_stop:
            control.should_training_stop = True
