"""The training loop.

`Trainer.fit()` runs on whatever thread calls it; other threads steer it only through its
`RunControl`. Everything it has to say goes out as events (engine.core.events) to callbacks,
and the weights worth keeping go to their `on_checkpoint` hook. Around the loop: the
optimizer and which weights decay (optimization), settings changed live (live), one
epoch's figures (epoch) and what the final metrics say (ending).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import traceback
import uuid
from collections.abc import Iterable

import numpy as np
import torch

from engine.core import events as ev
from engine.core.applicability import features_cached
from engine.core.config import Config, ConfigError
from engine.core.control import RunControl
from engine.core.i18n import N_, _, integer, n_, number
from engine.core.runtime import resolve_device
from engine.data.augment import augment, augmentation_active
from engine.data.bundle import DataBundle, load_data, shuffled_batches
from engine.data.sources import DataError
from engine.data.thumbnails import showable
from engine.nets.models import build_model, parameter_count, weight_layers
from engine.nets.regularizers import Diverged, FiniteCheck, weight_penalty
from engine.training.callbacks import BestTracker, Callback, EarlyStopping
from engine.training.ending import final_metrics
from engine.training.epoch import EpochTotals, epoch_metrics, example_dynamics
from engine.training.evaluate import EvaluationStopped, data_loss, decision_boundary, evaluate
from engine.training.live import apply_live_settings
from engine.training.optimization import Decay, base_lr, build_optimizer
from engine.training.reports import evaluate_test

STEP_EVENT_INTERVAL = 0.2  # seconds: step metrics are coalesced to at most 5 per second (the window's frame rate)
# Per-layer gradient norms are sampled every few steps: reading every gradient each step
# costs a few percent of a small model's step time.
GRAD_NORM_EVERY = 4


class StopRequested(Exception):
    """The control asked to stop (checked at batch boundaries and between validation chunks)."""

    def __init__(self, during_validation: bool = False):
        super().__init__()
        self.during_validation = during_validation


# How a stop by request reads: (during validation, asked by someone named) -> the message.
STOPPED_BY_REQUEST = {
    (False, False): N_("stopped by request at step {step}"),
    (True, False): N_("stopped by request at step {step}, during validation"),
    # i18n: {by} is who asked: host:process id
    (False, True): N_("stopped by request at step {step} (asked by {by})"),
    (True, True): N_("stopped by request at step {step}, during validation (asked by {by})"),
}


class Trainer:
    def __init__(self, config: Config, control: RunControl | None = None,
                 callbacks: Iterable[Callback] = (), data: DataBundle | None = None):
        """`data`: splits already loaded for these data settings and seed (experiments
        reuse them across runs); otherwise `prepare()` loads them."""
        self.config = config.copy()
        self.control = control or RunControl()
        self.early_stopping = EarlyStopping()
        self.callbacks = [*callbacks, self.early_stopping]
        self.data = data
        self.run_id = uuid.uuid4().hex[:8]
        self.prepared = False
        self.step = 0
        self.epoch = 0  # epochs completed
        self._at_first_batch = False  # polling before an epoch's first batch (Paused.between_epochs)
        self.batch_in_epoch = 0  # the batch in progress (or last done) of the epoch, and each one's
        self.batch_origins: list[int] = []  # place in the run's numbering (see _train_epoch)
        self.should_stop = False  # a callback asks to stop after this epoch, Keras style
        self.stop_message = ""
        self.result: ev.RunFinished | None = None
        self.test_result: ev.Evaluated | None = None
        self.history: list[ev.EpochMetrics] = []
        self.features_cached = False
        self.last_weights = None
        self._step_event_at = 0.0  # when the last StepMetrics went out

    # ---- setup ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Load data and build the model. Raises ConfigError / DataError for bad settings."""
        if self.prepared:
            return
        cfg = self.config.check_trainable()  # a pair that may be read but not trained: refused here
        self.device = resolve_device(cfg.run.device)
        # OpenMP's thread count is per calling thread: set it on the training thread too.
        torch.set_num_threads(torch.get_num_threads())
        torch.manual_seed(cfg.run.seed)
        if self.data is None:
            self.data = load_data(cfg.data, cfg.run.seed, self.device)
        d = self.data
        try:
            self.model = build_model(cfg.model, d.input_shape, d.num_classes, cfg.regularization.dropout,
                                     d.mean, d.std).to(self.device)
        except (ConfigError, DataError):
            raise  # they name their own setting or file
        except ValueError as exc:
            raise ConfigError("model.arch", cfg.model.arch, str(exc)) from exc
        self.layers = weight_layers(self.model)
        self.weights = list(self.layers.values())
        o = cfg.optim
        if hasattr(self.model, "param_groups"):  # transfer: maybe a frozen backbone's features
            self._cache_features()
        self.optimizer = build_optimizer(self.model, o, cfg.model.backbone_lr_scale)
        self.decay = Decay(self.model, self.optimizer, cfg.regularization.decay_bias_and_norm)
        self.shuffle_gen = torch.Generator().manual_seed(cfg.run.seed + 1)
        self.augment_gen = torch.Generator(device=self.device).manual_seed(cfg.run.seed + 2)
        reg = cfg.regularization
        self.tracker = BestTracker(reg.monitor, reg.min_delta)
        self.steps_per_epoch = math.ceil((d.split_size or len(d.train_y)) / o.batch_size)  # (a twin: the run's batches)
        self.has_noise = bool(d.corrupted.any().item())
        self.finite = FiniteCheck(self.device)
        self._no_grad = torch.zeros(1, device=self.device)
        self.prepared = True

    def _cache_features(self) -> None:
        """A backbone frozen for the whole run: its features of every training and validation
        image, computed once, so each epoch trains only the head (no augmentation then: an
        augmented image would need its features computed again)."""
        m = self.config.model
        self.features_cached = features_cached(m.backbone, m.transfer)  # the panel's rule too
        if not self.features_cached:
            return
        from engine.nets.backbones import cached_features

        d = self.data
        self.data = dataclasses.replace(d, train_x=cached_features(self.model, d.train_x),
                               val_x=cached_features(self.model, d.val_x),
                               warnings=[*d.warnings, _("model.transfer = {transfer}: the backbone's features are "
                                                         "computed once per image, so augmentation is off").format(
                                   transfer=m.transfer)])

    # ---- events -----------------------------------------------------------------------
    def emit(self, event) -> None:
        for cb in self.callbacks:
            cb.on_event(event)

    # ---- the run ----------------------------------------------------------------------
    def fit(self) -> ev.RunFinished:
        reason, message, tb, bad_input = ev.COMPLETED, "", None, False
        started = False
        try:
            self.prepare()
            self.emit(self._run_started())
            started = True
            if self.config.run.record_examples:
                self.emit(self._training_examples())
            reason, message = self._loop()
        except StopRequested as exc:
            by = self.control.stopped_by
            reason = ev.USER_STOPPED
            message = _(STOPPED_BY_REQUEST[exc.during_validation, bool(by)]).format(step=integer(self.step), by=by)
        except Diverged as exc:
            reason, message = ev.DIVERGED, str(exc)
        except torch.OutOfMemoryError as exc:
            reason, tb = ev.FAILED, traceback.format_exc()
            # i18n: {device} is cpu, cuda…; {error} is torch's own message
            message = _("out of memory on {device} with batch size {size}: halve the batch size (optim.batch_size = "
                        "{half}) and try again. ({error})").format(
                device=getattr(self, "device", "?"), size=integer(self.config.optim.batch_size),
                half=integer(max(1, self.config.optim.batch_size // 2)), error=exc)
        except KeyboardInterrupt:
            reason, message = ev.USER_STOPPED, _("interrupted")
        except (ConfigError, DataError) as exc:
            reason, message, bad_input = ev.FAILED, str(exc), not started
        except Exception as exc:  # torch raises RuntimeError for most things: report all
            reason, message, tb = ev.FAILED, f"{type(exc).__name__}: {exc}", traceback.format_exc()
        return self._finish(reason, message, tb, started, bad_input)

    def _run_started(self) -> ev.RunStarted:
        d = self.data
        train_pts = val_pts = None
        if d.is_toy:
            train_pts = torch.cat([d.train_x, d.train_y[:, None].float()], 1).cpu().tolist()
            val_pts = torch.cat([d.val_x, d.val_y[:, None].float()], 1).cpu().tolist()
        return ev.RunStarted(
            run_id=self.run_id, config=self.config.to_dict(), layer_names=list(self.layers),
            parameter_count=parameter_count(self.model), steps_per_epoch=self.steps_per_epoch,
            device=str(self.device), dataset=self.config.data.dataset, class_names=d.class_names,
            train_size=len(d.train_y), val_size=len(d.val_y), epochs=self.config.optim.epochs,
            train_points=train_pts, val_points=val_pts, warnings=[*d.warnings, *getattr(self.model, "warnings", [])],
            model_source=getattr(self.model, "source", {}), data_source=d.data_source)

    def _training_examples(self) -> ev.TrainingExamples:
        d = self.data
        return ev.TrainingExamples(
            positions=d.train_positions.astype(np.int32), given=d.train_y.cpu().numpy().astype(np.int16),
            true=d.train_y_clean.cpu().numpy().astype(np.int16), corrupted=d.corrupted.cpu().numpy(),
            class_names=list(d.class_names), files=list(d.train_files), images=self._images(),
            sources=np.asarray(d.train_indices, dtype=np.int64), fingerprint=d.split_fingerprint)

    def _images(self):
        """The training images as uint8 for a subscriber that shows them (the window's
        Examples tab says so with `wants_images`); None for points, a frozen backbone's
        features, images too many to hold, or when nobody shows them."""
        x = self.data.train_x
        if x.ndim != 4 or x.numel() > ev.IMAGES_HELD or not any(
                getattr(cb, "wants_images", False) for cb in self.callbacks):
            return None
        return showable(x).numpy()  # (4 or 5 channels, standardized floats: made showable)

    def _loop(self) -> tuple[str, str]:
        epochs = self.config.optim.epochs
        for epoch in range(1, epochs + 1):
            m = self.config.model
            if m.backbone != "none" and m.transfer == "finetune" and epoch == m.frozen_epochs + 1 and self.model.frozen:
                self.model.freeze(False)  # the head has settled: now the whole network, gently
                self.decay.refresh(self.config.regularization.decay_bias_and_norm)  # L1 / L2 reach it too
            totals = self._train_epoch(epoch)
            metrics = self._epoch_metrics(epoch, totals)  # raises StopRequested mid-validation
            if self.config.run.record_examples:  # before the epoch's metrics: a reader that sees
                self.emit(example_dynamics(epoch, totals, self.data.train_y, self.config.optim.loss))  # epoch N finds its dynamics
            self.epoch = epoch
            self.history.append(metrics)
            self.emit(metrics)
            for cb in self.callbacks:
                cb.on_epoch_end(self, metrics)
            if self.data.is_toy:
                self.emit(decision_boundary(self.model, self.data, epoch))
            if self.should_stop:
                return ev.EARLY_STOPPED, self.stop_message or _("stopped by a callback")
        return ev.COMPLETED, n_("trained {count} epoch", "trained {count} epochs", epochs).format(count=integer(epochs))

    def _train_epoch(self, epoch: int) -> EpochTotals:
        d, cfg = self.data, self.config
        self.model.train()
        t0 = time.perf_counter()
        totals = EpochTotals.zeros(len(d.train_y), d.num_classes, len(self.weights), self.device)
        emitted_batches, emitted_seen, emitted_time = 0, 0, t0
        batches = shuffled_batches(d.split_size or len(d.train_y), cfg.optim.batch_size, self.shuffle_gen,
                                   self.device, d.train_positions)
        # Each batch's place among the epoch's batches before a cleaned twin's removed examples
        # emptied some (the run's numbering): a replayed live edit is keyed on it (engine.experiments).
        self.batch_origins = getattr(batches, "origins", None) or list(range(len(batches)))
        for i, idx in enumerate(batches):
            self.batch_in_epoch = i
            self._at_first_batch = i == 0  # (a pause now is between two epochs; in validation it is not)
            self._poll_control()
            self._at_first_batch = False
            reg = self.config.regularization
            xb, yb = d.train_x[idx], d.train_y[idx]
            if augmentation_active(reg, d.is_toy or xb.ndim == 2) and not self.features_cached:
                xb = augment(xb, reg, self.augment_gen)  # (vectors: input noise only)
            logits = self.model(xb)
            loss = data_loss(logits, yb, cfg.optim.loss)
            bad = self.finite.check(loss, self.step + 1)
            if bad is not None:
                self._diverged(*bad)
            penalty = weight_penalty(reg, self.decay.params)
            self.optimizer.zero_grad(set_to_none=True)
            (loss + penalty if penalty is not None else loss).backward()
            if i % GRAD_NORM_EVERY == 0:  # a frozen layer has no gradient: 0
                totals.grads += torch.stack(torch._foreach_norm(
                    [w.grad if w.grad is not None else self._no_grad for w in self.weights]))
                totals.grad_samples += 1
            self.decay.apply_decoupled(reg)
            self.optimizer.step()
            with torch.no_grad():
                totals.add(idx, loss.detach(), logits.detach(), penalty.detach() if penalty is not None else None)
            self.step += 1
            for cb in self.callbacks:
                cb.on_batch_end(self, self.step)
            now = time.perf_counter()
            if now - self._step_event_at >= STEP_EVENT_INTERVAL:  # across epochs: short ones too
                # Reading the loss is a device sync point: only at this interval.
                recent = totals.loss_sum(emitted_batches)
                self.emit(ev.StepMetrics(
                    step=self.step, epoch=epoch,
                    train_loss=recent / max(totals.seen - emitted_seen, 1),
                    samples_per_sec=(totals.seen - emitted_seen) / max(now - emitted_time, 1e-9),
                    lr=base_lr(self.optimizer),
                    epoch_fraction=epoch - 1 + (i + 1) / len(batches)))
                emitted_batches, emitted_seen, emitted_time = len(totals.losses), totals.seen, now
                self._step_event_at = now
        totals.finish(d.train_y)
        totals.seconds = time.perf_counter() - t0
        return totals

    def _diverged(self, value: float, step: int):
        # i18n: {value} is the loss as Python writes it (nan, inf); {lr} the learning rate now
        raise Diverged(_("loss became {value} at step {step} (epoch {epoch}); try a smaller learning rate "
                         "(optim.lr = {lr})").format(value=value, step=integer(step), epoch=integer(self.epoch + 1),
                                                     lr=number(base_lr(self.optimizer))))

    def _pause_or_stop(self) -> bool:
        """Honour a pause (block until resumed); report whether to stop."""
        c = self.control
        if c.stop_requested:
            return True
        if c.paused:
            self.emit(ev.Paused(step=self.step, epoch=self.epoch + 1, time=time.perf_counter(),
                                between_epochs=self._at_first_batch and self.epoch > 0))
            c.wait_while_paused()
            if c.stop_requested:
                return True
            self.emit(ev.Resumed(step=self.step, epoch=self.epoch + 1))
        return False

    def _poll_control(self) -> None:
        """At a batch boundary: honour pause and stop, apply submitted settings."""
        if self._pause_or_stop():
            raise StopRequested
        updates = self.control.take_settings()
        if updates:
            self.apply_settings(updates)

    def apply_settings(self, updates: dict) -> None:
        apply_live_settings(self, updates)

    # ---- per epoch --------------------------------------------------------------------
    def _epoch_metrics(self, epoch: int, t: EpochTotals) -> ev.EpochMetrics:
        d = self.data
        try:
            val = evaluate(self.model, d.val_x, d.val_y, between_chunks=self._pause_or_stop,
                           loss=self.config.optim.loss)
        except EvaluationStopped:
            raise StopRequested(during_validation=True) from None
        monitored = val.loss if self.tracker.monitor == "val_loss" else val.accuracy
        improved = self.tracker.update(epoch, monitored, self.snapshot)
        return epoch_metrics(epoch, self.step, t, val, d, self.layers, base_lr(self.optimizer), improved,
                             self.has_noise)

    def snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    # ---- the end ----------------------------------------------------------------------
    def _finish(self, reason, message, tb, started, bad_input=False) -> ev.RunFinished:
        t = getattr(self, "tracker", None)
        reg = self.config.regularization
        restored = False
        if started:
            self.last_weights = self.snapshot()
        if t is not None and t.best_weights is not None and (
                reason == ev.DIVERGED or (reg.early_stopping and reg.restore_best)):
            self.model.load_state_dict(t.best_weights)
            restored = True
        self.weights_kind = "best" if restored else "last"
        best_epoch = t.best_epoch if t is not None else None
        final = final_metrics(self.history, best_epoch, restored, self.step)
        if started:
            info = {"run_id": self.run_id, "config": json.dumps(self.config.to_dict())}
            for cb in self.callbacks:
                cb.on_checkpoint("last", self.last_weights, info)
                if t is not None and t.best_weights is not None:
                    cb.on_checkpoint("best", t.best_weights, {**info, "epoch": str(best_epoch)})
        self.result = ev.RunFinished(
            reason=reason, message=message, epochs_completed=self.epoch, step=self.step,
            best_epoch=best_epoch, best_value=(t.best if best_epoch else None),
            traceback=tb, final_metrics=final, bad_input=bad_input)
        self.emit(self.result)
        return self.result

    # ---- the locked test split --------------------------------------------------------
    def evaluate_test(self) -> ev.Evaluated:
        """Evaluate once on the locked test split with the weights the run ended with."""
        if self.test_result is not None:
            raise RuntimeError(_("the test split was already evaluated for this run; evaluating it again would "
                                 "turn it into a validation set"))
        if self.result is None or self.result.reason not in ev.USABLE:
            raise RuntimeError(_("train first: the test split is evaluated once, after a run that completed or "
                                 "was stopped"))
        self.test_result = evaluate_test(self.model, self.data, self.weights_kind, self.config.optim.loss)
        self.emit(self.test_result)
        return self.test_result
