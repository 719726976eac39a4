"""A run folder's lines back as the engine's events: what the Training tab's plots and the
status line are fed when the window follows a run another process writes (a script using the
logger, a headless `main.py train`). Plain Python, no Qt: the folder's writer may be older or
newer than this version, or not the engine at all, so a missing field gets a neutral value
(a float: NaN, drawn as a gap) instead of refusing the line."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from engine.core import events as ev
from engine.core.config import Config
from engine.core.i18n import N_, _, integer, n_

# Lines of metrics.jsonl by their "type" (epoch and step rows) or their "event" name.
BY_TYPE = {"epoch": ev.EpochMetrics, "step": ev.StepMetrics}
BY_NAME = {cls.__name__: cls for cls in (ev.RunStarted, ev.EpochMetrics, ev.Paused, ev.Resumed,
                                         ev.SettingsApplied, ev.EarlyStopped, ev.RunFinished)}
# How the summary of a writer that does not use the engine's words may say it was stopped.
STOPPED_WORDS = ("stopped", "stopped_by_user", "user_stopped", "stop")

SOURCE_REASONS = {
    "script": N_("trained by a script: its settings are the script's"),
    "tensorboard": N_("imported from TensorBoard: its settings are the script's that wrote it"),
}
OTHER_PROCESS = N_("trained by another process: its settings are that process's")
WRITER_GONE = N_("stopped — writer gone")
GONE_TEXT = N_("its writer stopped without finishing the run (killed, or its machine went away): "
               "what it wrote is kept")  # the RunFinished message, translated when made
# Said when the window's Pause, Resume or Stop could not be written to the folder's control file.
SEND_FAILED = {"pause": N_("pause did not reach {run}: {why}"), "resume": N_("resume did not reach {run}: {why}"),
               "stop": N_("stop did not reach {run}: {why}")}


def locked_reason(summary: dict) -> str:
    """Why a followed run's live remedy controls are off, by who writes its folder (as shown)."""
    return _(SOURCE_REASONS.get(summary.get("source") or "", OTHER_PROCESS))


def _blank(f: dataclasses.Field):
    kind = str(f.type)
    if kind.startswith("float"):
        return math.nan
    if kind.startswith("int"):
        return 0
    if kind.startswith("dict"):
        return {}
    if kind.startswith("list"):
        return []
    if kind.startswith("str"):
        return ""
    return None


def build(cls, row: dict):
    """An event of `cls` from a row; missing fields blank, a float field's null a NaN."""
    values = {}
    for f in dataclasses.fields(cls):
        value = row.get(f.name, dataclasses.MISSING)
        if value is dataclasses.MISSING:
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
                continue
            value = _blank(f)
        elif value is None and str(f.type) == "float":
            value = math.nan
        values[f.name] = value
    try:
        return cls(**values)
    except (TypeError, ValueError):
        return None


def event_of(row: dict):
    """The event a metrics line records, or None for one the window does not follow."""
    cls = BY_NAME.get(row.get("event") or "") or BY_TYPE.get(row.get("type") or "")
    if cls is None:
        return None
    event = build(cls, row)
    if isinstance(event, ev.RunFinished) and event.reason not in ev.REASONS:
        event = dataclasses.replace(event, reason=reason_of(event.reason))
    return event


def reason_of(status: str) -> str:
    """A summary's status in the engine's words (a RunFinished reason)."""
    if status in ev.REASONS:
        return status
    return ev.USER_STOPPED if status in STOPPED_WORDS else ev.FAILED


def whole_config(config: dict) -> dict:
    """The folder's config over the defaults, every section there: the plots read a few keys
    (the loss, the label noise) that a script's config may not have."""
    merged = Config().to_dict()
    for section, values in (config or {}).items():
        if isinstance(values, dict) and isinstance(merged.get(section), dict):
            merged[section] = {**merged[section], **values}
        else:
            merged[section] = values
    return merged


def planned_epochs(config: dict, summary: dict) -> int:
    """How many epochs the run's own config (or summary) says it trains; 0 where it does not
    say (a script's run): not the app's default, which no script ever said."""
    optim = (config or {}).get("optim")
    for value in (summary.get("epochs"), optim.get("epochs") if isinstance(optim, dict) else None):
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 1:
            return int(value)
    return 0


def started_of(path: Path, events: list[dict], config: dict, summary: dict) -> ev.RunStarted:
    """The run's RunStarted: its own line where the writer wrote one, else made from its config
    and summary (the layers the summary names, the epochs its own config plans)."""
    whole = whole_config(config)
    row = next((e for e in events if e.get("event") == "RunStarted"), None)
    if row is not None:
        started = build(ev.RunStarted, row)
        if started is not None:
            return dataclasses.replace(started, config=whole)
    data = whole.get("data") or {}
    return ev.RunStarted(
        run_id=str(summary.get("run_id") or path.name), config=whole,
        layer_names=list(summary.get("layer_names") or []),
        parameter_count=int(summary.get("parameter_count") or 0),
        steps_per_epoch=int(summary.get("steps_per_epoch") or 1), device=str(summary.get("device") or "?"),
        dataset=str(data.get("dataset") or ""), class_names=list(summary.get("class_names") or []),
        train_size=0, val_size=0, epochs=planned_epochs(config, summary))


def label_of(path: Path, config: dict, summary: dict) -> str:
    return summary.get("name") or (config.get("run") or {}).get("name") or path.name


def progress_text(epoch: int, started: ev.RunStarted) -> str:
    """The status line's progress of a followed run: its epoch (of how many, where it says),
    its device and size."""
    done = (_("epoch {epoch} of {total}") if started.epochs else _("epoch {epoch}")).format(
        epoch=integer(epoch), total=integer(started.epochs))
    parts = [done, started.device]
    if started.parameter_count:
        n = started.parameter_count
        parts.append(n_("{count} parameter", "{count} parameters", n).format(count=integer(n)))
    return "  ·  ".join(parts)
