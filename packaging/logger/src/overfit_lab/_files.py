"""The run folder's files, written as the app's engine writes them (engine.runs.writer,
engine.runs.dynamics, engine.runs.remote): the logger cannot import the engine, so the few
lines it needs are here. Every file is written to a temporary name and renamed over the
real one, so a reader sees whole files only."""

from __future__ import annotations

import json
import math
import os
import platform
import re
import threading
import time
from pathlib import Path

import numpy as np

HEARTBEAT = "heartbeat.json"
CONTROL = "control.json"
DYNAMICS = "dynamics"
EXAMPLES_FILE = "examples.safetensors"
HEARTBEAT_EVERY_S = 2.0


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "run"


def jsonable(value):
    """What json cannot write by itself: numpy and torch scalars, paths, sets."""
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def plain(value):
    """`value` as JSON can hold it (a user's config: argparse namespaces' values, paths, tensors)."""
    return json.loads(json.dumps(value, default=jsonable))


def atomic_write_json(path: Path, data: dict) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, default=jsonable)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_arrays(arrays: dict[str, np.ndarray], path: Path, metadata: dict[str, str] | None = None) -> None:
    """A safetensors file written whole or not at all (OSError: a full disk, say)."""
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


def write_examples(folder: Path, sources: np.ndarray, given: np.ndarray, class_names: list[str]) -> None:
    """dynamics/examples.safetensors: who the training examples are (their index in the
    dataset, as both position and source; the label they were given; no label was corrupted
    on purpose)."""
    d = folder / DYNAMICS
    d.mkdir(exist_ok=True)
    n = len(given)
    save_arrays({"position": sources.astype(np.int32), "given": given.astype(np.int16),
                 "true": given.astype(np.int16), "corrupted": np.zeros(n, np.bool_),
                 "source": sources.astype(np.int64)},
                d / EXAMPLES_FILE, {"class_names": json.dumps(class_names), "files": "[]", "split_fingerprint": ""})


def write_epoch(folder: Path, epoch: int, probability: np.ndarray, margin: np.ndarray, predicted: np.ndarray) -> None:
    # float16 as the engine writes them; a margin beyond float16's range would read as damage
    margin = np.clip(margin, -65000.0, 65000.0)
    save_arrays({"probability": probability.astype(np.float16), "margin": margin.astype(np.float16),
                 "predicted": predicted.astype(np.int16)}, folder / DYNAMICS / f"epoch-{epoch:04d}.safetensors")


def sync_file(path: Path, flags: int = os.O_RDWR) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def writer_identity() -> dict:
    return {"pid": os.getpid(), "host": platform.node()}


def write_heartbeat(folder: Path, every_s: float = HEARTBEAT_EVERY_S) -> None:
    atomic_write_json(folder / HEARTBEAT, {**writer_identity(), "at": time.time(), "every_s": every_s})


class Heartbeat:
    """A daemon thread that rewrites heartbeat.json every `every_s` seconds while the run
    lives, so a reader on any machine tells a writer that was killed (SIGKILL, a power cut)."""

    def __init__(self, every_s: float = HEARTBEAT_EVERY_S):
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, folder: Path) -> None:
        write_heartbeat(folder, self.every_s)

        def beat():
            while not self._stop.wait(self.every_s):
                try:
                    write_heartbeat(folder, self.every_s)
                except OSError:
                    pass  # (a full disk: the next beat tries again)

        self._thread = threading.Thread(target=beat, name="overfit-lab-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class ControlWatch:
    """control.json, looked at no more than once a second: a stat (its mtime), and a read
    only when it changed."""

    def __init__(self, folder: Path, every_s: float = 1.0):
        self.path = folder / CONTROL
        self.every_s = every_s
        self._next = 0.0
        self._key = None

    def poll(self, force: bool = False) -> dict | None:
        """The command written since the last look, or None."""
        now = time.monotonic()
        if not force and now < self._next:
            return None
        self._next = now + self.every_s
        try:
            st = self.path.stat()
        except OSError:
            return None
        # (each command is a new file renamed over the last: its inode tells two commands
        # apart where the file system's clock is too coarse for their times to)
        key = (st.st_mtime_ns, st.st_ino, st.st_size)
        if key == self._key:
            return None
        self._key = key
        try:
            command = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # (written atomically: a damaged file is someone's hand edit)
        if not isinstance(command, dict) or command.get("command") not in ("stop", "pause", "resume"):
            return None
        return command


def finite(value) -> float:
    """A figure for the metrics line: NaN where it is not known."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return math.nan
    return value
