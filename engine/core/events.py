"""Everything the engine can tell its subscribers, in one place.

Events are frozen dataclasses holding plain Python values (no tensors), so they can cross
threads and be read by code that never imports torch. All but two are written as JSON; the
per-example ones (TrainingExamples, ExampleDynamics) hold numpy arrays, one value per
training example, and are written as safetensors (engine.runs.dynamics).

Epochs are numbered from 1 everywhere: `epoch` is the epoch in progress (StepMetrics,
Paused, Resumed, SettingsApplied) or the one just completed (EpochMetrics, EarlyStopped).
`epoch_fraction` is the position on the plots' epoch axis: epoch N runs from N-1 to N.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from engine.core.i18n import N_

# Why a run (or an experiment) ended.
COMPLETED = "completed"
EARLY_STOPPED = "early_stopped"
USER_STOPPED = "user_stopped"
DIVERGED = "diverged"
FAILED = "failed"
REASONS = (COMPLETED, EARLY_STOPPED, USER_STOPPED, DIVERGED, FAILED)
# How each reason reads in a sentence, on a plot's end marker and in the status bar: in English
# here (the command line); the window says _(REASON_TEXT[reason]).
# i18n: how a run ended (a run's state word)
REASON_TEXT = {COMPLETED: N_("finished"), EARLY_STOPPED: N_("stopped early"), USER_STOPPED: N_("stopped"),
               DIVERGED: N_("diverged"), FAILED: N_("failed")}
# Ended runs whose weights can be evaluated.
USABLE = (COMPLETED, EARLY_STOPPED, USER_STOPPED)
# Runs that ran their course (all epochs, or early stopping's): what a cleaned twin and a
# comparison of finished runs take.
FINISHED = (COMPLETED, EARLY_STOPPED)


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    config: dict
    layer_names: list[str]
    parameter_count: int
    steps_per_epoch: int
    device: str
    dataset: str
    class_names: list[str]
    train_size: int
    val_size: int
    epochs: int
    # For 2-D toy data: the training and validation points, [[x, y, label], ...].
    train_points: list | None = None
    val_points: list | None = None
    warnings: list[str] = field(default_factory=list)  # about the data, e.g. images left out
    model_source: dict = field(default_factory=dict)  # model.file: its path, SHA-256 and repr
    data_source: dict = field(default_factory=dict)  # data.file as it ran: its path and SHA-256


@dataclass(frozen=True)
class StepMetrics:
    """Running training loss since the previous StepMetrics; coalesced to at most 5 per second."""
    step: int
    epoch: int
    train_loss: float
    samples_per_sec: float
    lr: float
    epoch_fraction: float


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int
    step: int
    train_loss: float  # data loss only, averaged over the epoch's batches (dropout on)
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    accuracy_gap: float  # train - validation accuracy
    loss_gap: float  # validation - train loss
    weight_norms: dict[str, float]  # per layer, L2 norm of the weight tensor
    grad_norms: dict[str, float]  # per layer, mean L2 norm of the weight gradient (sampled steps)
    lr: float
    penalty: float  # mean L1 + L2 penalty added to the loss (0 when decay is decoupled)
    epoch_time: float
    samples_per_sec: float
    train_accuracy_clean: float | None = None  # with label noise: on examples whose label is true
    train_accuracy_corrupted: float | None = None  # ... and on those whose label was replaced
    is_best: bool = False
    # Expected calibration error on the validation split: how far the network's confidence
    # is from its accuracy. An overfitting network grows over-confident as validation loss
    # rises (Guo et al. 2017, "On Calibration of Modern Neural Networks").
    val_ece: float | None = None


@dataclass(frozen=True)
class TrainingExamples:
    """Who the training examples are, sent once after RunStarted (numpy arrays, one entry per
    training example, in the order of the run's training split).

    `positions`: each example's position in the training split the settings build before
    data.remove takes examples out (0 … train_size − 1): the index that `suspects` prints
    and data.remove takes. `given`: the label trained on; `true`: the label before it was
    corrupted on purpose (equal to `given` where it was not); `files`: image files of an
    image folder, else empty."""
    positions: Any
    given: Any
    true: Any
    corrupted: Any
    class_names: list[str]
    files: list[str] = field(default_factory=list)
    # uint8 [N, H, W, C] for the window's gallery, where the training examples are images of
    # at most IMAGES_HELD bytes in all (not written to the run folder).
    images: Any = None
    sources: Any = None  # each example's index in the pool its split was drawn from
    fingerprint: str = ""  # sha256 of the training split before data.remove (split_fingerprint)


IMAGES_HELD = 64 << 20


@dataclass(frozen=True)
class ExampleDynamics:
    """Each training example in the epoch just trained (numpy arrays, the order of
    TrainingExamples), taken from its training forward pass of that epoch: the probability
    of its given label, its margin (the given label's logit minus the largest other logit)
    and the class predicted."""
    epoch: int
    probability: Any  # float16
    margin: Any  # float16
    predicted: Any  # int16


@dataclass(frozen=True)
class DecisionBoundary:
    """Predicted class over a grid covering the 2-D toy data, row-major, y rows by x columns."""
    epoch: int
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    resolution: int
    classes: list[list[int]]
    confidence: list[list[float]]


@dataclass(frozen=True)
class SettingsApplied:
    step: int
    epoch: int
    changes: dict[str, list]  # key -> [old, new]
    note: str = ""  # why an edit was changed on its way in (a weight decay clamped), for the status line


@dataclass(frozen=True)
class Paused:
    step: int
    epoch: int  # the epoch in progress, or the next one when between_epochs
    time: float  # time.perf_counter() when the loop went idle
    between_epochs: bool = False  # before the next epoch's first batch (a lesson's step pauses so)


@dataclass(frozen=True)
class Resumed:
    step: int
    epoch: int


@dataclass(frozen=True)
class EarlyStopped:
    epoch: int
    best_epoch: int
    best_value: float
    monitor: str


@dataclass(frozen=True)
class RunFinished:
    reason: str  # one of REASONS
    message: str
    epochs_completed: int
    step: int
    best_epoch: int | None
    best_value: float | None
    traceback: str | None = None
    final_metrics: dict = field(default_factory=dict)
    # The run never started because its settings or data were refused (a ConfigError or
    # DataError: the message names the key or path). Headless, that exits 2, not 1.
    bad_input: bool = False


@dataclass(frozen=True)
class Evaluated:
    """A model evaluated on one split: "val" (as often as wanted) or "test" (the locked
    test split, once per run)."""
    split: str
    weights: str  # "best" or "last"
    accuracy: float
    loss: float
    class_names: list[str]
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    confusion_matrix: list[list[int]]  # rows: true class, columns: predicted
    macro_f1: float
    ece: float | None = None  # expected calibration error (15 bins), None in older records
    # Why `ece` and `reliability` are left out ("" when they are given): an MSE run's outputs
    # are not probabilities, so their calibration would read backwards.
    calibration_note: str = ""
    # Reliability diagram: per confidence bin with examples, [mean confidence, accuracy, count].
    reliability: list[list[float]] = field(default_factory=list)
    # Per class, precision and recall at PR_THRESHOLDS thresholds of its probability:
    # [[precisions...], [recalls...]] (a precision–recall curve).
    pr_curves: list[list[list[float]]] = field(default_factory=list)
    # The misclassified examples, most confident first (at most GALLERY_LIMIT):
    # [index in the split, true class, predicted class, confidence].
    errors: list[list] = field(default_factory=list)
    image_data: bool = True  # False for 2-D toy points (no thumbnails: the boundary shows them)
    error_points: list[list[float]] = field(default_factory=list)  # toy data: where `errors` lie

    @property
    def examples(self) -> int:
        return sum(self.support)

    def most_confused(self, n: int = 5) -> list[tuple[str, str, int]]:
        """The largest off-diagonal cells: (true class, predicted class, count)."""
        cells = [(self.class_names[i], self.class_names[j], c)
                 for i, row in enumerate(self.confusion_matrix) for j, c in enumerate(row) if i != j and c]
        return sorted(cells, key=lambda cell: -cell[2])[:n]


@dataclass(frozen=True)
class Thumbnails:
    """Pixels of some examples of a split, for a gallery: uint8, each `shape` (H, W, C)."""
    split: str
    indices: list[int]
    shape: tuple[int, int, int]
    pixels: list[bytes]


@dataclass(frozen=True)
class EvaluationFailed:
    message: str


# ---- experiments: several runs from one plan ------------------------------------------

@dataclass(frozen=True)
class ExperimentStarted:
    name: str
    experiment_dir: str | None  # None for a plan of one run, which has no experiment folder
    planned_trials: int | None  # None when the plan is a generator
    kind: str = "experiment"  # "cv", "curve", "tour" or "experiment": how the window shows it
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. {"folds": 5}, {"over": key}
    resumed: bool = False  # an interrupted experiment going on: some trials were kept


@dataclass(frozen=True)
class TrialStarted:
    index: int  # 0-based position in the plan
    changes: dict[str, Any]  # what this trial changes in the base settings
    run_dir: str | None  # the trial's run folder (created when its run starts)
    # Settings edited live during earlier runs of the plan, carried into this one (the plan's
    # own changes win where both name a key): {"section.key": value}
    live_edits: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialFinished:
    index: int
    changes: dict[str, Any]
    run_dir: str | None  # None when the run never started (bad data, say)
    result: RunFinished
    kept: bool = False  # finished before an interruption: resumed, not run again


@dataclass(frozen=True)
class ExperimentFinished:
    reason: str  # COMPLETED, USER_STOPPED or FAILED
    message: str
    trials_completed: int
    experiment_dir: str | None


def to_record(event) -> dict[str, Any]:
    """A JSON-ready dict: the event's fields plus its type name."""
    return {"event": type(event).__name__, **dataclasses.asdict(event)}
