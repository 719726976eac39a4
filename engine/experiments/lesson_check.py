"""A lesson run headless: its settings on the CPU with the lesson's seed, each step's claim
tested against the figures of the epochs up to its pause, and (`--check`) run twice to show
a rerun gives the same metrics bit for bit."""

from __future__ import annotations

import dataclasses
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

from engine.core import events as ev
from engine.core.config import Config
from engine.core.i18n import _, integer
from engine.core.lesson_figures import ExpressionError, compute_figures, fill_reveal, format_figure
from engine.core.lessons import Lesson
from engine.experiments.experiment import run_single
from engine.training.callbacks import Callback

# What differs between two identical runs by nature: how long they took.
TIMING_KEYS = ("epoch_time", "samples_per_sec")


class EpochsKept(Callback):
    """Keeps every EpochMetrics of a run, as dicts."""

    def __init__(self) -> None:
        self.epochs: list[dict] = []

    def on_event(self, event) -> None:
        if isinstance(event, ev.EpochMetrics):
            self.epochs.append(dataclasses.asdict(event))


class PauseAtEpochs(Callback):
    """Pauses a run as each of `epochs` ends: on the training thread, so the run stops before the
    next epoch's first batch (a window pausing it when it shows the epoch would be a batch or
    more late). The epoch's metrics are sent before this runs, so a window may show the epoch,
    and even answer its step, before or after this pause is made: see pass_through."""

    def __init__(self, control, epochs) -> None:
        self.control, self.epochs = control, frozenset(epochs)
        self.passed = 0  # the steps at epochs up to this one are answered: no pause there again
        self._lock = threading.Lock()

    def on_epoch_end(self, trainer, metrics) -> None:
        with self._lock:
            if metrics.epoch in self.epochs and metrics.epoch > self.passed:
                self.control.pause()

    def pass_through(self, epoch: int) -> None:
        """No pause at `epoch` or before (called by whoever resumes the run from a step's pause).
        A step asked, revealed and passed at once (a scripted lesson) resumed the run before
        this callback had run for the epoch; its pause came after and held the run paused for
        good."""
        with self._lock:
            self.passed = max(self.passed, epoch)


@dataclass
class StepOutcome:
    number: int
    epoch: int | None  # its pause epoch, None: the run's end
    claim: str
    holds: bool | None  # None: the step states no claim
    why: str  # the figures the claim read, or why it could not be tested
    reveal: str


@dataclass
class LessonRun:
    config: Config
    run_dir: Path | None
    result: ev.RunFinished | None
    epochs: list[dict] = field(default_factory=list)


def lesson_config(lesson: Lesson, config: Config | None = None) -> Config:
    """The settings the check trains: the lesson's (or `config`, --set applied), on the CPU."""
    return (config or lesson.config).with_updates({"run.device": "cpu"})


def run_lesson(lesson: Lesson, runs_dir: str | Path, config: Config | None = None, subscribers=()) -> LessonRun:
    kept = EpochsKept()
    cfg = lesson_config(lesson, config)
    trial = run_single(cfg, subscribers=[kept, *subscribers], runs_dir=runs_dir,
                       notes={"lesson": str(lesson.path)})
    return LessonRun(cfg, trial.run_dir, trial.result, kept.epochs)


def step_outcomes(lesson: Lesson, epochs: list[dict]) -> list[StepOutcome]:
    """Each step's claim against the figures of the epochs up to its pause epoch."""
    last = epochs[-1]["epoch"] if epochs else 0
    out = []
    for number, step in enumerate(lesson.steps, 1):
        figures = compute_figures(epochs, step.pause_at)
        claim = step.expect.text if step.expect is not None else ""
        reveal = fill_reveal(step.reveal, figures)
        if step.pause_at is not None and step.pause_at > last:
            out.append(StepOutcome(number, step.pause_at, claim, False if claim else None,
                                   _("the run ended at epoch {epoch}, before this step's epoch").format(
                                       epoch=integer(last)), reveal))
            continue
        if step.expect is None:
            out.append(StepOutcome(number, step.pause_at, claim, None, "", reveal))
            continue
        read = ", ".join(f"{n} = {format_figure(n, figures[n])}" for n in step.expect.names)
        try:
            holds = step.expect.holds(figures)
        except ExpressionError as exc:
            holds, read = False, str(exc)
        out.append(StepOutcome(number, step.pause_at, claim, holds, read, reveal))
    return out


def same_bits(a, b) -> bool:
    """Equal bit for bit: a NaN is the same as a NaN (`!=` says it differs), 0.0 not as -0.0."""
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    return a == b


def metrics_differ(first: list[dict], second: list[dict]) -> str:
    """'' where two runs' epoch metrics are the same bit for bit (timings aside), else the first difference."""
    if len(first) != len(second):
        return _("{first} epochs, then {second}").format(first=integer(len(first)), second=integer(len(second)))
    for a, b in zip(first, second, strict=True):
        for key in a:
            if key not in TIMING_KEYS and not same_bits(a[key], b.get(key)):
                # i18n: {key} is a figure's name (val_loss); {first} and {second} its values as Python writes them
                return _("epoch {epoch}: {key} {first}, then {second}").format(
                    epoch=integer(a["epoch"]), key=key, first=repr(a[key]), second=repr(b.get(key)))
    return ""
