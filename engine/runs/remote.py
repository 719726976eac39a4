"""Run liveness and control across processes and hosts, through two small files of a run folder.

    heartbeat.json  {"pid", "host", "at", "every_s"}: rewritten every `every_s` seconds by a
                    daemon thread of the writer while the run lives. A writer killed with
                    SIGKILL stops beating: a reader says it is gone once the beat is older than
                    max(30 s, 5 x every_s) (or at once on the same host, where its pid is dead).
    control.json    {"command": "stop" | "pause" | "resume", "at", "by"}: written by whoever
                    asks (the window, `main.py stop`); the writer stats it at most once a second.

Both are written atomically (a temp file, then os.replace), so a reader never sees half a file,
also on a folder shared between hosts. The logger (packaging/logger) copies these few lines: it
cannot import the engine."""

from __future__ import annotations

import json
import logging
import os
import platform
import tempfile
import threading
import time
from pathlib import Path

from engine.core.files import atomic_write_json
from engine.core.i18n import _

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat.json"
CONTROL_FILE = "control.json"
COMMANDS = ("stop", "pause", "resume")
EVERY_S = 2.0
GONE_AFTER_S = 30.0  # at least: a beat older than max(this, 5 x every_s) is a writer gone
ALIVE, GONE = "alive", "gone"


class ControlRefused(ValueError):
    """A command that cannot reach a run: not a run folder, a run that ended, a writer gone."""


def requester() -> str:
    """Who asks, as control.json's "by" says it: host:pid."""
    return f"{platform.node()}:{os.getpid()}"


def send_command(run_dir: str | Path, command: str, by: str = "") -> None:
    """Ask the writer of `run_dir` to stop, pause or resume. Raises ControlRefused naming the
    folder where it is no run folder, its run ended, or its writer is gone."""
    from engine.core.events import REASON_TEXT, REASONS
    from engine.runs.checked import read_summary
    from engine.runs.reader import RUNNING, writer_alive

    if command not in COMMANDS:
        raise ControlRefused(_("{command} is no run command: one of {commands}").format(
            command=repr(command), commands=", ".join(COMMANDS)))
    folder = Path(run_dir)
    if not folder.is_dir():
        raise ControlRefused(_("{folder}: no such folder").format(folder=folder))
    # i18n: {command} below is the command's name as typed: stop, pause or resume
    if not (folder / "summary.json").is_file():
        what = _("it has not started yet (no summary.json)") if (folder / "config.json").is_file() else \
            _("no config.json or summary.json")
        raise ControlRefused(_("{folder}: not a run folder that can be told to {command} ({why})").format(
            folder=folder, command=command, why=what))
    try:
        summary = read_summary(folder)
    except OSError as exc:
        raise ControlRefused(str(exc)) from None
    status = summary.get("status", RUNNING)
    if status in REASONS:
        # i18n: {ended} is how it ended (finished, stopped…), {message} the run's own last message
        raise ControlRefused(_("{folder}: the run already ended ({ended}: {message})").format(
            folder=folder, ended=_(REASON_TEXT[status]), message=summary.get("message") or status))
    if status != RUNNING:
        raise ControlRefused(_("{folder}: the run's status is {status}, not running").format(
            folder=folder, status=repr(status)))
    if not writer_alive(summary, folder):
        raise ControlRefused(_("{folder}: the run's writer is gone (no heartbeat, or its process ended without "
                               "finishing the run): there is nothing to {command}").format(folder=folder,
                                                                                        command=command))
    atomic_write_json(folder / CONTROL_FILE, {"command": command, "at": time.time(), "by": by or requester()})


def read_command(run_dir: str | Path) -> dict | None:
    """The last command written to `run_dir`, or None (none, or a file that is no command)."""
    try:
        record = json.loads((Path(run_dir) / CONTROL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("command") not in COMMANDS:
        return None
    return record


def write_heartbeat(run_dir: str | Path, every_s: float = EVERY_S) -> None:
    """One beat: a temp file then os.replace. No fsync (a beat lost to a power cut says no more
    than a missing one), and no folder made: a run folder deleted while its run lives stays
    deleted (FileNotFoundError)."""
    folder = Path(run_dir)
    text = json.dumps({"pid": os.getpid(), "host": platform.node(), "at": time.time(), "every_s": every_s})
    fd, tmp = tempfile.mkstemp(prefix=f".{HEARTBEAT_FILE}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, folder / HEARTBEAT_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _pid_dead(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError, ValueError, TypeError, OverflowError):
        return False  # (someone else's process: alive)
    return False


def heartbeat_state(run_dir: str | Path) -> str | None:
    """"alive" or "gone" by the folder's heartbeat.json; None where it has none. A beat of
    another host counts from the later of its own time and the file's mtime (their clocks may
    differ); a damaged file counts from its mtime."""
    path = Path(run_dir) / HEARTBEAT_FILE
    try:
        mtime = path.stat().st_mtime
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return ALIVE  # (unreadable for a moment: do not call a live writer dead)
    try:
        beat = json.loads(raw)
    except ValueError:
        beat = None
    beat = beat if isinstance(beat, dict) else {}
    if beat.get("host") == platform.node() and beat.get("pid") is not None and _pid_dead(beat["pid"]):
        return GONE
    every = beat.get("every_s")
    every = float(every) if isinstance(every, int | float) and every > 0 else EVERY_S
    at = beat.get("at")
    at = float(at) if isinstance(at, int | float) else 0.0
    return GONE if time.time() - max(at, mtime) > max(GONE_AFTER_S, 5 * every) else ALIVE


class Heartbeat:
    """The daemon thread that keeps a run folder's heartbeat.json fresh while its run lives."""

    def __init__(self, every_s: float = EVERY_S):
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._folder: Path | None = None

    def start(self, run_dir: str | Path) -> None:
        """Beat once now (so a reader finds the file at once), then every `every_s`."""
        folder = self._folder = Path(run_dir)
        self._beat(folder)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(folder,), name="heartbeat", daemon=True)
        self._thread.start()

    def _beat(self, folder: Path) -> bool:
        try:
            write_heartbeat(folder, self.every_s)
        except FileNotFoundError:
            return False  # the folder was removed: nothing left to beat for
        except OSError as exc:  # a full disk: the next beat may pass
            log.debug("%s: heartbeat not written (%s)", folder, exc)
        return True

    def _run(self, folder: Path) -> None:
        while not self._stop.wait(self.every_s):
            if not self._beat(folder):
                return

    def stop(self, remove: bool = False) -> None:
        """Stop beating; `remove`: take heartbeat.json away too (the run's summary, written
        before, says it ended: a finished folder holds what it held before heartbeats)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        if remove and self._folder is not None:
            try:
                (self._folder / HEARTBEAT_FILE).unlink(missing_ok=True)
            except OSError:
                pass  # (left as it is: the summary's status tells)


class ControlFollower:
    """Applies a run folder's control.json to a RunControl: a daemon thread stats the file
    at most once a second (the training loop itself never touches it) and reads it only when
    it changed. "stop" asks the run to stop (best weights kept) naming who asked."""

    def __init__(self, control, poll_s: float = 1.0):
        self.control, self.poll_s = control, poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, run_dir: str | Path, new_folder: bool = False) -> None:
        """new_folder: the folder was made for this run, so a command already there was sent to
        it (else one there before the start is an old one, not obeyed)."""
        folder = Path(run_dir)
        self._stop.clear()
        seen = None if new_folder else self._key(folder)
        self._thread = threading.Thread(target=self._run, args=(folder, seen), name="control-file", daemon=True)
        self._thread.start()

    @staticmethod
    def _key(folder: Path) -> tuple | None:
        try:
            stat = (folder / CONTROL_FILE).stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    def _run(self, folder: Path, seen: tuple | None) -> None:
        # A file there before the run started is an old command: only a change is obeyed (by
        # the file's identity, not its "at": another host's clock may differ).
        while not self._stop.wait(self.poll_s):
            key = self._key(folder)
            if key is None or key == seen:
                continue
            seen = key
            record = read_command(folder)
            if record is not None:
                self.apply(record)

    def apply(self, record: dict) -> None:
        command, by = record["command"], str(record.get("by") or "someone")
        log.info("control.json: %s asked by %s", command, by)
        if command == "stop":
            self.control.request_stop(by=by)
        elif command == "pause":
            self.control.pause()
        else:
            self.control.resume()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

