"""RunControl: how another thread (the window, a signal handler) steers a live run."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Any

from engine.core.config import ConfigError, check_value, field_info, live_keys


class RunControl:
    """Thread-safe requests to a running trainer.

    The trainer polls it at batch boundaries: pause blocks the loop on a condition
    variable (no spinning), stop works while paused, and submitted settings are applied
    at the next batch boundary (the latest value of each key wins). `end_run()` stops the
    run in progress only: an experiment goes on with its plan's next run.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._paused = False
        self._stop = False
        self._end_run = False  # end the run in progress only: the plan goes on (reset by run_ended)
        self._stopped_by = ""  # who asked to stop, where another process did (control.json's "by")
        self._pending: dict[str, Any] = {}

    # ---- requests (any thread) -----------------------------------------------------
    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def request_stop(self, by: str = "") -> None:
        """Stop at the next batch boundary, also while paused; the best weights are kept.
        by: who asked, where it was not this process's user (the run's message names them)."""
        with self._cond:
            if by and not self._stop:
                self._stopped_by = by
            self._stop = True
            self._cond.notify_all()

    def end_run(self) -> None:
        """End the run in progress as a stop does (at the next batch boundary, also while paused;
        its best weights kept, its folder whole), but not the experiment: it goes on with its
        plan's next run (a single run has none, and simply ends)."""
        with self._cond:
            self._end_run = True
            self._cond.notify_all()

    def run_ended(self) -> bool:
        """The experiment, as each run of its plan ends: an end_run() request is spent (the
        next run is not ended by it). Whether one was made."""
        with self._cond:
            asked, self._end_run = self._end_run, False
        return asked

    def submit_settings(self, updates: dict[str, Any]) -> None:
        """Queue live changes, e.g. {"regularization.dropout": 0.3}. Raises ConfigError at once
        for an unknown key, a key that cannot change mid-run, or an invalid value."""
        allowed = set(live_keys())
        checked = {}
        for key, value in updates.items():
            f = field_info(key)  # raises for unknown keys
            if key not in allowed:
                raise ConfigError(key, value, "a setting that can change while a run is live "
                                  f"({', '.join(sorted(allowed))}); restart the run to change it")
            checked[key] = check_value(key, f, value)
        with self._cond:
            self._pending.update(checked)

    # ---- queries (trainer thread) ------------------------------------------------------
    @property
    def stop_requested(self) -> bool:
        """Whether the run in progress should stop (a stop, or end_run())."""
        return self._stop or self._end_run

    @property
    def stopped_by(self) -> str:
        """Said in the stopped run's message: who asked (another process), or that the run was
        ended to go on with its plan."""
        if self._end_run and not self._stop:
            return "the user, ended to go on with the plan"
        return self._stopped_by

    @property
    def paused(self) -> bool:
        return self._paused

    def take_settings(self) -> dict[str, Any]:
        if not self._pending:  # cheap check without the lock: the common case
            return {}
        with self._cond:
            pending, self._pending = self._pending, {}
        return pending

    def wait_while_paused(self) -> None:
        """Block until resumed or stopped."""
        with self._cond:
            while self._paused and not (self._stop or self._end_run):
                self._cond.wait()


@contextlib.contextmanager
def stop_on_sigint(control: RunControl):
    """Headless: the first Ctrl-C asks the run (or experiment) to stop after this batch,
    keeping what is finished; a second one aborts."""
    def on_sigint(signum, frame):
        if control.stop_requested:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        print("\nstopping after this batch (Ctrl-C again to abort)...", file=sys.stderr, flush=True)
        control.request_stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield control
    finally:
        signal.signal(signal.SIGINT, previous)
