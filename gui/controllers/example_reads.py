"""What the Examples tab reads on its pool thread (gui.panels.off_thread): a run folder's
dynamics and their tally, the epochs written since, a Thumbnails event's images stacked, a
run's suspects for Train without the suspects… and its twin's settings. None touches a widget."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.core import events as ev
from engine.core.config import Config
from engine.runs.tally import ExampleTally

RUNNING = "running"  # engine.runs.reader's status of a run whose writer is alive


def read_suspects_to_clean(folder: Path, score: str):
    """(the run's suspects, the count the dialog proposes): on a pool thread; refused (raises)
    where the run cannot be cleaned yet."""
    from engine.experiments.cleaning import default_count, refuse_unfinished
    from engine.runs.suspects import read_suspects

    s = read_suspects(folder, score)
    refuse_unfinished(s)
    return s, default_count(s)


def twin_of(folder: Path, s, top: int, relabel: bool):
    """(config, plan, notes, whether it replays live edits) of the cleaned twin: on a pool thread."""
    from engine.experiments.cleaning import cleaned_changes, twin_plan

    reference = Config.load(folder / "config.json")
    changes, notes = cleaned_changes(reference.to_dict(), s, top, relabel)
    config = reference.with_updates(changes)
    return config, twin_plan(s, notes), notes, bool(s.edits)  # (its live edits, made again at the same points)


def read_folder(path: Path):
    """(run, its dynamics, their tally, one image's bytes: image_bytes): on a pool thread. A run
    still training is scored up to its last epoch whose validation loss is written (the ranking
    needs it)."""
    from engine.runs.dynamics import read_dynamics
    from engine.runs.reader import read_run

    run = read_run(path)
    dynamics = read_dynamics(path)
    losses = [e.get("val_loss") for e in run.epochs]
    upto = len(dynamics.epochs) if run.status != RUNNING else min(len(dynamics.epochs), len(losses))
    tally = ExampleTally(dynamics.positions, dynamics.given, dynamics.true, dynamics.corrupted,
                         dynamics.class_names, dynamics.files)
    for i in range(upto):
        tally.add(dynamics.epochs[i], dynamics.probability[i], dynamics.margin[i], dynamics.predicted[i],
                  losses[i] if i < len(losses) else None)
    return run, dynamics, tally, image_bytes(run.config.get("data") or {})


def read_more(path: Path, since):
    """(run, its dynamics): the epochs written since the last read, on a pool thread."""
    from engine.runs.dynamics import read_dynamics
    from engine.runs.reader import read_run

    run = read_run(path)  # first: an epoch's dynamics are written before its metrics line
    return run, read_dynamics(path, since=since)


def stacked(event: ev.Thumbnails, step: int = 1024) -> np.ndarray:
    """The images of a Thumbnails event as one uint8 array [N, H, W, C], on a pool thread: a slice
    at a time, so that the GIL goes back to the GUI thread between slices."""
    h, w, c = event.shape
    n = len(event.pixels)
    out = np.empty((n, h * w * c), np.uint8)
    for i in range(0, n, step):
        part = event.pixels[i:i + step]
        out[i:i + len(part)] = np.frombuffer(b"".join(part), np.uint8).reshape(len(part), -1)
    return out.reshape(n, h, w, c)


def image_bytes(data: dict) -> int | None:
    """An upper bound on one training image's bytes (uint8, as the engine sends it), from a run's
    data settings; None for an arrays file of N×D vectors (no pictures to ask for). An arrays
    file's x is as large as its header says (read without loading it; no code runs)."""
    dataset = data.get("dataset")
    if dataset == "image_folder":
        return int(data.get("image_size") or 28) ** 2 * 3
    if dataset == "arrays":
        from engine.data.arrays import _headers
        from engine.data.sources import DataError

        try:
            shape = _headers(Path(str(data.get("path") or "")).expanduser())["x"][0]
        except (DataError, KeyError, OSError):
            return 0  # (its file is gone or damaged: the engine's answer names it)
        if len(shape) == 2:
            return None
        channels = 1 if len(shape) == 3 or shape[1] not in (3, 4) else 3  # as engine.data.thumbnails.showable
        return channels * int(np.prod(shape[-2:]))
    return 32 * 32 * 3 if str(dataset).startswith("cifar") else 28 * 28
