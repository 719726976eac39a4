"""A TensorBoard folder followed: imported again and again while the window has it open.

Its run folders read "running", written by this process (its pid and host: a reader tells
when it is gone), so the window follows them live like any run another process writes; the
toolbar's Stop and Pause reach the import through each run folder's control file
(engine.runs.remote) as they reach a script: Stop ends the following (the run folders end
"stopped by the user", what was imported kept; an import that had ended "completed" and got
nothing new stays completed), Pause stops reading the event files until Resume. finish() ends
it otherwise (another folder opened, the window closed). A command an earlier following left in
a run folder (its Stop) is not obeyed: a folder opened again is followed again."""

from __future__ import annotations

import json
import time
from pathlib import Path

from engine.core import events as ev
from engine.core.files import atomic_write_json
from engine.core.i18n import _
from engine.runs.checked import UnreadableRun, read_summary
from engine.runs.reader import RUNNING, writer_identity
from engine.runs.remote import read_command
from engine.runs.tensorboard_import import RunImport, TensorBoardImport


class FollowedImport(TensorBoardImport):
    def __init__(self, logdir, out_dir, chosen: dict[str, str] | None = None):
        super().__init__(logdir, out_dir, chosen, hold_last=True)
        self.status, self.identity = RUNNING, writer_identity()
        self.paused = False
        self.ended: str | None = None  # why the following ended
        self._handled: dict[Path, float | None] = {}  # run folder -> the time of the last command acted on
        self._before: dict[Path, dict] = {}  # run folder -> its summary before this following wrote it

    def update(self) -> list[RunImport]:
        """Import what was written since, unless a command says otherwise."""
        if self.ended is not None:
            return []
        self._commands()
        if self.ended is not None or self.paused:
            return []
        return super().update()

    def _import(self, name: str, files) -> RunImport:
        target = self.target(name)
        if target not in self._handled:
            # A command left there by an earlier following (its Stop) is not one to this one: the
            # folder opened again is followed again.
            old = read_command(target)
            self._handled[target] = old.get("at") if old else None
            try:
                self._before[target] = read_summary(target) if (target / "summary.json").is_file() else {}
            except UnreadableRun:
                self._before[target] = {}
        return super()._import(name, files)

    def _commands(self) -> None:
        for target in self.written.values():
            record = read_command(target)
            if record is None or record.get("at") == self._handled.get(target):
                continue
            self._handled[target] = record.get("at")
            command, by = record["command"], record.get("by") or _("someone")
            if command == "stop":
                # i18n: {by} is who asked: host:process id, or "someone"
                self.finish(ev.USER_STOPPED, _("stopped following the TensorBoard folder {folder} (asked by {by}); "
                                               "importing it again adds the epochs written since").format(
                    folder=self.logdir, by=by))
                return
            if command in ("pause", "resume") and self.paused != (command == "pause"):
                self.paused = command == "pause"
                self._line(ev.to_record(ev.Paused(0, 0, time.perf_counter()) if self.paused else ev.Resumed(0, 0)))

    def _line(self, record: dict) -> None:
        """An event line in each run folder (Paused / Resumed: the window shows them acknowledged),
        at the epoch and TensorBoard step the import has reached."""
        for target in self.written.values():
            epoch, step = _last_epoch(target)
            with open(target / "metrics.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"type": "event", **record, "epoch": epoch, "step": step}) + "\n")

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
            before = self._before.get(target) or {}
            if before.get("status") == ev.COMPLETED and before.get("epochs_completed") == summary.get(
                    "epochs_completed") and status != ev.COMPLETED:
                # An import that had ended "completed" and to which the following added nothing:
                # it is as it was (a Stop ends the following, it does not make the run stopped).
                # i18n: {message} is the run's message before (how it was imported)
                summary.update(status=ev.COMPLETED, message=_("{message}; followed in the window meanwhile, nothing "
                                                              "written since").format(message=before.get("message", "")))
            else:
                summary.update(status=status, message=message or _("{message}; no longer followed").format(
                    message=summary.get("message", "")))
            summary.update(finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
            atomic_write_json(target / "summary.json", summary)


def _last_epoch(target: Path) -> tuple[int, int]:
    """The number and TensorBoard step of the last epoch line of a run folder."""
    epoch, last = 0, None
    try:
        with open(target / "metrics.jsonl", "rb") as fh:
            for line in fh:
                if b'"type": "epoch"' in line:
                    epoch, last = epoch + 1, line
    except OSError:
        return 0, 0
    try:
        return epoch, int(json.loads(last)["step"]) if last else 0
    except (ValueError, KeyError, TypeError):
        return epoch, 0
