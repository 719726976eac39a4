"""The run's lines in metrics.jsonl and its summary, and the control file's commands (stop,
pause, resume): the Run's writing part (a mixin: Run holds the state its __init__ sets)."""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

from overfit_lab import _files as files


class RunLines:
    def _write(self, record: dict, flush: bool = False) -> None:
        """A line of metrics.jsonl. A write that fails (a full disk) ends the record, with a
        warning, not the user's training."""
        if self._cut_off:
            return
        try:
            self._metrics.write(json.dumps(record, default=files.jsonable) + "\n")
            if flush:
                self._metrics.flush()
                self._whole_bytes = self._metrics.tell()
        except OSError as exc:
            self._lost(self.path / "metrics.jsonl", exc)

    def _save_summary(self, required: bool = True) -> None:
        """required=False: a failure is left for the next write to mend (the summary is
        written whole again at the end)."""
        if self._cut_off:
            return
        try:
            files.atomic_write_json(self.path / "summary.json", self.summary)
        except OSError as exc:
            if required:
                self._lost(self.path / "summary.json", exc)

    def _lost(self, path: Path, exc: OSError) -> None:
        """Stop writing: metrics.jsonl is cut back to its last whole line (which frees the
        space a half-written one took), so the summary, written at the end, can say so."""
        self._cut_off = True
        try:
            self._metrics.close()
        except OSError:
            pass  # (the buffer that did not fit)
        try:
            os.truncate(self.path / "metrics.jsonl", self._whole_bytes)
        except OSError:
            pass
        warning = (f"the run's record stops at epoch {len(self.epochs)}: writing {path} failed "
                   f"({exc.strerror or exc}); training went on without it")
        self.summary["warnings"] = [*self.summary.get("warnings", []), warning]
        warnings.warn(warning, RuntimeWarning, stacklevel=4)

    def _look_at_control(self, pause_now: bool = True) -> None:
        """A stop is remembered; a pause blocks here, or (read by should_stop) in the next
        batch() / epoch() call."""
        command = self._control.poll()
        if command is not None and command["command"] == "stop":
            self._stop_by = command.get("by") or "a stop request"
        elif command is not None:
            self._pause_asked = command["command"] == "pause"
        if self._pause_asked and pause_now and not self._stop_by:
            self._pause_asked = False
            self._pause()

    def _pause(self) -> None:
        """Block until "resume" or "stop" (the heartbeat beats on its own thread)."""
        epoch = len(self.epochs) + 1
        self._write({"type": "event", "event": "Paused", "step": self.step, "epoch": epoch,
                     "time": time.perf_counter()}, flush=True)
        paused_at = time.perf_counter()
        while True:
            time.sleep(0.2)
            command = self._control.poll()
            if command is None:
                continue
            if command["command"] == "stop":
                self._stop_by = command.get("by") or "a stop request"
                break
            if command["command"] == "resume":
                break
        self._epoch_t0 += time.perf_counter() - paused_at  # a pause is not training time
        self._write({"type": "event", "event": "Resumed", "step": self.step, "epoch": epoch}, flush=True)
    def _end_by_signal(self, status: str, message: str) -> None:
        """finish() for a signal handler, which may run while the main thread is inside a write
        of metrics.jsonl (a BufferedWriter refuses a reentrant call): the RunFinished line goes
        through a file descriptor of its own, after a newline where the file ends mid-line (the
        reader skips that line as cut off), then the summary; the process ends right after, so
        what the buffer held is not written."""
        if self.finished:
            return
        from overfit_lab import _ending as ending

        self.finished = True
        self.heartbeat.stop()
        best = ending.best(self.epochs)
        line = json.dumps({"type": "event", "event": "RunFinished", "reason": status, "message": message,
                           "epochs_completed": len(self.epochs), "step": self.step, "best_epoch": best[0],
                           "best_value": best[1], "traceback": None,
                           "final_metrics": ending.final_metrics(self.epochs), "bad_input": False},
                          default=files.jsonable) + "\n"
        path = self.path / "metrics.jsonl"
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | getattr(os, "O_BINARY", 0))
            try:
                if os.fstat(fd).st_size:
                    os.lseek(fd, -1, os.SEEK_END)
                    if os.read(fd, 1) != b"\n":
                        line = "\n" + line
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError:
            pass  # (the summary below still tells how the run ended)
        self.summary.update(status=status, message=message, epochs_completed=len(self.epochs), steps=self.step,
                            best_epoch=best[0], best_value=best[1], monitor="val_loss",
                            final_metrics=ending.final_metrics(self.epochs),
                            finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), duration_s=round(time.time() - self._t0, 3))
        try:
            files.atomic_write_json(self.path / "summary.json", self.summary)
        except OSError:
            pass
