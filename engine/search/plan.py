"""Optuna's ask / tell as a generator plan for the experiment seam: every trial a normal run
folder, pruning fed with the validation metric every epoch, and the study told how every
trial ended — completed, pruned, refused, failed, stopped, or ended by an exception — so
no trial is left RUNNING by a worker that goes on living. The test split is never read."""

from __future__ import annotations

import math
import os
import time

from engine.core import events as ev
from engine.core.i18n import N_, _, integer, number
from engine.search.space import SearchSettings, as_updates, kwargs_name, suggest
from engine.search.storage import _IN_PROGRESS, _Heartbeat, fail_dead_local_trials, worker_host
from engine.training.callbacks import Callback

PRUNE_REASONS = {  # what each pruner compares a trial with, for its run's message
    "median": N_("worse than the median of earlier trials at that epoch"),
    "halving": N_("not in the top quarter of the trials that reached that epoch's rung (successive halving)"),
}


REFUSALS_TO_GIVE_UP = 5  # this many refused trials and none accepted: the base settings, not the draws


class SearchRefused(ValueError):
    """Every trial of this worker was refused: the search stops (the study was told each)."""


class Pruning(Callback):
    """Reports the validation metric to the Optuna trial after every epoch; a hopeless trial
    stops (its run reads "early stopped: pruned at epoch N: ...", with the pruner's reason)."""

    def __init__(self, objective: str, pruner: str = "median"):
        self.objective = objective
        self.reason = _(PRUNE_REASONS[pruner]) if pruner in PRUNE_REASONS else _(
            "stopped by the {pruner} pruner").format(pruner=pruner)
        self.trial = None
        self.pruned = False

    def on_epoch_end(self, trainer, metrics: ev.EpochMetrics) -> None:
        if self.trial is None:
            return
        value = getattr(metrics, self.objective)
        self.trial.report(value, metrics.epoch)
        if self.trial.should_prune():
            self.pruned = True
            trainer.should_stop = True
            # i18n: {objective} is val_loss or val_accuracy; {reason} says what the trial was compared with
            trainer.stop_message = _("pruned at epoch {epoch}: {objective} {value} is {reason}").format(
                epoch=integer(metrics.epoch), objective=self.objective, value=number(value, 4), reason=self.reason)


def trial_value(result: ev.RunFinished, objective: str, history_best: float | None) -> float | None:
    """The trial's value: the objective of the weights its run ends with (the last epoch's,
    or early stopping's restored best) — the weights its folder keeps and a test evaluation
    of the best trial loads — not the best any epoch passed through on the way."""
    f = result.final_metrics or {}
    key = "val_accuracy" if objective == "val_accuracy" else "val_loss"
    if f.get(key) is not None:
        return f[key]
    return f.get("max_val_accuracy") if objective == "val_accuracy" else history_best


class BestLoss(Callback):
    def __init__(self):
        self.best = None

    def on_event(self, event) -> None:
        if isinstance(event, ev.RunStarted):
            self.best = None
        elif isinstance(event, ev.EpochMetrics) and math.isfinite(event.val_loss):
            self.best = event.val_loss if self.best is None else min(self.best, event.val_loss)


class _Telling:
    """Tells the study how one trial ended, once."""

    def __init__(self, study, trial):
        self.study, self.trial, self.told = study, trial, False

    def __call__(self, state, value=None, message: str | None = None) -> None:
        import optuna

        if self.told:
            return
        if message:
            self.trial.set_user_attr("message", message[:500])
        if state == optuna.trial.TrialState.COMPLETE:
            self.study.tell(self.trial, value)
        else:
            self.study.tell(self.trial, state=state)
        self.told = True  # only once the storage took it: a failed tell is tried again on the way out

    def failed_quietly(self, message: str) -> None:
        """On the way out (a stop, an exception): a database blip here must not hide the
        exception; the next worker's reaping or the heartbeat then fails the trial."""
        import optuna

        try:
            self(optuna.trial.TrialState.FAIL, message=message)
        except Exception:
            pass


def search_plan(study, settings: SearchSettings, pruning: Pruning, best_loss: BestLoss, *, budget: int,
                deadline: float | None, on_told=None, control=None, base_kwargs: dict | None = None):
    """A generator plan for Experiment: asks the study for a trial, yields its settings,
    tells the study how the run ended — until the study holds `budget` finished or running
    trials (shared by every worker) or the deadline passes. A refused trial (settings the
    trainer will not run) is told FAIL with its message and the search goes on; closing the
    plan, or throwing an exception into it, tells the trial in progress FAIL too. Draws of
    model.kwargs.NAME go into the base's [model.kwargs] table (`base_kwargs`)."""
    import optuna

    TS = optuna.trial.TrialState
    counted = (TS.COMPLETE, TS.PRUNED, TS.RUNNING)  # a failed trial is no trial: retried or replaced
    heartbeat = hasattr(study._storage, "record_heartbeat") and study._storage.get_heartbeat_interval()
    refused = accepted = 0
    while True:
        fail_dead_local_trials(study)
        if heartbeat:
            optuna.storages.fail_stale_trials(study)  # a killed worker's trial: failed, and retried
        done = len(study.get_trials(states=(TS.COMPLETE, TS.PRUNED)))
        if done >= budget or (control is not None and control.stop_requested):
            return
        if getattr(study.sampler, "spent", False):  # a grid search tried every point
            return
        if deadline is not None and time.time() >= deadline:
            return
        if len(study.get_trials(states=counted)) >= budget:  # the rest are running somewhere:
            time.sleep(1.0)  # wait for them, or for the heartbeat to fail a dead worker's and retry it
            continue
        if len(study.get_trials(states=(TS.FAIL,))) > budget:
            return  # every trial fails: the settings, not bad luck
        trial = study.ask()
        tell = _Telling(study, trial)
        ahead = [t for t in study.get_trials(states=counted) if t.number < trial.number]
        if len(ahead) >= budget:  # another worker asked at the same moment and took the last one
            tell(TS.FAIL, message="not run: other workers had taken the study's last trials")  # i18n: not shown (the study's record)
            continue
        key = (study.study_name, trial.number)
        _IN_PROGRESS.add(key)
        beat = None
        try:
            beat = _Heartbeat(study._storage, trial._trial_id, heartbeat) if heartbeat else None
            trial.set_user_attr("pid", os.getpid())
            trial.set_user_attr("host", worker_host())
            pruning.trial, pruning.pruned = trial, False
            changes = suggest(trial, settings.space)
            finished = yield {**as_updates(changes, base_kwargs), "run.name": f"trial-{trial.number}"}
            if finished is None or finished.result is None:
                raise RuntimeError("the experiment sent no result for the trial")  # i18n: not shown (a bug's)
            result = finished.result
            state, value = _tell_result(tell, trial, finished, settings, pruning, best_loss)
        except GeneratorExit:  # the experiment ended (a stop, a failure) without a result for it
            tell.failed_quietly("stopped: the search ended before this trial finished")  # i18n: not shown (the study's record)
            raise
        except BaseException as exc:  # thrown in by the experiment, or raised here
            tell.failed_quietly(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            _IN_PROGRESS.discard(key)
            pruning.trial = None
            if beat is not None:
                beat.stop()
        if on_told is not None:  # before giving up: the last refused trial has its line too
            on_told(trial.number, state, value, changes, result)
        if state == "refused":
            refused += 1
            unknown = _refused_keyword(result.message, settings)
            if unknown:  # the file's signature does not take it: every trial would be refused alike
                raise SearchRefused(_("{key}: {message}").format(key=f"search.{unknown}", message=result.message))
            if not accepted and refused >= min(budget, REFUSALS_TO_GIVE_UP):
                # i18n: {message} is the last refusal, a whole sentence
                raise SearchRefused(_("every trial was refused ({count}); the last: {message}").format(
                    count=integer(refused), message=result.message))
        else:
            accepted += 1
        if result.reason == ev.USER_STOPPED:
            return


def _refused_keyword(message: str | None, settings: SearchSettings) -> str | None:
    """The searched model.kwargs.NAME a trial was refused for naming, if any."""
    for key in settings.space:
        if kwargs_name(key) is not None and f"{key} " in (message or ""):
            return key
    return None


def _tell_result(tell: _Telling, trial, finished, settings: SearchSettings, pruning: Pruning,
                 best_loss: BestLoss) -> tuple[str, float | None]:
    """Tell the study how a trial's run ended: (its state as said to the user, its value)."""
    import optuna

    TS = optuna.trial.TrialState
    result = finished.result
    trial.set_user_attr("run_dir", finished.run_dir)
    trial.set_user_attr("epochs", result.epochs_completed)
    value = trial_value(result, settings.objective, best_loss.best)
    if result.bad_input:  # refused before training: its settings, named
        tell(TS.FAIL, message=f"refused: {result.message}")  # i18n: not shown (the study's record)
        return "refused", None
    if pruning.pruned:
        tell(TS.PRUNED)
        return "pruned", value
    if result.reason in (ev.COMPLETED, ev.EARLY_STOPPED) and value is not None:
        tell(TS.COMPLETE, value)
        return "complete", value
    tell(TS.FAIL, message=result.message)
    return ("stopped" if result.reason == ev.USER_STOPPED else "failed"), value
