"""What the command line prints while a run trains and after an evaluation, and the exit
code of each way a run ends: shared by `main.py train` and `main.py clean` (its own module,
so neither command module imports the other)."""

from __future__ import annotations

import logging
import sys

from engine.core import events as ev
from engine.core.arguments import EXIT_DIVERGED, EXIT_FAILED, EXIT_OK
from engine.training.callbacks import Callback

EXIT_CODES = {ev.COMPLETED: EXIT_OK, ev.EARLY_STOPPED: EXIT_OK, ev.USER_STOPPED: EXIT_OK,
              ev.DIVERGED: EXIT_DIVERGED, ev.FAILED: EXIT_FAILED}


class ConsoleProgress(Callback):
    """One line per epoch; on a terminal, a progress bar for the epoch in progress."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.epochs = 0

    def _clear(self):
        if self.tty:
            self.stream.write("\r\033[K")

    def on_event(self, event) -> None:
        s = self.stream
        if isinstance(event, ev.RunStarted):
            self.epochs = event.epochs
            s.write(f"{event.dataset}: {event.train_size} training / {event.val_size} validation examples, "
                    f"{event.parameter_count:,} parameters on {event.device}\n")
            for warning in event.warnings:
                print(f"warning: {warning}", file=sys.stderr, flush=True)
                logging.getLogger("overfit_lab").warning("%s", warning)
        elif isinstance(event, ev.StepMetrics) and self.tty:
            frac = event.epoch_fraction - (event.epoch - 1)
            bar = "#" * int(frac * 30)
            s.write(f"\repoch {event.epoch}/{self.epochs} [{bar:<30}] loss {event.train_loss:.4f} "
                    f"{event.samples_per_sec:,.0f} samples/s\033[K")
        elif isinstance(event, ev.EpochMetrics):
            self._clear()
            extra = ""
            if event.train_accuracy_corrupted is not None:
                extra = (f"  clean {event.train_accuracy_clean:.1%} / corrupted "
                         f"{event.train_accuracy_corrupted:.1%}")
            s.write(f"epoch {event.epoch:>3}/{self.epochs}  train loss {event.train_loss:.4f} "
                    f"acc {event.train_accuracy:6.1%}  val loss {event.val_loss:.4f} "
                    f"acc {event.val_accuracy:6.1%}  {_ece(event.val_ece)}gap {event.accuracy_gap * 100:+5.1f} pts  "
                    f"{event.epoch_time:.1f}s{' *' if event.is_best else ''}{extra}\n")
        elif isinstance(event, ev.SettingsApplied):
            said = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in event.changes.items())
            s.write(f"step {event.step}: " + "; ".join(filter(None, (said, event.note))) + "\n")
        elif isinstance(event, ev.EarlyStopped):
            s.write(f"early stop after epoch {event.epoch}: best {event.monitor} {event.best_value:.4f} "
                    f"at epoch {event.best_epoch}\n")
        elif isinstance(event, ev.Evaluated):
            s.write(format_report(event))
        s.flush()


SPLIT_NAMES = {"test": "test (the locked split)", "val": "validation"}


def _ece(value: float | None) -> str:
    """The epoch line's calibration error; none for an MSE run (its outputs are no probabilities)."""
    return "" if value is None else f"ECE {value:.3f}  "


def format_report(t: ev.Evaluated) -> str:
    width = max(len(n) for n in t.class_names)
    ece = f"  ECE {t.ece:.3f}" if t.ece is not None else ""
    lines = [f"{SPLIT_NAMES[t.split]}, {t.weights} weights, {t.examples:,} examples: accuracy "
             f"{t.accuracy:.2%}  loss {t.loss:.4f}  macro F1 {t.macro_f1:.3f}{ece}",
             f"  {'class':<{width}}  precision  recall     F1  support"]
    for name, p, r, f, n in zip(t.class_names, t.precision, t.recall, t.f1, t.support, strict=True):
        lines.append(f"  {name:<{width}}  {p:9.3f}  {r:6.3f}  {f:5.3f}  {n:7d}")
    if t.calibration_note:
        lines.append(f"  ({t.calibration_note})")
    confused = t.most_confused(3)
    if confused:
        lines.append("  most confused: " + "; ".join(f"{a} taken for {b} {n}x" for a, b, n in confused))
    return "\n".join(lines) + "\n"
