"""Optuna's ask / tell as a generator plan for the experiment seam: every trial a normal run
folder, pruning fed with the validation metric every epoch, and the study told how every
trial ended. The test split is never read."""

from __future__ import annotations

import math
import os
import time

from engine.core import events as ev
from engine.search.space import SearchSettings, suggest
from engine.search.storage import _Heartbeat, fail_dead_local_trials, worker_host
from engine.training.callbacks import Callback


class Pruning(Callback):
    """Reports the validation metric to the Optuna trial after every epoch; a hopeless trial
    stops (its run reads "early stopped: pruned at epoch N")."""

    def __init__(self, objective: str):
        self.objective = objective
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
            trainer.stop_message = f"pruned at epoch {metrics.epoch}: {self.objective} {value:.4f} is worse than " \
                                   "the median of earlier trials there"


def trial_value(result: ev.RunFinished, objective: str, history_best: float | None) -> float | None:
    f = result.final_metrics or {}
    if objective == "val_accuracy":
        return f.get("max_val_accuracy")
    return history_best


class BestLoss(Callback):
    def __init__(self):
        self.best = None

    def on_event(self, event) -> None:
        if isinstance(event, ev.RunStarted):
            self.best = None
        elif isinstance(event, ev.EpochMetrics) and math.isfinite(event.val_loss):
            self.best = event.val_loss if self.best is None else min(self.best, event.val_loss)


def search_plan(study, settings: SearchSettings, pruning: Pruning, best_loss: BestLoss, *, budget: int,
                deadline: float | None, on_told=None, control=None):
    """A generator plan for Experiment: asks the study for a trial, yields its settings,
    tells the study how the run ended — until the study holds `budget` finished or running
    trials (shared by every worker) or the deadline passes."""
    import optuna

    TS = optuna.trial.TrialState
    counted = (TS.COMPLETE, TS.PRUNED, TS.RUNNING)  # a failed trial is no trial: retried or replaced
    heartbeat = hasattr(study._storage, "record_heartbeat") and study._storage.get_heartbeat_interval()
    while True:
        fail_dead_local_trials(study)
        if heartbeat:
            optuna.storages.fail_stale_trials(study)  # a killed worker's trial: failed, and retried
        done = len(study.get_trials(states=(TS.COMPLETE, TS.PRUNED)))
        if done >= budget or (control is not None and control.stop_requested):
            return
        if deadline is not None and time.time() >= deadline:
            return
        if len(study.get_trials(states=counted)) >= budget:  # the rest are running somewhere:
            time.sleep(1.0)  # wait for them, or for the heartbeat to fail a dead worker's and retry it
            continue
        if len(study.get_trials(states=(TS.FAIL,))) > budget:
            return  # every trial fails: the settings, not bad luck
        trial = study.ask()
        ahead = [t for t in study.get_trials(states=counted) if t.number < trial.number]
        if len(ahead) >= budget:  # another worker asked at the same moment and took the last one
            trial.set_user_attr("message", "not run: other workers had taken the study's last trials")
            study.tell(trial, state=TS.FAIL)
            continue
        beat = _Heartbeat(study._storage, trial._trial_id, heartbeat) if heartbeat else None
        trial.set_user_attr("pid", os.getpid())
        trial.set_user_attr("host", worker_host())
        pruning.trial, pruning.pruned = trial, False
        changes = suggest(trial, settings.space)
        try:
            finished = yield {**changes, "run.name": f"trial-{trial.number}"}
        finally:
            if beat is not None:
                beat.stop()
        result = finished.result
        trial.set_user_attr("run_dir", finished.run_dir)
        trial.set_user_attr("epochs", result.epochs_completed)
        value = trial_value(result, settings.objective, best_loss.best)
        if pruning.pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            state = "pruned"
        elif result.reason in (ev.COMPLETED, ev.EARLY_STOPPED) and value is not None:
            study.tell(trial, value)
            state = "complete"
        else:
            trial.set_user_attr("message", result.message[:500])
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            state = "failed"
        if on_told is not None:
            on_told(trial.number, state, value, changes, result)
        if result.reason == ev.USER_STOPPED:
            return
