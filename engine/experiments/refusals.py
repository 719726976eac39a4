"""Settings a plan cannot train, refused before they run: a list plan's entries all at once,
before its first run; a generator's (a search's) one by one, as refused trials told to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.core import events as ev
from engine.core.config import Config, ConfigError
from engine.core.i18n import _, integer, n_


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
            what = ", ".join(f"{k} = {v!r}" for k, v in own.items()) or _("the base settings")
            # i18n: {allowed} is what the setting allows; {changes} the run's settings, "key = value"
            raise ConfigError(exc.key, exc.value, _("{allowed} (run {number} of the plan: {changes})").format(
                allowed=exc.allowed, number=integer(index + 1), changes=what)) from None


EXPERIMENT = "experiment"  # what a resume's refusal names: the experiment folder given


def resumable_record(path: Path, name: str) -> dict:
    """An interrupted experiment's record (its folder's `name` file), or a ConfigError naming the
    folder: a record that cannot be read, or a plan proposed as it went (a search's)."""
    try:
        record = json.loads((path / name).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(EXPERIMENT, str(path), _("an experiment folder with a readable {file} ({error})").format(
            file=name, error=exc)) from exc
    if record.get("plan") is None:
        raise ConfigError(EXPERIMENT, str(path), _("an experiment with a fixed plan (this one's trials were "
                                                   "proposed as it went, and cannot be resumed here)"))
    return record


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


def completed_text(done: int, total: int, search: bool) -> str:
    """How an experiment ended when nothing went wrong: "3 of 3 runs completed" (a search's: trials)."""
    if search:
        # i18n: the form follows {total}, the trials planned: the noun goes with {total} ("1 of 3 trials
        # completed"), not with {done}
        text = n_("{done} of {total} trial completed", "{done} of {total} trials completed", total)
    else:
        # i18n: the form follows {total}, the runs planned: the noun goes with {total} ("1 of 3 runs
        # completed"), not with {done}
        text = n_("{done} of {total} run completed", "{done} of {total} runs completed", total)
    return text.format(done=integer(done), total=integer(total))
