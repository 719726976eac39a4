"""The run `ol.watch` attaches to, and the runs to end at exit."""

from __future__ import annotations

import atexit
import sys

_runs: list = []  # runs not finished, oldest first
_pending: list = []  # a watch() made before init(): given to the next run


def remember(run) -> None:
    _runs.append(run)
    if _pending:
        run.norms = _pending.pop()


def forget(run) -> None:
    if run in _runs:
        _runs.remove(run)


def current():
    return _runs[-1] if _runs else None


def watched(norms) -> None:
    run = current()
    if run is None:
        _pending[:] = [norms]
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
