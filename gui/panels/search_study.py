"""What the Search tab shows of a study besides its plots: one read of the study (made on a
pool thread, plain data only) and the words of its title and table."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.core.i18n import C_, N_, _, integer, n_, number

# A trial's state as the table writes it (Optuna's state names), translated where shown.
STATE_WORDS = {"COMPLETE": N_("complete"), "PRUNED": N_("pruned"), "FAIL": N_("fail"), "RUNNING": N_("running"),
               "WAITING": N_("waiting")}
DIRECTIONS = {"maximize": N_("maximize"), "minimize": N_("minimize")}


def state_word(state: str) -> str:
    word = STATE_WORDS.get(state)
    return _(word) if word else state.lower()


def state_count(state: str, count: int) -> str:
    """'3 complete', '1 pruned': the title's tally of one state."""
    # i18n: how many trials of a search are in each state: "3 complete, 1 pruned"
    forms = {"COMPLETE": n_("{count} complete", "{count} complete", count),
             "PRUNED": n_("{count} pruned", "{count} pruned", count),
             "FAIL": n_("{count} fail", "{count} fail", count),
             "RUNNING": n_("{count} running", "{count} running", count),
             "WAITING": n_("{count} waiting", "{count} waiting", count)}
    return forms.get(state, "{count} " + state.lower()).format(count=integer(count))


def study_title(name: str, objective: str, direction: str, counts: list[str], best: tuple | None) -> str:
    """The line above the plots: the study, its objective, its trials by state and its best."""
    if best:
        # i18n: {trial} is the best trial's number, {value} its objective value
        text = _("best: trial {trial}, {value}").format(trial=best[0], value=number(best[1], 4))
    else:
        text = _("no trial complete yet")
    # i18n: {objective} is the metric the search optimizes (as the search dialog names it), {direction} maximize or minimize
    return _("Study {name} ({objective}, {direction}): {counts}; {best}").format(
        name=name, objective=C_("setting choice", objective), direction=_(DIRECTIONS.get(direction, direction)),
        counts=", ".join(counts) or _("no trials"), best=text)


@dataclass
class Snapshot:
    """What one read of the study found (made on the pool thread: plain data only)."""

    trials: list = field(default_factory=list)
    direction: str = "maximize"
    objective: str = "value"
    best: tuple | None = None  # (number, value)
    importances: dict | None = None  # None: not computed this time (keep the last)
    done: int = 0


def read_study(opener, cache: dict, name: str, importance_for: int | None) -> Snapshot:
    """On the pool thread: the study's trials, and its importances when more trials are done."""
    import optuna

    if "storage" not in cache:
        cache["storage"] = opener()  # a database's connect timeout is spent here, not on the GUI thread
    study = optuna.load_study(study_name=name, storage=cache["storage"])
    trials = study.get_trials()
    snap = Snapshot(trials, study.direction.name.lower(), (study.user_attrs.get("search") or {}).get(
        "objective", "value"))
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    if complete:
        best = (max if snap.direction == "maximize" else min)(complete, key=lambda t: t.value)
        snap.best = (best.number, best.value)
    snap.done = sum(t.value is not None for t in trials)
    if snap.done >= 3 and snap.done != importance_for:
        try:
            snap.importances = dict(optuna.importance.get_param_importances(study))
        except Exception:  # too few distinct values, say: the last ones stay
            snap.importances = None
    return snap
