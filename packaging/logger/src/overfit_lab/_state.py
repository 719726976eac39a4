"""The run `ol.watch` attaches to, and the runs to end at exit."""

from __future__ import annotations

import atexit
import os
import sys
import weakref

_runs: list = []  # runs not finished, oldest first
# a watch() made before init(), given to the next run: a weak reference (the optimizer's step
# hook keeps the watch alive while the optimizer lives; a watch no run takes keeps no model)
_pending: list = []


def remember(run) -> None:
    _runs.append(run)
    if _pending:
        run.norms = _pending.pop()()
    _end_on_sigterm()


def _end_on_sigterm() -> None:
    """A scheduler's SIGTERM (a time limit, a preemption) ends the runs as stopped, then the
    process as the signal would have: only where nobody else handles SIGTERM (Lightning, the
    script itself), and from the main thread (the only one that may set a handler)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_sigterm(signum, _frame):
        for run in list(_runs):
            try:  # (not finish(): the signal may have come in the middle of a write to the same file)
                run._end_by_signal("user_stopped", "stopped by SIGTERM (a scheduler's time limit or a kill, say)")
            except Exception:  # noqa: BLE001 - the process ends anyway: the next run may still be told
                pass
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, on_sigterm)


def forget(run) -> None:
    if run in _runs:
        _runs.remove(run)


def current():
    return _runs[-1] if _runs else None


def watched(norms) -> None:
    run = current()
    if run is None:
        _pending[:] = [weakref.ref(norms)]
        return
    if run.norms is not None and run.norms is not norms:
        run.norms.remove()
    run.norms = norms


@atexit.register
def _at_exit() -> None:
    """A script that ends without run.finish(): completed, or failed where an exception ended it."""
    error = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    for run in list(_runs):
        try:
            if isinstance(error, KeyboardInterrupt):
                run.finish("user_stopped", "stopped by Ctrl+C in the script")
            elif error is not None:
                import traceback

                run.finish("failed", f"{type(error).__name__}: {error}",
                           "".join(traceback.format_exception(type(error), error, error.__traceback__)))
            else:
                run.finish()
        except Exception:  # noqa: BLE001 - at exit, one run's trouble must not keep the others open
            pass
