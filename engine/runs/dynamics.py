"""Per-example training dynamics in a run folder: written with each epoch, read while the
run grows or long after.

    dynamics/examples.safetensors      who the training examples are (written at the start):
                                       position, source (its index in the pool the split
                                       was drawn from), given, true (int), corrupted (bool);
                                       its metadata holds the class names, for an image
                                       folder each example's file (JSON), and the split's
                                       fingerprint (sha256, before data.remove)
    dynamics/epoch-0001.safetensors    one per epoch: probability, margin (float16) and
                                       predicted (int16), one entry per training example

Each file is written to a temporary name and renamed, so a reader sees whole files only (a
failed write leaves no temporary file); the run writer makes them durable once, at the run's
end (sync_dynamics: the examples file, the last epoch and the folder), not every epoch: an
fsync costs ~7 ms, 30 times the write, and a short-epoch run writes dozens of epochs a second.
Epochs are read in order up to the first missing one. safetensors holds plain arrays: no
pickle is read or written. 6 bytes per example an epoch: 60,000 examples × 40 epochs are
14.4 MB.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.core import events as ev
from engine.core.files import command_hint, shell_quote
from engine.core.i18n import _, integer
from engine.runs.checked import UnreadableRun

FOLDER = "dynamics"
EXAMPLES_FILE = "examples.safetensors"
EPOCH_ARRAYS = {"probability": np.float16, "margin": np.float16, "predicted": np.int16}
EXAMPLE_ARRAYS = {"position": np.int32, "given": np.int16, "true": np.int16, "corrupted": np.bool_}
SOURCE = "source"  # (int64; absent from the records of an earlier Overfit Lab)


def epoch_file(epoch: int) -> str:
    return f"epoch-{epoch:04d}.safetensors"


def _epoch_number(path: Path) -> int:
    try:
        return int(path.stem.removeprefix("epoch-"))
    except ValueError:
        return -1


class NoDynamics(LookupError):
    """A run folder without per-example dynamics: the message says why and how to get them."""


def _save(arrays: dict[str, np.ndarray], path: Path, metadata: dict[str, str] | None = None) -> None:
    """Write via a temporary file in the same folder and rename it over `path` (a reader sees
    the whole file or none; not yet durable: sync_dynamics does that at the run's end); on any
    error the temporary file is removed and the error raised (OSError: a full disk, say)."""
    from safetensors.numpy import save

    data = save({k: np.ascontiguousarray(v) for k, v in arrays.items()}, metadata=metadata)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sync(path: Path, flags: int = os.O_RDWR) -> None:
    """fsync `path` (a file opened for writing: Windows commits only those; a folder read-only)."""
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_dynamics(folder: str | Path, last_epoch: int) -> None:
    """Make a run's dynamics durable at its end: fsync the examples file, epoch `last_epoch`'s
    file (0: none written) and the folder, whose renames that makes durable (a folder cannot be
    opened on Windows). Earlier epochs were written whole; only a power cut could lose them.
    Raises OSError."""
    d = Path(folder) / FOLDER
    for path in (d / EXAMPLES_FILE, d / epoch_file(last_epoch) if last_epoch else None):
        if path is not None and path.is_file():
            _sync(path)
    if os.name != "nt" and d.is_dir():
        _sync(d, os.O_RDONLY)


def write_examples(folder: Path, event: ev.TrainingExamples) -> None:
    d = Path(folder) / FOLDER
    d.mkdir(exist_ok=True)
    arrays = {"position": event.positions, "given": event.given, "true": event.true,
              "corrupted": event.corrupted}
    arrays = {k: np.asarray(v).astype(EXAMPLE_ARRAYS[k]) for k, v in arrays.items()}
    if event.sources is not None:
        arrays[SOURCE] = np.asarray(event.sources).astype(np.int64)
    _save(arrays, d / EXAMPLES_FILE, {"class_names": json.dumps(event.class_names),
                                      "files": json.dumps(event.files), "split_fingerprint": event.fingerprint})


def write_epoch(folder: Path, event: ev.ExampleDynamics) -> None:
    d = Path(folder) / FOLDER
    d.mkdir(exist_ok=True)
    arrays = {"probability": event.probability, "margin": event.margin, "predicted": event.predicted}
    _save({k: np.asarray(v).astype(EPOCH_ARRAYS[k]) for k, v in arrays.items()}, d / epoch_file(event.epoch))


@dataclass
class Dynamics:
    """A run's per-example dynamics: arrays [epochs, examples] (float32 / int) and who the
    examples are. `epochs[i]` is the epoch of row i (1, 2, …)."""
    positions: np.ndarray
    given: np.ndarray
    true: np.ndarray
    corrupted: np.ndarray
    class_names: list[str]
    files: list[str]
    probability: np.ndarray
    margin: np.ndarray
    predicted: np.ndarray
    epochs: list[int] = field(default_factory=list)
    sources: np.ndarray | None = None  # each example's index in its split's pool (None: an older record)
    fingerprint: str = ""  # the training split's sha256 before data.remove ("": an older record)
    examples_key: tuple | None = None  # the examples file's (mtime_ns, inode, size) when read

    @property
    def size(self) -> int:
        return len(self.given)

    @property
    def corrupted_on_purpose(self) -> bool:
        return bool(self.corrupted.any())

    @property
    def correct(self) -> np.ndarray:
        return self.predicted == self.given[None, :]


def _load(path: Path, expected: dict, size: int | None, shorter: bool = False) -> tuple[dict[str, np.ndarray], dict]:
    """shorter: the arrays may hold fewer than `size` values (an epoch written before the
    examples added later to a script's run); their length is then arrays[...]'s own."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as fh:
            metadata = fh.metadata() or {}
            arrays = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 - not a dict
    except FileNotFoundError:
        raise
    except (SafetensorError, OSError, ValueError) as exc:
        # i18n: {error} is the safetensors library's own message
        raise UnreadableRun(path, _("not a readable safetensors file, cut off or damaged ({error})").format(
            error=exc)) from None
    missing = [k for k in expected if k not in arrays]
    if missing:
        # i18n: {arrays} names arrays of the file (probability, margin…), as written in it
        raise UnreadableRun(path, _("has no {arrays}").format(arrays=", ".join(missing)))
    n = size if size is not None else len(arrays[next(iter(expected))])
    first = arrays[next(iter(expected))].shape
    if shorter and len(first) == 1 and first[0] > n:
        raise _Wider(path, _("holds {count} values, more than the run has training examples ({size})").format(
            count=integer(first[0]), size=integer(n)))
    if shorter and len(first) == 1 and first[0] < n:
        n = first[0]
    for k in expected:
        if arrays[k].shape != (n,):
            # i18n: {shape} is the array's shape as Python writes it, e.g. (120,)
            raise UnreadableRun(path, _("'{array}' holds {shape} values, not one per training example ({size})").format(
                array=k, shape=arrays[k].shape, size=integer(n)))
    bad = _out_of_range(arrays)
    if bad:
        raise UnreadableRun(path, _("'{array}' holds values no run writes (damaged?)").format(array=bad))
    return arrays, metadata


def _out_of_range(arrays: dict[str, np.ndarray]) -> str | None:
    """The first array whose values cannot be what a run wrote: a probability outside
    [0, 1], an infinite margin (the writer keeps them within float16's range), a class or
    position below 0."""
    if "probability" in arrays:
        p = arrays["probability"].astype(np.float32)
        if np.any((p < 0) | (p > 1)):  # (NaN compares false: a diverged epoch's, not damage)
            return "probability"
        if np.any(np.isinf(arrays["margin"].astype(np.float32))):  # (NaN: a run that diverged in that epoch)
            return "margin"
    for k in ("predicted", "given", "true", "position", SOURCE):
        if k in arrays and len(arrays[k]) and arrays[k].min() < 0:
            return k
    return None


def _no_dynamics_reason(folder: Path) -> str:
    """Why a run has no per-example dynamics, and how to get them: it depends on who wrote it."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        source, adapter = summary.get("source"), summary.get("adapter")
    except (OSError, ValueError, AttributeError):
        source = adapter = None
    if adapter == "huggingface":
        return _("{folder}: the Hugging Face Trainer hands its callbacks no logits and no example indices, so "
                 "this run has no per-example figures; to see which examples were memorized, train in a loop "
                 "of your own with the logger (run.batch(loss=..., logits=..., targets=..., index=...))").format(
            folder=folder)
    if source == "tensorboard":
        return _("{folder}: this run was imported from TensorBoard, whose event files hold curves, not "
                 "each example's figures; log the training with the logger instead (run.batch(loss=..., "
                 "logits=..., targets=..., index=...)) to see which examples were memorized").format(folder=folder)
    if source == "script":
        return _("{folder}: the script that wrote this run gave no per-example figures; pass logits, targets "
                 "and index to run.batch() (index from a dataset wrapped in ol.Indexed) to record them").format(
            folder=folder)
    # i18n: {command} is a command line to run, as it is typed
    return _("{folder}: this run recorded no per-example dynamics (it was trained by an older "
             "Overfit Lab, or with run.record_examples = false); train it again to get them, e.g. "
             "{command}").format(folder=folder, command=f"{command_hint()} train --config "
                                 f"{shell_quote(folder / 'config.json')} --set run.record_examples=true")


def read_examples(folder: str | Path) -> tuple[dict[str, np.ndarray], list[str], list[str], str]:
    """(arrays, class names, files, split fingerprint) of dynamics/examples.safetensors;
    NoDynamics if absent. `arrays` holds "source" where the record has it."""
    folder = Path(folder)
    path = folder / FOLDER / EXAMPLES_FILE
    if not path.is_file():
        raise NoDynamics(_no_dynamics_reason(folder))
    arrays, metadata = _load(path, EXAMPLE_ARRAYS, None)
    if SOURCE in arrays and arrays[SOURCE].shape != arrays["given"].shape:
        raise UnreadableRun(path, _("'{array}' holds {shape} values, not one per training example").format(
            array=SOURCE, shape=arrays[SOURCE].shape))
    try:
        names, files = json.loads(metadata.get("class_names", "[]")), json.loads(metadata.get("files", "[]"))
    except json.JSONDecodeError:
        raise UnreadableRun(path, _("its metadata (class names, files) is not valid JSON")) from None
    return arrays, names, files, metadata.get("split_fingerprint", "")


def _examples_key(folder: Path) -> tuple | None:
    try:
        st = (folder / FOLDER / EXAMPLES_FILE).stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ino, st.st_size)


class _Wider(Exception):
    """An epoch file with more examples than the examples file read: it was rewritten since."""


def read_dynamics(folder: str | Path, since: Dynamics | None = None) -> Dynamics:
    """The dynamics recorded so far: every whole epoch file in order, up to the first one
    missing. `since`: an earlier read of the same run, whose epochs are not read again (a
    live run's reader polls this way) unless the examples file changed since (a script's
    run adds the examples a later epoch first trained on: a loader's drop_last, a sampler).
    An epoch file shorter than the examples file (written before examples were added at its
    end) reads NaN figures and class 0 for the examples it does not hold. Raises NoDynamics,
    or UnreadableRun naming a damaged file."""
    folder = Path(folder)
    if since is not None and since.examples_key != _examples_key(folder):
        since = None
    try:
        return _read_dynamics(folder, since)
    except _Wider as wider:
        # written between this read of the examples file and of that epoch: read all again
        # (the writer writes the examples file first); once more wider is damage
        try:
            return _read_dynamics(folder, None)
        except _Wider:
            raise UnreadableRun(wider.args[0], wider.args[1]) from None


def _read_dynamics(folder: Path, since: Dynamics | None) -> Dynamics:
    if since is not None:
        arrays = {"position": since.positions, "given": since.given, "true": since.true,
                  "corrupted": since.corrupted}
        names, files, fingerprint = since.class_names, since.files, since.fingerprint
        if since.sources is not None:
            arrays[SOURCE] = since.sources
        rows = {k: [getattr(since, k)] for k in EPOCH_ARRAYS}
        epochs = list(since.epochs)
        key = since.examples_key
    else:
        key = _examples_key(folder)
        arrays, names, files, fingerprint = read_examples(folder)
        rows = {k: [] for k in EPOCH_ARRAYS}
        epochs = []
    n = len(arrays["given"])
    epoch = (epochs[-1] if epochs else 0) + 1
    while True:
        path = folder / FOLDER / epoch_file(epoch)
        try:
            got, _metadata = _load(path, EPOCH_ARRAYS, n, shorter=True)
        except FileNotFoundError:
            later = [n for n in map(_epoch_number, (folder / FOLDER).glob("epoch-*.safetensors")) if n > epoch]
            if later:  # a gap: not a run still writing its next epoch
                raise UnreadableRun(path, _("missing, though later epochs are recorded (up to {file})").format(
                    file=epoch_file(max(later)))) from None
            break
        for k in EPOCH_ARRAYS:
            values = got[k].astype(np.float32 if k != "predicted" else np.int64)
            if len(values) < n:  # examples first trained after this epoch: no figures yet
                values = np.concatenate([values, np.full(n - len(values), np.nan if k != "predicted" else 0,
                                                         values.dtype)])
            rows[k].append(values[None, :])
        epochs.append(epoch)
        epoch += 1

    def stacked(k):
        parts = [r for r in rows[k] if r.size or r.shape[0]]
        if not parts:
            return np.zeros((0, n), np.float32 if k != "predicted" else np.int64)
        return np.concatenate(parts, axis=0)

    return Dynamics(positions=arrays["position"].astype(np.int64), given=arrays["given"].astype(np.int64),
                    true=arrays["true"].astype(np.int64), corrupted=arrays["corrupted"].astype(bool),
                    class_names=list(names), files=list(files), probability=stacked("probability"),
                    margin=stacked("margin"), predicted=stacked("predicted"), epochs=epochs,
                    sources=arrays[SOURCE].astype(np.int64) if SOURCE in arrays else None,
                    fingerprint=fingerprint, examples_key=key)


def split_record(reference: dict, d: Dynamics, positions: list[int]) -> dict:
    """data.split_of for a twin of the run whose record `d` is, `reference` its settings:
    the split's fingerprint, the settings that built it and the files (relative to the image
    folder) of `positions`. {} for a record of an earlier Overfit Lab, which has no fingerprint."""
    from engine.core.config import Config

    if not d.fingerprint:
        return {}
    cfg = Config.from_dict(reference)
    files = dict((cfg.data.split_of or {}).get("files", {}))  # a clean of a clean: the first's too
    if d.files:
        root = Path(cfg.data.path).expanduser()
        by_position = dict(zip(d.positions.tolist(), d.files, strict=True))
        files.update({str(p): Path(by_position[p]).relative_to(root).as_posix()
                      for p in positions if p in by_position})
    return {"fingerprint": d.fingerprint, "settings": cfg.split_settings(), "files": files}
