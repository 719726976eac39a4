"""The training loop.

`Trainer.fit()` runs on whatever thread calls it; other threads steer it only through its
`RunControl`. Everything it has to say goes out as events (engine.events) to callbacks.
"""

from __future__ import annotations

import dataclasses
import math
import time
import traceback
import uuid
from collections.abc import Iterable

import torch
import torch.nn.functional as F

from engine import events as ev
from engine.callbacks import Callback, EarlyStopping
from engine.config import Config, ConfigError
from engine.control import RunControl
from engine.data import DataBundle, augment, augmentation_active, load_data, shuffled_batches
from engine.models import build_model, decay_split, parameter_count, set_dropout, weight_layers

STEP_EVENT_INTERVAL = 0.1  # seconds: step metrics are coalesced to at most 10 per second
EVAL_BATCH = 512  # also how often a pause or stop is honoured while validating
BOUNDARY_RESOLUTION = 64
# Per-layer gradient norms are sampled every few steps: reading every gradient each step
# costs a few percent of a small model's step time.
GRAD_NORM_EVERY = 4


class _StopDuringValidation(Exception):
    """A stop request arrived while the epoch's validation was running."""


class Diverged(Exception):
    pass


def warm_up() -> None:
    """Import now what a first run would otherwise import lazily, in its first second:
    torch builds its optimizers through torch._dynamo (~2 s to import here, with sympy),
    and the test metrics come from torchmetrics. The window calls this on its loader
    thread, after Start is enabled; the command line never needs to."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    import torchmetrics.functional.classification  # noqa: F401


def resolve_device(name: str) -> torch.device:
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("run.device", name, "'cpu' or 'auto': no CUDA device is available")
        return torch.device("cuda")
    return torch.device("cpu")


def layer_norms(tensors: list[torch.Tensor]) -> list[float]:
    """L2 norm of each tensor, computed in one batched call and read back once."""
    if not tensors:
        return []
    return torch.stack(torch._foreach_norm(tensors)).tolist()


class Trainer:
    def __init__(self, config: Config, control: RunControl | None = None,
                 callbacks: Iterable[Callback] = (), runs_dir=None):
        self.config = config.copy()
        self.control = control or RunControl()
        self.callbacks = list(callbacks)
        self.writer = None
        if runs_dir is not None:
            from engine.runs import RunWriter

            self.writer = RunWriter(runs_dir)
            self.callbacks.insert(0, self.writer)
        self.run_id = uuid.uuid4().hex[:8]
        self.prepared = False
        self.step = 0
        self.epoch = 0  # epochs completed
        self.should_stop = False  # callbacks may set this, Keras style
        self.result: ev.RunFinished | None = None
        self.test_result: ev.TestEvaluated | None = None
        self.history: list[ev.EpochMetrics] = []

    # ---- setup ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Load data and build the model. Raises ConfigError / DataError for bad settings."""
        if self.prepared:
            return
        cfg = self.config
        self.device = resolve_device(cfg.run.device)
        # OpenMP's thread count is per calling thread: set it on the training thread too.
        torch.set_num_threads(torch.get_num_threads())
        torch.manual_seed(cfg.run.seed)
        self.data: DataBundle = load_data(cfg.data, cfg.run.seed, self.device)
        try:
            self.model = build_model(cfg.model, self.data.input_shape, self.data.num_classes,
                                     cfg.regularization.dropout, self.data.mean, self.data.std).to(self.device)
        except ValueError as exc:
            raise ConfigError("model.arch", cfg.model.arch, str(exc)) from exc
        self.layers = weight_layers(self.model)
        self.layer_names = list(self.layers)
        self.weights = list(self.layers.values())
        self._build_optimizer()
        self.shuffle_gen = torch.Generator().manual_seed(cfg.run.seed + 1)
        self.augment_gen = torch.Generator(device=self.device).manual_seed(cfg.run.seed + 2)
        reg = cfg.regularization
        self.tracker = EarlyStopping(reg.monitor, reg.patience, reg.min_delta, restore_best=True)
        self.steps_per_epoch = math.ceil(len(self.data.train_y) / cfg.optim.batch_size)
        self.has_noise = bool(self.data.corrupted.any().item())
        self._finite_pending = None
        if self.device.type == "cuda":
            self._finite_flags = [torch.zeros((), dtype=torch.bool).pin_memory() for _ in range(2)]
        self.prepared = True

    def _build_optimizer(self):
        o = self.config.optim
        params = [p for p in self.model.parameters() if p.requires_grad]
        if o.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(params, lr=o.lr, momentum=o.momentum)
        else:
            self.optimizer = torch.optim.Adam(params, lr=o.lr)
        self._split_decay()

    def _split_decay(self):
        self.decay_params, _ = decay_split(self.model, self.config.regularization.decay_bias_and_norm)

    # ---- events -----------------------------------------------------------------------
    def emit(self, event) -> None:
        for cb in self.callbacks:
            cb.on_event(event)
            if isinstance(event, ev.EpochMetrics):
                cb.on_epoch_end(self, event)
            elif isinstance(event, ev.RunStarted):
                cb.on_fit_start(self, event)
            elif isinstance(event, ev.RunFinished):
                cb.on_fit_end(self, event)

    # ---- the run ----------------------------------------------------------------------
    def fit(self) -> ev.RunFinished:
        reason, message, tb = ev.COMPLETED, "", None
        started = False
        try:
            self.prepare()
            if self.writer is not None:
                self.writer.open(self)
            self.emit(self._run_started())
            started = True
            reason, message = self._loop()
        except Diverged as exc:
            reason, message = ev.DIVERGED, str(exc)
        except torch.OutOfMemoryError as exc:
            reason, tb = ev.FAILED, traceback.format_exc()
            message = (f"out of memory on {getattr(self, 'device', '?')} with batch size "
                       f"{self.config.optim.batch_size}: halve the batch size (optim.batch_size = "
                       f"{max(1, self.config.optim.batch_size // 2)}) and try again. ({exc})")
        except KeyboardInterrupt:
            reason, message = ev.USER_STOPPED, "interrupted"
        except Exception as exc:  # torch raises RuntimeError for most things: report all
            reason, message, tb = ev.FAILED, f"{type(exc).__name__}: {exc}", traceback.format_exc()
        return self._finish(reason, message, tb, started)

    def _run_started(self) -> ev.RunStarted:
        d = self.data
        train_pts = val_pts = None
        if d.is_toy:
            train_pts = torch.cat([d.train_x, d.train_y[:, None].float()], 1).cpu().tolist()
            val_pts = torch.cat([d.val_x, d.val_y[:, None].float()], 1).cpu().tolist()
        return ev.RunStarted(
            run_id=self.run_id, run_dir=str(self.writer.path) if self.writer else None,
            config=self.config.to_dict(), layer_names=self.layer_names,
            parameter_count=parameter_count(self.model), steps_per_epoch=self.steps_per_epoch,
            device=str(self.device), dataset=self.config.data.dataset, class_names=d.class_names,
            train_size=len(d.train_y), val_size=len(d.val_y), epochs=self.config.optim.epochs,
            train_points=train_pts, val_points=val_pts)

    def _loop(self) -> tuple[str, str]:
        cfg = self.config
        d = self.data
        n = len(d.train_y)
        last_emit = time.perf_counter()
        for epoch_index in range(cfg.optim.epochs):
            self.model.train()
            t0 = time.perf_counter()
            zero = torch.zeros((), device=self.device)
            loss_sum, correct, penalty_sum = zero.clone(), zero.clone(), zero.clone()
            correct_noisy = zero.clone()
            grad_sum = torch.zeros(len(self.weights), device=self.device)
            grad_count = 0
            seen = 0
            emitted_loss, emitted_seen, emitted_time = 0.0, 0, t0
            batches = shuffled_batches(n, cfg.optim.batch_size, self.shuffle_gen, self.device)
            for i, idx in enumerate(batches):
                if self._poll_control():
                    return ev.USER_STOPPED, f"stopped by request at step {self.step}"
                reg = self.config.regularization
                xb, yb = d.train_x[idx], d.train_y[idx]
                if augmentation_active(reg, d.is_toy):
                    xb = augment(xb, reg, self.augment_gen)
                logits = self.model(xb)
                loss = F.cross_entropy(logits, yb)
                self._check_finite(loss)
                penalty = self._penalty(reg)
                self.optimizer.zero_grad(set_to_none=True)
                (loss + penalty if penalty is not None else loss).backward()
                if i % GRAD_NORM_EVERY == 0:
                    grad_sum += torch.stack(torch._foreach_norm([w.grad for w in self.weights]))
                    grad_count += 1
                if reg.weight_decay > 0 and reg.weight_decay_mode == "decoupled":
                    # AdamW's decoupled decay, applied to any optimizer: w <- w (1 - lr * wd).
                    lr = self.optimizer.param_groups[0]["lr"]
                    with torch.no_grad():
                        torch._foreach_mul_(self.decay_params, 1.0 - lr * reg.weight_decay)
                self.optimizer.step()
                b = len(idx)
                with torch.no_grad():
                    loss_sum += loss.detach() * b
                    hits = logits.argmax(1) == yb
                    correct += hits.sum()
                    if self.has_noise:
                        correct_noisy += (hits & d.corrupted[idx]).sum()
                    if penalty is not None:
                        penalty_sum += penalty.detach() * b
                seen += b
                self.step += 1
                for cb in self.callbacks:
                    cb.on_batch_end(self, self.step)
                now = time.perf_counter()
                if now - last_emit >= STEP_EVENT_INTERVAL:
                    # Reading the loss is a device sync point: only at this interval.
                    total = loss_sum.item()
                    running = (total - emitted_loss) / max(seen - emitted_seen, 1)
                    self.emit(ev.StepMetrics(
                        step=self.step, epoch=epoch_index, train_loss=running,
                        samples_per_sec=(seen - emitted_seen) / max(now - emitted_time, 1e-9),
                        lr=self.optimizer.param_groups[0]["lr"],
                        epoch_fraction=epoch_index + (i + 1) / len(batches)))
                    emitted_loss, emitted_seen, emitted_time, last_emit = total, seen, now, now
            train_time = time.perf_counter() - t0
            self.epoch = epoch_index + 1
            try:
                metrics = self._epoch_metrics(epoch_index, seen, loss_sum, correct, correct_noisy,
                                              penalty_sum, grad_sum, grad_count, train_time)
            except _StopDuringValidation:
                self.epoch = epoch_index  # this epoch has no metrics
                return ev.USER_STOPPED, f"stopped by request at step {self.step}, during validation"
            improved, stop = self._update_best(epoch_index, metrics)
            metrics = dataclasses.replace(metrics, is_best=improved)
            self.history.append(metrics)
            self.emit(metrics)
            if d.is_toy:
                self.emit(self._decision_boundary())
            if stop:
                t = self.tracker
                self.emit(ev.EarlyStopped(epoch=self.epoch, best_epoch=t.best_epoch + 1,
                                          best_value=t.best, monitor=t.monitor))
                return ev.EARLY_STOPPED, (f"no improvement in {t.monitor} for {t.patience} epochs; "
                                          f"best was epoch {t.best_epoch + 1}")
            if self.should_stop:
                return ev.EARLY_STOPPED, "stopped by a callback"
        return ev.COMPLETED, f"trained {cfg.optim.epochs} epochs"

    # ---- per step ---------------------------------------------------------------------
    def _check_finite(self, loss: torch.Tensor) -> None:
        """End the run as diverged within one step of a non-finite loss.

        On CPU reading the loss costs nothing. On a GPU a read is a sync, so the flag is
        copied to pinned memory without blocking and checked one step later.
        """
        if self.device.type != "cuda":
            value = loss.item()
            if not math.isfinite(value):
                self._diverged(value, self.step + 1)
            return
        if self._finite_pending is not None:
            done, flag, step = self._finite_pending
            done.synchronize()
            if flag.item():
                self._diverged(float("nan"), step)
        flag = self._finite_flags[self.step % 2]
        flag.copy_(~torch.isfinite(loss.detach()), non_blocking=True)
        done = torch.cuda.Event()
        done.record()
        self._finite_pending = (done, flag, self.step + 1)

    def _diverged(self, value: float, step: int):
        raise Diverged(f"loss became {value} at step {step} (epoch {self.epoch + 1}); try a smaller "
                       f"learning rate (optim.lr = {self.optimizer.param_groups[0]['lr']:g})")

    def _penalty(self, reg) -> torch.Tensor | None:
        penalty = None
        if reg.weight_decay > 0 and reg.weight_decay_mode == "l2_penalty":
            # (wd / 2) * sum w^2: its gradient is wd * w, the same pull as decoupled decay under SGD.
            penalty = 0.5 * reg.weight_decay * sum(p.pow(2).sum() for p in self.decay_params)
        if reg.l1 > 0:
            l1 = reg.l1 * sum(p.abs().sum() for p in self.decay_params)
            penalty = l1 if penalty is None else penalty + l1
        return penalty

    def _pause_or_stop(self) -> bool:
        """Honour a pause (block until resumed); report whether to stop."""
        c = self.control
        if c.stop_requested:
            return True
        if c.paused:
            self.emit(ev.Paused(step=self.step, epoch=self.epoch, time=time.perf_counter()))
            c.wait_while_paused()
            if c.stop_requested:
                return True
            self.emit(ev.Resumed(step=self.step, epoch=self.epoch))
        return False

    def _poll_control(self) -> bool:
        """At a batch boundary: apply settings, honour pause, report whether to stop."""
        if self._pause_or_stop():
            return True
        c = self.control
        updates = c.take_settings()
        if updates:
            self.apply_settings(updates)
        return False

    def apply_settings(self, updates: dict) -> None:
        changes = {k: [self.config.get(k), v] for k, v in updates.items() if self.config.get(k) != v}
        if not changes:
            return
        self.config = self.config.with_updates({k: v[1] for k, v in changes.items()})
        reg, t = self.config.regularization, self.tracker
        if "regularization.dropout" in changes:
            set_dropout(self.model, reg.dropout)
        if "optim.lr" in changes:
            for g in self.optimizer.param_groups:
                g["lr"] = self.config.optim.lr
        if "regularization.decay_bias_and_norm" in changes:
            self._split_decay()
        t.patience, t.min_delta = reg.patience, reg.min_delta
        if reg.monitor != t.monitor:  # a different metric: its best so far is unknown
            t.monitor = reg.monitor
            t.reset()
        self.emit(ev.SettingsApplied(step=self.step, epoch=self.epoch, changes=changes))

    # ---- per epoch --------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor, *, during_run: bool = False
                 ) -> tuple[float, float, torch.Tensor]:
        """(mean loss, accuracy, predictions) with the model in eval mode. During a run, a
        pause or stop is honoured between chunks, as between training batches."""
        was_training = self.model.training
        self.model.eval()
        loss_sum = torch.zeros((), device=self.device)
        preds = []
        for start in range(0, len(y), EVAL_BATCH):
            if during_run and self._pause_or_stop():
                self.model.train(was_training)
                raise _StopDuringValidation
            logits = self.model(x[start:start + EVAL_BATCH])
            loss_sum += F.cross_entropy(logits, y[start:start + EVAL_BATCH], reduction="sum")
            preds.append(logits.argmax(1))
        self.model.train(was_training)
        pred = torch.cat(preds)
        return loss_sum.item() / len(y), (pred == y).float().mean().item(), pred

    def _epoch_metrics(self, epoch_index, seen, loss_sum, correct, correct_noisy, penalty_sum,
                       grad_sum, grad_count, train_time) -> ev.EpochMetrics:
        d = self.data
        val_loss, val_acc, _ = self.evaluate(d.val_x, d.val_y, during_run=True)
        train_loss = loss_sum.item() / seen
        train_acc = correct.item() / seen
        clean_acc = corrupt_acc = None
        if self.has_noise:
            # Each training example is seen once per epoch, so the noisy / clean counts are exact.
            n_noisy = int(d.corrupted.sum().item())
            hits_noisy = correct_noisy.item()
            corrupt_acc = hits_noisy / n_noisy
            clean_acc = (correct.item() - hits_noisy) / max(seen - n_noisy, 1)
        grads = (grad_sum / max(grad_count, 1)).tolist()
        return ev.EpochMetrics(
            epoch=epoch_index + 1, step=self.step, train_loss=train_loss, train_accuracy=train_acc,
            val_loss=val_loss, val_accuracy=val_acc, accuracy_gap=train_acc - val_acc,
            loss_gap=val_loss - train_loss,
            weight_norms=dict(zip(self.layer_names, layer_norms(self.weights), strict=True)),
            grad_norms=dict(zip(self.layer_names, grads, strict=True)),
            lr=self.optimizer.param_groups[0]["lr"], penalty=penalty_sum.item() / seen,
            epoch_time=train_time, samples_per_sec=seen / max(train_time, 1e-9),
            train_accuracy_clean=clean_acc, train_accuracy_corrupted=corrupt_acc)

    def _update_best(self, epoch_index: int, metrics: ev.EpochMetrics) -> tuple[bool, bool]:
        """Track the best epoch (always, for best.safetensors); stop only with early stopping on."""
        t = self.tracker
        value = metrics.val_loss if t.monitor == "val_loss" else metrics.val_accuracy
        improved, stop = t.update(epoch_index, value, self.snapshot)
        return improved, stop and self.config.regularization.early_stopping

    def snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    @torch.no_grad()
    def _decision_boundary(self) -> ev.DecisionBoundary:
        d = self.data
        pts = torch.cat([d.train_x, d.val_x])
        lo, hi = pts.min(0).values, pts.max(0).values
        pad = (hi - lo) * 0.1
        lo, hi = (lo - pad).tolist(), (hi + pad).tolist()
        r = BOUNDARY_RESOLUTION
        xs = torch.linspace(lo[0], hi[0], r, device=self.device)
        ys = torch.linspace(lo[1], hi[1], r, device=self.device)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        was_training = self.model.training
        self.model.eval()
        probs = torch.softmax(self.model(torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)), 1)
        self.model.train(was_training)
        conf, cls = probs.max(1)
        return ev.DecisionBoundary(epoch=self.epoch, x_range=(lo[0], hi[0]), y_range=(lo[1], hi[1]),
                                   resolution=r, classes=cls.reshape(r, r).tolist(),
                                   confidence=conf.reshape(r, r).tolist())

    # ---- the end ----------------------------------------------------------------------
    def _finish(self, reason, message, tb, started) -> ev.RunFinished:
        t = getattr(self, "tracker", None)
        reg = self.config.regularization
        restored = False
        self.last_weights = self.snapshot() if started else None
        if t is not None and t.best_weights is not None and (
                reason == ev.DIVERGED or (reg.early_stopping and reg.restore_best)):
            self.model.load_state_dict(t.best_weights)
            restored = True
        final = {}
        if self.history:
            last = self.history[-1]
            final = {"train_loss": last.train_loss, "train_accuracy": last.train_accuracy,
                     "val_loss": last.val_loss, "val_accuracy": last.val_accuracy,
                     "epoch": last.epoch}
        if restored and t.best_epoch is not None and t.best_epoch < len(self.history):
            best = self.history[t.best_epoch]
            final["restored_best_epoch"] = best.epoch
            final["best_val_loss"], final["best_val_accuracy"] = best.val_loss, best.val_accuracy
        best_epoch = (t.best_epoch + 1) if t is not None and t.best_epoch is not None else None
        self.result = ev.RunFinished(
            reason=reason, message=message, epochs_completed=self.epoch, step=self.step,
            best_epoch=best_epoch, best_value=(t.best if best_epoch else None),
            run_dir=str(self.writer.path) if self.writer and self.writer.started else None,
            traceback=tb, final_metrics=final)
        if started or self.writer is None:
            self.emit(self.result)
        else:
            # Failed before the run began (bad data, say): subscribers still hear why.
            for cb in self.callbacks:
                if cb is not self.writer:
                    cb.on_event(self.result)
                    cb.on_fit_end(self, self.result)
        return self.result

    # ---- the locked test split --------------------------------------------------------
    def evaluate_test(self) -> ev.TestEvaluated:
        """Evaluate once on the locked test split with the model's current weights."""
        from torchmetrics.functional.classification import (
            multiclass_confusion_matrix,
            multiclass_f1_score,
            multiclass_precision,
            multiclass_recall,
        )

        if self.test_result is not None:
            raise RuntimeError("the test split was already evaluated for this run; "
                               "evaluating it again would turn it into a validation set")
        if self.result is None:
            raise RuntimeError("train first: the test split is evaluated once, after the run")
        x, y = self.data.test.open("final evaluation")
        loss, acc, pred = self.evaluate(x, y)
        k = self.data.num_classes
        kw = dict(num_classes=k, average=None, zero_division=0)
        reg = self.config.regularization
        self.test_result = ev.TestEvaluated(
            accuracy=acc, loss=loss, class_names=self.data.class_names,
            precision=multiclass_precision(pred, y, **kw).tolist(),
            recall=multiclass_recall(pred, y, **kw).tolist(),
            f1=multiclass_f1_score(pred, y, **kw).tolist(),
            support=torch.bincount(y, minlength=k).tolist(),
            confusion_matrix=multiclass_confusion_matrix(pred, y, num_classes=k).tolist(),
            macro_f1=multiclass_f1_score(pred, y, num_classes=k, average="macro", zero_division=0).item(),
            weights="best" if (reg.early_stopping and reg.restore_best) or self.result.reason == ev.DIVERGED else "last")
        self.emit(self.test_result)
        return self.test_result
