"""A run cleaned of its suspects: its twin (same settings, seed and live edits) without the
top K examples of its ranking, or with their labels replaced by the class that beat them
while the network learned the patterns. No torch.

How many: K from the user, or estimated from the run's own dynamics (scores.estimated_count:
never from the labels corrupted on purpose, which a real user would not know; where they
are known the estimate is reported against them). The run's live edits (SettingsApplied in
its metrics.jsonl) are made again in the twin at the same point of the same epoch (REPLAY)."""

from __future__ import annotations

import math
import re
from typing import Any

from engine.core import events as ev
from engine.core.config import ConfigError
from engine.core.files import command_hint, shell_quote
from engine.core.i18n import _, integer, number
from engine.runs import scores
from engine.runs.dynamics import split_record
from engine.runs.reader import SUMMARY_KEYS, not_trained_here
from engine.runs.suspects import Suspects, read_suspects

CLEAN = "clean"  # a plan's entry {"clean": {"trial": 0, "top": K or None, "relabel": false}}
TOP = "--top"  # the option that says how many to take out, as refusals name it
REPLAY = "replay"  # a plan's entry {"replay": {"steps_per_epoch": B, "edits": [...]}}: see replay_entry


def default_count(s: Suspects) -> int:
    """How many to take out when the user does not say: estimated from the run's own
    dynamics (scores.estimated_count), never from the labels corrupted on purpose."""
    d = s.dynamics
    return max(1, min(scores.estimated_count(d.predicted, d.given, s.val_losses), d.size - 1))


def estimate_doubt(size: int, estimate: int) -> str:
    """Why an estimated count is not to be trusted ("" when it can be): more than half the
    training split never predicted as its given label means the network had not learned the
    patterns in the scoring epochs, not that most labels are wrong."""
    if estimate * 2 <= size:
        return ""
    return _("the estimate, {estimate} of the {size} training examples, is more than half of them: the network "
             "never predicted most of its given labels over the scoring epochs, so it had not learned the patterns "
             "yet (a small optim.lr, a warm-up, strong regularization?) and its ranking says little about which "
             "labels are wrong").format(estimate=integer(estimate), size=integer(size))


def count_text(s: Suspects, top: int, estimated: bool) -> str:
    """How many are taken and where that number comes from: "estimated 312 (truth: 300
    corrupted on purpose)" where the run corrupted labels itself."""
    d = s.dynamics
    text = (_("estimated {count} from the run's dynamics") if estimated else _("{count} (--top)")).format(
        count=integer(top))
    if d.corrupted_on_purpose:
        hit = int(d.corrupted[s.ranking.order[:top]].sum())
        # i18n: {text} is "estimated 312 from the run's dynamics" or "312 (--top)"
        text = _("{text} (truth: {truth} corrupted on purpose; {hit} of the {count} were)").format(
            text=text, truth=integer(int(d.corrupted.sum())), hit=integer(hit), count=integer(top))
    return text


def check_top(s: Suspects, top: int) -> None:
    n = s.dynamics.size
    if not isinstance(top, int) or isinstance(top, bool) or top < 1 or top >= n:
        raise ConfigError(TOP, top, _("from 1 to {most}: the run's training split holds {size} examples (a "
                                          "cleaned twin keeps at least one)").format(most=integer(n - 1),
                                                                                     size=integer(n)))


def cleaned_changes(reference: dict, s: Suspects, top: int | None = None, relabel: bool = False,
                    key: str = TOP, bound: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """(changes to the reference run's settings, notes for the twin's summary). Relabelled:
    only the suspects some other class beat during the scoring epochs get a new label (it);
    the others keep theirs, and only real changes are counted. An estimated count over half
    the split (estimate_doubt) is refused, naming `key` (where to say how many instead); with
    `bound` (a plan's entry, where nobody can be asked) it is cut to half the split and the
    twin's notes say why ("warning")."""
    estimated = top is None
    top = default_count(s) if top is None else top
    doubt = estimate_doubt(s.dynamics.size, top) if estimated else ""
    if doubt and not bound:
        # i18n: {doubt} is why the estimate is not trusted; {key} where to say how many (--top, clean.top)
        raise ConfigError(key, _("estimated {count}").format(count=integer(top)),
                          _("{doubt}. Say how many to take out ({key}), or train the run until it learns").format(
                              doubt=doubt, key=key))
    if doubt:
        top = max(1, s.dynamics.size // 2)
        doubt = _("{doubt}; {count} were taken out (half the split), and the comparison says little ({key} sets "
                  "how many)").format(doubt=doubt, count=integer(top), key=key)
    check_top(s, top)
    rows = s.rows(top)
    data, name = reference.get("data", {}), reference.get("run", {}).get("name") or "run"
    if relabel:
        moved = [r for r in rows if r["other"] is not None]
        if not moved:
            raise ConfigError(TOP, top, _("more suspects: the given label of each of the {count} most suspect "
                                              "led at every scoring epoch, so there is no other class to give "
                                              "them").format(count=integer(top)))
        taken = {r["index"] for r in moved}
        kept = [p for p in data.get("relabel", []) if p[0] not in taken]
        changes = {"data.relabel": sorted(kept + [[r["index"], r["other"]] for r in moved])}
        what, changed = f"{len(changes['data.relabel']):,} suspects relabelled", len(moved)
    else:
        before = set(data.get("remove", []))
        changes = {"data.remove": sorted(before | {r["index"] for r in rows})}
        what, changed = f"{len(changes['data.remove']):,} suspects removed", len(changes["data.remove"]) - len(before)
    named = [*changes.get("data.remove", data.get("remove", [])),
             *(p for p, _label in changes.get("data.relabel", data.get("relabel", [])))]
    changes["data.split_of"] = split_record(reference, s.dynamics, named)  # the split these positions index
    name = re.sub(r" \([\d,]+ suspects (removed|relabelled)\)$", "", name)  # a clean of a clean: one count
    changes["run.name"] = f"{name} ({what})"  # (a name kept in the settings file, in English: the re above reads it)
    notes = {"twin_of": str(s.path), "cleaned": {"top": top, "relabel": relabel, "score": s.ranking.score_name,
                                                  "epochs_scored": s.ranking.upto, "changed": changed,
                                                  "estimated": estimated}}
    if estimated and s.dynamics.corrupted_on_purpose:
        notes["cleaned"]["corrupted_on_purpose"] = int(s.dynamics.corrupted.sum())
    if doubt:
        notes["cleaned"]["warning"] = doubt
    return changes, notes


def not_cleanable_yet(status: str, recorded: int, turn: int | None, planned: int | None = None) -> str | None:
    """Why a twin cannot be trained from a run yet (None: it can), from how it ended, the
    epochs of dynamics it recorded and its epoch of lowest validation loss: it can from a run
    that completed or stopped early, or that was stopped after its validation loss turned
    upwards (its ranking has seen where memorizing began). The window and `main.py clean`
    both ask this."""
    if recorded == 0:
        return _("the run recorded no epoch of per-example dynamics")
    turned = turn is not None and turn < recorded
    if status in ev.FINISHED or (status == ev.USER_STOPPED and turned):
        return None
    # i18n: {status} is the run's status as its summary writes it (running, user_stopped, failed…)
    return _("this run is {status} after {count} of {planned} epochs, before its validation loss turned upwards: "
             "its ranking has not yet seen where memorizing begins").format(
        status=status, count=integer(recorded), planned=integer(planned) if planned else "?")


def why_not_cleanable(s: Suspects) -> str | None:
    """not_cleanable_yet for a run folder's suspects, with what can be done instead."""
    foreign = not_trained_here(s.path, _("training its cleaned twin"))
    if foreign:
        return foreign
    why = not_cleanable_yet(s.status, len(s.dynamics.epochs), s.turn, s.planned_epochs)
    if why is None:
        return None
    # i18n: {why} is why not yet; {command} a command line to type
    return _("{why}. Its suspects so far can be listed ({command}); a cleaned twin is trained from a run that "
             "completed, stopped early, or was stopped after its lowest validation loss").format(
        why=why, command=f"{command_hint()} suspects {shell_quote(s.path)}")


def refuse_unfinished(s: Suspects) -> None:
    why = why_not_cleanable(s)
    if why is not None:
        raise ConfigError("RUN_DIR", str(s.path), why)


def resolve_clean(entry: dict, trials: list) -> tuple[dict, dict]:
    """A plan's {"clean": {...}} entry made into settings: the named trial's own settings
    (its plan changes and the live edits it started with) with its suspects taken out, from
    its folder, and its live edits made again as it trains (a REPLAY entry, as `main.py
    clean` makes them): the twin starts each edited key at the value the trial started with,
    not at the value it was edited to. `trials`: the experiment's trials so far
    (engine.experiments.experiment.Trial)."""

    spec = entry[CLEAN]
    index = spec.get("trial", 0)
    trial = trials[index] if isinstance(index, int) and 0 <= index < len(trials) else None
    if trial is None or trial.run_dir is None:
        raise ConfigError("clean.trial", index, _("an earlier trial of this experiment that wrote its run folder"))
    s = read_suspects(trial.run_dir, spec.get("score", scores.DEFAULT_SCORE))
    refuse_unfinished(s)
    changes, notes = cleaned_changes(trial.config.to_dict(), s, spec.get("top"), bool(spec.get("relabel")),
                                     key="clean.top", bound=True)
    own = {**trial.live_edits, **trial.changes}  # what made trial `index` differ from the base
    started = {}  # each key the trial edited as it trained, at the value it started with
    for edit in s.edits:
        for key, (old, _new) in edit["changes"].items():
            started.setdefault(key, old)
    replay = twin_plan(s, notes)[0]
    extra = {k: v for k, v in entry.items() if k != CLEAN}
    return {**own, **started, **changes, **extra, **replay}, notes


# ---- the run's live edits, made again in its twin ----------------------------------------
def twin_plan(s: Suspects, notes: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan of the run's cleaned twin: one trial that makes the run's live edits again
    (each SettingsApplied of its metrics.jsonl, with the step and epoch it was made at, and
    the run's batches per epoch, so a twin with fewer examples — fewer batches — makes it at
    the same point of the same epoch: twin_step). `notes` (the twin's summary) lists them."""
    if not s.edits:
        return [{}]
    notes.setdefault("cleaned", {})["replayed_edits"] = s.edits
    return [{REPLAY: {"steps_per_epoch": s.steps_per_epoch, "edits": s.edits}}]


def twin_step(step: int, epoch: int, steps_per_epoch: int, twin_steps_per_epoch: int) -> int:
    """The twin's step for an edit made after `step` batches, in `epoch`: as far into the
    same epoch (the same step where the epochs have as many batches)."""
    within = step - (epoch - 1) * steps_per_epoch
    if steps_per_epoch == twin_steps_per_epoch or within <= 0:
        return (epoch - 1) * twin_steps_per_epoch + max(within, 0)
    return (epoch - 1) * twin_steps_per_epoch + min(round(within * twin_steps_per_epoch / steps_per_epoch),
                                                    twin_steps_per_epoch - 1)


def edits_text(edits: list[dict]) -> list[str]:
    """One line per live edit: "epoch 3 (step 40): regularization.weight_decay 0.0 -> 0.01"."""
    # i18n: {changes} lists settings as "key old -> new", as written
    return [_("epoch {epoch} (step {step}): {changes}").format(
        epoch=integer(e["epoch"]), step=integer(e["step"]),
        changes=", ".join(f"{k} {old} -> {new}" for k, (old, new) in e["changes"].items())) for e in edits]


# ---- the twin against the run -----------------------------------------------------------
def compare_text(original, twin) -> list[str]:
    """The run's and its twin's best validation accuracy and loss (and the run's test
    evaluation, only where one was recorded: the test split is not opened for this), and
    whether the validation split can tell them apart. `original`, `twin`: RunRecords
    (engine.runs.reader)."""
    def best(run):
        acc = [e["val_accuracy"] for e in run.epochs if _finite(e.get("val_accuracy"))]
        loss = [e["val_loss"] for e in run.epochs if _finite(e.get("val_loss"))]
        return (max(acc) if acc else None), (min(loss) if loss else None)

    (a0, l0), (a1, l1) = best(original), best(twin)
    if a0 is None or a1 is None:
        return [_("no validation accuracy to compare (a run with no finished epoch)")]
    # i18n: {run} and {twin} are percentages; {change} a signed number of accuracy points (+1.2)
    lines = [_("best validation accuracy: run {run}%, twin {twin}% ({change} points); lowest validation loss: run "
               "{run_loss}, twin {twin_loss}").format(
        run=number(a0 * 100, 1), twin=number(a1 * 100, 1),
        change=("+" if (a1 - a0) * 100 >= 0 else "") + number((a1 - a0) * 100, 1),
        run_loss=number(l0, 4), twin_loss=number(l1, 4))]
    n = next((e.get("val_size") for e in original.events if e.get("event") == "RunStarted"), None)
    if n:
        p = (a0 + a1) / 2
        se = math.sqrt(max(p * (1 - p), 1e-12) / n)  # one accuracy's binomial standard error on n examples
        if abs(a1 - a0) < 2 * se:
            lines.append(_("the validation split cannot tell them apart: {count} examples give each accuracy a "
                           "standard error of {error} points, and the difference, {difference} points, is under 2 "
                           "of them ({twice}); a larger data.val_size would tell").format(
                count=integer(n), error=number(se * 100, 1), difference=number(abs(a1 - a0) * 100, 1),
                twice=number(2 * se * 100, 1)))
        else:
            lines.append(_("on {count} validation examples (standard error {error} points) the difference is "
                           "{errors} standard errors").format(count=integer(n), error=number(se * 100, 1),
                                                              errors=number(abs(a1 - a0) / se, 1)))
    test = original.summary.get(SUMMARY_KEYS["test"])
    if isinstance(test, dict) and test.get("accuracy") is not None:
        lines.append(_("the run's recorded test evaluation: accuracy {accuracy}% (the twin's test split is not "
                       "opened here: {command} opens it, once)").format(
            accuracy=number(test["accuracy"] * 100, 1), command=f"{command_hint()} evaluate {shell_quote(twin.path)}"))
    return lines


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)
