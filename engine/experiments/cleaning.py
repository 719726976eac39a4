"""A run cleaned of its suspects: its twin (same settings and seed) without the top K
examples of its ranking, or with their labels replaced by the class predicted. No torch."""

from __future__ import annotations

import re
from typing import Any

from engine.core.config import ConfigError
from engine.core.files import command_hint, shell_quote
from engine.runs import scores
from engine.runs.suspects import Suspects, read_suspects

CLEAN = "clean"  # a plan's entry {"clean": {"trial": 0, "top": K or None, "relabel": false}}
FINISHED = ("completed", "early_stopped")


def default_count(s: Suspects) -> int:
    """How many to take out: as many as were corrupted on purpose, where the run did that;
    otherwise those whose AUM (up to the lowest validation loss) is negative."""
    d = s.dynamics
    if d.corrupted_on_purpose:
        return int(d.corrupted.sum())
    return max(1, scores.suggested_count(d.margin, s.val_losses))


def check_top(s: Suspects, top: int) -> None:
    n = s.dynamics.size
    if not isinstance(top, int) or isinstance(top, bool) or top < 1 or top >= n:
        raise ConfigError("--top", top, f"from 1 to {n - 1:,}: the run's training split holds {n:,} examples "
                                        "(a cleaned twin keeps at least one)")


def cleaned_changes(reference: dict, s: Suspects, top: int | None = None, relabel: bool = False
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(changes to the reference run's settings, notes for the twin's summary)."""
    top = default_count(s) if top is None else top
    check_top(s, top)
    rows = s.rows(top)
    data, name = reference.get("data", {}), reference.get("run", {}).get("name") or "run"
    if relabel:
        taken = {r["index"] for r in rows}
        kept = [p for p in data.get("relabel", []) if p[0] not in taken]
        changes = {"data.relabel": sorted(kept + [[r["index"], r["predicted"]] for r in rows])}
        what = f"{len(changes['data.relabel']):,} suspects relabelled"
    else:
        changes = {"data.remove": sorted(set(data.get("remove", [])) | {r["index"] for r in rows})}
        what = f"{len(changes['data.remove']):,} suspects removed"
    name = re.sub(r" \([\d,]+ suspects (removed|relabelled)\)$", "", name)  # a clean of a clean: one count
    changes["run.name"] = f"{name} ({what})"
    notes = {"twin_of": str(s.path), "cleaned": {"top": top, "relabel": relabel, "score": s.ranking.score_name,
                                                  "epochs_scored": s.ranking.upto}}
    return changes, notes


def why_not_cleanable(s: Suspects) -> str | None:
    """Why a twin cannot be trained from this run yet (None: it can). It can from a run that
    completed or stopped early, or that was stopped after its validation loss turned upwards
    (its ranking has seen where memorizing began)."""
    done = len(s.dynamics.epochs)
    turned = s.turn is not None and s.turn < done
    if s.status in FINISHED or (s.status == "user_stopped" and turned):
        return None
    return (f"this run is {s.status} after {done} of {s.planned_epochs or '?'} epochs, before its validation "
            "loss turned upwards: its ranking has not yet seen where memorizing begins. Its suspects so far can be "
            f"listed ({command_hint()} suspects {shell_quote(s.path)}); a cleaned twin is trained from a run that completed, "
            "stopped early, or was stopped after its lowest validation loss")


def refuse_unfinished(s: Suspects) -> None:
    why = why_not_cleanable(s)
    if why is not None:
        raise ConfigError("RUN_DIR", str(s.path), why)


def resolve_clean(entry: dict, trials: list) -> tuple[dict, dict]:
    """A plan's {"clean": {...}} entry made into settings: the named trial's own settings
    (its plan changes and the live edits it started with) with its suspects taken out, from
    its folder. `trials`: the experiment's trials so far (engine.experiments.experiment.Trial)."""

    spec = entry[CLEAN]
    index = spec.get("trial", 0)
    trial = trials[index] if isinstance(index, int) and 0 <= index < len(trials) else None
    if trial is None or trial.run_dir is None:
        raise ConfigError("clean.trial", index, "an earlier trial of this experiment that wrote its run folder")
    s = read_suspects(trial.run_dir, spec.get("score", scores.DEFAULT_SCORE))
    refuse_unfinished(s)
    changes, notes = cleaned_changes(trial.config.to_dict(), s, spec.get("top"), bool(spec.get("relabel")))
    own = {**trial.live_edits, **trial.changes}  # what made trial `index` differ from the base
    extra = {k: v for k, v in entry.items() if k != CLEAN}
    return {**own, **changes, **extra}, notes
