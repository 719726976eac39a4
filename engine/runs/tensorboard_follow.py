"""A TensorBoard folder followed: imported again and again while the window has it open.

Its run folders read "running", written by this process (its pid and host: a reader tells
when it is gone), so the window follows them live like any run another process writes; the
toolbar's Stop and Pause reach the import through each run folder's control file
(engine.runs.remote) as they reach a script: Stop ends the following (the run folders end
"stopped by the user", what was imported kept), Pause stops reading the event files until
Resume. finish() ends it otherwise (another folder opened, the window closed)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from engine.core import events as ev
from engine.core.files import atomic_write_json
from engine.runs.checked import UnreadableRun, read_summary
from engine.runs.reader import RUNNING, writer_identity
from engine.runs.tensorboard_import import RunImport, TensorBoardImport


class FollowedImport(TensorBoardImport):
    def __init__(self, logdir, out_dir, chosen: dict[str, str] | None = None):
        super().__init__(logdir, out_dir, chosen, hold_last=True)
        self.status, self.identity = RUNNING, writer_identity()
        self.paused = False
        self.ended: str | None = None  # why the following ended
        self._handled: dict[Path, float] = {}  # run folder -> the time of the last command acted on

    def update(self) -> list[RunImport]:
        """Import what was written since, unless a command says otherwise."""
        if self.ended is not None:
            return []
        self._commands()
        if self.ended is not None or self.paused:
            return []
        return super().update()

    def _commands(self) -> None:
        from engine.runs.remote import read_command

        for target in self.written.values():
            record = read_command(target)
            if record is None or record.get("at") == self._handled.get(target):
                continue
            self._handled[target] = record.get("at")
            command, by = record["command"], record.get("by") or "someone"
            if command == "stop":
                self.finish(ev.USER_STOPPED, f"stopped following the TensorBoard folder {self.logdir} (asked by "
                                             f"{by}); importing it again adds the epochs written since")
                return
            if command in ("pause", "resume") and self.paused != (command == "pause"):
                self.paused = command == "pause"
                self._line(ev.to_record(ev.Paused(0, 0, time.perf_counter()) if self.paused else ev.Resumed(0, 0)))

    def _line(self, record: dict) -> None:
        """An event line in each run folder (Paused / Resumed: the window shows them acknowledged)."""
        for target in self.written.values():
            last = _last_epoch(target)
            with open(target / "metrics.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"type": "event", **record, "epoch": last, "step": 0}) + "\n")

    def finish(self, status: str = ev.COMPLETED, message: str = "") -> None:
        """The following ends: each run folder says how (what was imported is kept)."""
        if self.ended is not None:
            return
        self.ended = status
        for target in self.written.values():
            try:
                summary = read_summary(target)
            except UnreadableRun:
                continue
            summary.update(status=status, finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                           message=message or f"{summary.get('message', '')}; no longer followed")
            atomic_write_json(target / "summary.json", summary)


def _last_epoch(target: Path) -> int:
    try:
        with open(target / "metrics.jsonl", "rb") as fh:
            return sum(1 for line in fh if b'"type": "epoch"' in line)
    except OSError:
        return 0
