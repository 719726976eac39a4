"""RunControl: how another thread (the window, a signal handler) steers a live run."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Any

from engine.core.config import ConfigError, check_value, field_info, live_keys
from engine.core.i18n import _


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
        # end_run()'s target: the number of the run to end (the plan goes on). Only the run in
        # progress can be ended: a request between two runs (a late or double F6) is dropped, never
        # read as a stop of the plan. A lone trainer's run is run 1, in progress from the start.
        self._end_target: int | None = None
        self._run, self._running = 1, True
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

    def end_run(self, run: int | None = None) -> bool:
        """End the run in progress as a stop does (at the next batch boundary, also while paused;
        its best weights kept, its folder whole), but not the experiment: it goes on with its
        plan's next run (a single run has none, and simply ends). run: the number of the run
        meant (1 = the plan's first), where the caller knows it; a run that has already ended
        is left alone. Whether the request was taken (False between two runs, or for a run over)."""
        with self._cond:
            target = self._run if run is None else run
            if target < self._run or (target == self._run and not self._running):
                return False  # that run is over: ending it must not end the next one, nor the plan
            self._end_target = target
            self._cond.notify_all()
            return True

    def run_starting(self, number: int) -> None:
        """The experiment, as its plan's run `number` (1 = first) starts to train: end_run() now
        means that run (or a later one it was asked for)."""
        with self._cond:
            self._run, self._running = number, True
            if self._end_target is not None and self._end_target < number:
                self._end_target = None

    def run_ended(self) -> bool:
        """The experiment, as each run of its plan ends: an end_run() request for it is spent (the
        next run is not ended by it), and until the next run starts there is none to end.
        Whether one was made."""
        with self._cond:
            asked = self._ending
            if self._end_target is not None and self._end_target <= self._run:
                self._end_target = None
            self._running = False
        return asked

    def submit_settings(self, updates: dict[str, Any]) -> None:
        """Queue live changes, e.g. {"regularization.dropout": 0.3}. Raises ConfigError at once
        for an unknown key, a key that cannot change mid-run, or an invalid value."""
        allowed = set(live_keys())
        checked = {}
        for key, value in updates.items():
            f = field_info(key)  # raises for unknown keys
            if key not in allowed:
                raise ConfigError(key, value, _("a setting that can change while a run is live "
                                                "({keys}); restart the run to change it").format(keys=", ".join(sorted(allowed))))
            checked[key] = check_value(key, f, value)
        with self._cond:
            self._pending.update(checked)

    # ---- queries (trainer thread) ------------------------------------------------------
    @property
    def _ending(self) -> bool:
        return self._running and self._end_target == self._run

    @property
    def stop_requested(self) -> bool:
        """Whether the run in progress should stop (a stop, or end_run())."""
        return self._stop or self._ending

    @property
    def plan_stop_requested(self) -> bool:
        """Whether the experiment should stop (a stop only: end_run() ends a run, never the plan)."""
        return self._stop

    @property
    def stopped_by(self) -> str:
        """Said in the stopped run's message: who asked (another process), or that the run was
        ended to go on with its plan."""
        if self._ending and not self._stop:
            # i18n: who asked a run to stop, in "stopped by request at step {step} (asked by {by})": the user
            # ended this run of an experiment to go on with its next one (Experiments ▸ Next run of the plan)
            return _("the user, ended to go on with the plan")
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
            while self._paused and not (self._stop or self._ending):
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
