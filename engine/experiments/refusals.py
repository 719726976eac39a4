"""Settings a plan cannot train, refused before they run: a list plan's entries all at once,
before its first run; a generator's (a search's) one by one, as refused trials told to it."""

from __future__ import annotations

from typing import Any

from engine.core import events as ev
from engine.core.config import Config, ConfigError


def check_list_plan(base: Config, plan: list[dict[str, Any]], skip=(), edits: dict | None = None) -> None:
    """ConfigError for the first entry of `plan` whose settings (the base, the live `edits`, the
    entry) could not train — a curve's value crossing optim.lr × weight_decay ≥ 1, say — named with
    the entry. Entries in `skip` (kept when resuming) and ones whose keys are not settings (a
    cleaned twin, resolved when reached; a replay) are checked by what they are made of."""
    for index, changes in enumerate(plan):
        if index in skip:
            continue
        own = {k: v for k, v in changes.items() if "." in k}
        try:
            base.with_updates({**(edits or {}), **own}).check_trainable()
        except ConfigError as exc:
            what = ", ".join(f"{k} = {v!r}" for k, v in own.items()) or "the base settings"
            raise ConfigError(exc.key, exc.value, f"{exc.allowed} (run {index + 1} of the plan: {what})") from None


def refused(exc: ConfigError) -> ev.RunFinished:
    """A trial refused before it started: its settings, named (headless, that exits 2)."""
    return ev.RunFinished(reason=ev.FAILED, message=str(exc), epochs_completed=0, step=0,
                          best_epoch=None, best_value=None, bad_input=True)


def refusal_of(check) -> str:
    """What `check()` refused, as a message ("" when it passed)."""
    try:
        check()
    except ConfigError as exc:
        return str(exc)
    return ""
