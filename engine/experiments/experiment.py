"""Experiments: several runs from one plan, one after another on the calling thread.

An experiment is a base config and a plan: a list (or a generator) of config changes, one
per trial. `Experiment.run()` trains a trial for each, reusing the loaded data while the
data settings and seed stay the same, and tells its subscribers about the experiment as a
whole (ExperimentStarted, TrialStarted, TrialFinished, ExperimentFinished) besides every
event of every run. Each trial writes its own run folder; an experiment of more than one
trial also writes an experiment folder (experiment.json: the base, the plan, the status and
the member runs), with its runs inside.

A plan's entry {"clean": {"trial": i, "top": K}} is a twin of trial i without its K most
suspect training examples (engine.experiments.cleaning), resolved when it is reached. An
entry's {"replay": {...}} makes another run's live edits again in the trial, at the same
point of the same epoch (a cleaned twin of a run whose settings were edited as it trained).

A generator plan is sent each trial's TrialFinished and may yield the next changes from
it (`changes = yield ...`): that is how a search proposes trials from results.

Pause and stop reach the run in progress through the shared RunControl; a stop also ends
the experiment. Settings edited live (RunControl.submit_settings) reach the run in progress
and every later run of the plan: each next trial's config is the base, then the live edits
so far, then the plan's changes. experiment.json lists each edit with the trial it was
made in ("live_edits"), and TrialStarted says which edits a trial starts with, so folds or
seeds of one plan never differ silently. A single run is a plan of one: the window and
`main.py train` run that.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core import events as ev
from engine.core.config import Config, ConfigError
from engine.core.control import RunControl
from engine.core.files import atomic_write_json
from engine.core.i18n import _
from engine.core.runtime import resolve_device
from engine.data.bundle import DataBundle, load_data
from engine.experiments.cleaning import CLEAN, REPLAY, resolve_clean, twin_step
from engine.experiments.refusals import (
    check_list_plan,
    completed_text,
    refusal_of,
    refused,
    resumable_record,
)
from engine.runs.index import EXPERIMENT_FILE
from engine.runs.reader import read_run, result_from_summary, writer_identity
from engine.runs.writer import RunWriter
from engine.training.callbacks import Callback
from engine.training.trainer import Trainer


@dataclass
class Trial:
    """One run of the plan and its result. `trainer` (its model, optimizer, weight copies and
    data) is kept only for the latest trial, for evaluating it afterwards: it is let go as
    the next trial starts, so an experiment's memory does not grow with its runs."""
    index: int
    changes: dict[str, Any]
    config: Config
    trainer: Trainer | None = None
    run_dir: Path | None = None
    result: ev.RunFinished | None = None
    writer_path: Path | None = None  # where its run folder goes (made when the run starts)
    live_edits: dict[str, Any] = field(default_factory=dict)  # edited in earlier runs, carried in


@dataclass
class ExperimentResult:
    reason: str
    trials: list[Trial] = field(default_factory=list)
    path: Path | None = None


class _DataCache:
    """The last loaded splits, reused while the data settings, seed and device are equal."""

    def __init__(self):
        self.key: str | None = None
        self.data: DataBundle | None = None

    def get(self, config: Config) -> DataBundle:
        device = resolve_device(config.run.device)
        key = json.dumps([config.data.__dict__, config.run.seed, str(device)], sort_keys=True)
        if key != self.key:
            self.data, self.key = None, None  # free the old tensors before loading new ones
            self.data, self.key = load_data(config.data, config.run.seed, device), key
        return self.data


class Experiment:
    def __init__(self, base: Config, plan: Iterable[dict[str, Any]] | Generator, *,
                 control: RunControl | None = None, subscribers: Iterable[Callback] = (),
                 runs_dir: str | Path | None = None, name: str = "", kind: str = "experiment",
                 meta: dict[str, Any] | None = None, notes: dict[str, Any] | None = None):
        """kind / meta say what the plan is ("cv" with {"folds": k}, "curve" with {"over":
        key}, "tour"): recorded in experiment.json, told in ExperimentStarted. notes: kept in
        each trial's summary (a twin's reference run, say)."""
        self.base = base
        self.plan = plan
        self.control = control or RunControl()
        self.subscribers = list(subscribers)
        self.runs_dir = Path(runs_dir) if runs_dir is not None else None
        self.name = name or base.run.name or "experiment"
        self.kind = kind
        self.meta = dict(meta or {})
        self.notes = dict(notes or {})
        self.trials: list[Trial] = []
        self.path: Path | None = None
        self._kept: dict[int, dict] = {}  # resuming: finished trials by plan index
        self._abandoned: dict[int, list[str]] = {}  # resuming: folders of interrupted trials
        self._previous: list[dict] = []  # resuming: the trials as recorded, until each is reached
        self._cache = _DataCache()
        self.live_edits: dict[str, Any] = {}  # every live edit so far, the latest value of each key
        self._edit_log: list[dict[str, Any]] = []  # each edit as made: which trial, step, changes
        self._planned = len(plan) if hasattr(plan, "__len__") else None

    @classmethod
    def resume(cls, path: str | Path, *, control: RunControl | None = None,
               subscribers: Iterable[Callback] = ()) -> Experiment:
        """An interrupted experiment (a crash, a closed window, a stop), ready to go on:
        trials that completed are kept, the others run again (their partial folders stay,
        listed as abandoned)."""
        path = Path(path)
        record = resumable_record(path, EXPERIMENT_FILE)
        experiment = cls(Config.from_dict(record["base"]), record["plan"], control=control,
                         subscribers=subscribers, runs_dir=path.parent, name=record.get("name", ""),
                         kind=record.get("kind", "experiment"), meta=record.get("meta"))
        experiment.path = path
        experiment._previous = list(record.get("trials", []))
        for edit in record.get("live_edits") or []:
            if isinstance(edit, dict) and isinstance(edit.get("changes"), dict):
                experiment._edit_log.append(edit)
                carried = edit.get("carried")  # older records: every edit was carried
                experiment.live_edits.update(carried if isinstance(carried, dict) else edit["changes"])
        for t in record.get("trials", []):
            folder = path / t["run_dir"] if t.get("run_dir") else None
            experiment._abandoned[t["index"]] = list(t.get("abandoned", []))
            if t.get("status") in (ev.COMPLETED, ev.EARLY_STOPPED) and folder and folder.is_dir():
                experiment._kept[t["index"]] = t
            elif folder is not None and folder.is_dir():
                experiment._abandoned[t["index"]].append(t["run_dir"])
        return experiment

    def emit(self, event) -> None:
        for s in self.subscribers:
            s.on_event(event)

    # ---- the plan -----------------------------------------------------------------------
    def _changes(self) -> Generator[dict[str, Any], ev.TrialFinished | None, None]:
        if isinstance(self.plan, Generator):
            sent = None
            try:
                changes = next(self.plan)
                while True:
                    sent = yield changes
                    changes = self.plan.send(sent)
            except StopIteration:
                return
        else:
            for changes in self.plan:
                yield changes

    def run(self) -> ExperimentResult:
        grouped = self.runs_dir is not None and self._planned != 1
        resumed = self.path is not None
        refusal = refusal_of(self.check_plan)  # a list plan's entry that could not train: no run, no folder
        grouped = grouped and not refusal
        if grouped and not resumed:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            slug = "".join(c if c.isalnum() or c in "_.-" else "-" for c in self.name)[:40]
            self.path = self.runs_dir / f"{stamp}-{slug}-{self.kind}-{uuid.uuid4().hex[:6]}"
            self.path.mkdir(parents=True, exist_ok=False)
        self._record("running")
        self.emit(ev.ExperimentStarted(name=self.name, experiment_dir=_str(self.path),
                                       planned_trials=self._planned, kind=self.kind,
                                       meta=dict(self.meta), resumed=resumed))
        reason, message = (ev.FAILED, refusal) if refusal else (ev.COMPLETED, "")
        plan = self._changes()
        finished = None
        try:
            while not self.control.plan_stop_requested and not refusal:  # end_run() ends a run only
                try:
                    changes = plan.send(finished) if finished is not None else next(plan)
                except StopIteration:
                    if self.control.plan_stop_requested:  # a search waiting for other workers' trials
                        reason, message = ev.USER_STOPPED, _("stopped by request")
                    break
                finished = self._run_trial(len(self.trials), dict(changes))
                self.control.run_ended()  # an end_run() is spent: the plan goes on with its next run
                if finished.result.bad_input and not isinstance(self.plan, Generator):
                    # refused settings or data: the rest would be too (a generator plan — a search — is
                    # sent the refusal and decides itself)
                    reason, message = ev.FAILED, finished.result.message
                    break
            else:
                reason, message = ev.USER_STOPPED, _("stopped by request")
                if finished is not None and isinstance(self.plan, Generator):
                    try:  # a search tells its study how the stopped trial ended
                        plan.send(finished)
                    except StopIteration:
                        pass
                    plan.close()
        except Exception as exc:  # a bad plan (an invalid setting, say): the experiment fails
            reason, message = ev.FAILED, f"{type(exc).__name__}: {exc}"
            if isinstance(self.plan, Generator):
                try:  # a search tells its study how the trial in progress ended
                    self.plan.throw(exc)
                except Exception:
                    pass
        finally:
            if isinstance(self.plan, Generator):
                self.plan.close()  # any other way out (an interrupt): the plan's trial is told too
        done = sum(t.result is not None and t.result.reason in ev.USABLE for t in self.trials)
        message = message or completed_text(done, len(self.trials), self.kind == "search")
        self._record(reason, message)
        self.emit(ev.ExperimentFinished(reason=reason, message=message, trials_completed=done,
                                        experiment_dir=_str(self.path)))
        return ExperimentResult(reason, self.trials, self.path)

    def check_plan(self) -> None:
        """ConfigError for a list plan's first entry that cannot train (others: refused trials)."""
        if not isinstance(self.plan, Generator) and (self._planned or 0) >= 2:
            check_list_plan(self.base, list(self.plan), skip=self._kept, edits=self.live_edits)

    def _keep_trial(self, index: int, changes: dict[str, Any]) -> ev.TrialFinished:
        """A trial that finished before the interruption: told again, not run again."""
        recorded = self._kept[index]
        run_dir = self.path / recorded["run_dir"]
        summary = read_run(run_dir).summary
        edits = dict(recorded.get("live_edits") or {})  # what it started with, as recorded
        trial = Trial(index, changes, self.base.with_updates({**edits, **changes}), run_dir=run_dir,
                      result=result_from_summary(summary), live_edits=edits)
        self.trials.append(trial)
        self.emit(ev.TrialStarted(index=index, changes=changes, run_dir=str(run_dir), live_edits=edits))
        finished = ev.TrialFinished(index=index, changes=changes, run_dir=str(run_dir),
                                    result=trial.result, kept=True)
        self.emit(finished)
        return finished

    def _run_trial(self, index: int, changes: dict[str, Any]) -> ev.TrialFinished:
        for earlier in self.trials:  # keep results, not the objects that produced them
            earlier.trainer = None
        replay = changes.pop(REPLAY, None)  # not a setting: made as the trial trains
        if index in self._kept:
            if CLEAN in changes:  # resolved when it ran: as recorded
                changes = dict(self._kept[index].get("changes") or {})
            return self._keep_trial(index, changes)
        notes = dict(self.notes)
        if CLEAN in changes:  # a cleaned twin of an earlier trial: its suspects are known now
            changes, cleaned = resolve_clean(changes, self.trials)
            notes.update(cleaned)
            replay = changes.pop(REPLAY, None) or replay  # the trial's live edits, made again
        if self.trials:  # an edit submitted after the last trial's last batch: carried from it
            late = self.control.take_settings()
            if late:
                self._carry(len(self.trials) - 1, late, step=None, epoch=None)
        # (before the first trial, an edit stays pending: the trainer applies it at its first batch)
        # What the trial starts with: the edits so far, except where its own plan sets the key.
        carried = {k: v for k, v in self.live_edits.items() if k not in changes}
        try:
            config = self.base.with_updates({**carried, **changes}).check_trainable()
        except ConfigError as exc:  # refused as a trial, named, as the trainer refuses bad input
            return self._refuse_trial(index, changes, carried, exc)
        trial = Trial(index, changes, config, live_edits=carried)
        self.trials.append(trial)
        callbacks = [*self.subscribers, _LiveEdits(self, index)]
        if replay:
            callbacks.append(_Replay(self.control, replay))
        writer = None
        root = self.path or self.runs_dir
        if root is not None:
            writer = RunWriter(root, config.run.name or f"{config.data.dataset}-{config.model.arch}", notes)
            callbacks.insert(0, writer)
        trial.writer_path = writer.path if writer is not None else None
        self._record("running")  # the trial's folder is known before it trains: a resume finds it
        self.emit(ev.TrialStarted(index=index, changes=changes, run_dir=_str(writer and writer.path),
                                  live_edits=carried))
        try:
            data = self._cache.get(config)
        except Exception:
            data = None  # the trainer loads it again and reports the failure as its result
        trial.trainer = Trainer(config, control=self.control, callbacks=callbacks, data=data)
        self.control.run_starting(index + 1)  # end_run() now means this run (not between two)
        trial.result = trial.trainer.fit()
        trial.run_dir = writer.path if writer is not None and writer.started else None
        finished = ev.TrialFinished(index=index, changes=changes, run_dir=_str(trial.run_dir),
                                    result=trial.result)
        self._record("running")
        self.emit(finished)
        return finished

    def _refuse_trial(self, index: int, changes: dict, carried: dict, exc: ConfigError) -> ev.TrialFinished:
        self.trials.append(Trial(index, changes, self.base, result=refused(exc), live_edits=carried))
        self.emit(ev.TrialStarted(index=index, changes=changes, run_dir=None, live_edits=carried))
        finished = ev.TrialFinished(index=index, changes=changes, run_dir=None, result=self.trials[-1].result)
        self._record("running")
        self.emit(finished)
        return finished

    def _carry(self, index: int, changes: dict[str, Any], step: int | None, epoch: int | None) -> None:
        """An edit made during trial `index` goes on to the rest of the plan — except keys that
        trial's own plan changes set (a remedy's dropout, a search's drawn lr): those belong to
        that trial alone, and carrying them would confound the comparisons."""
        own = self.trials[index].changes if index < len(self.trials) else {}
        carried = {k: v for k, v in changes.items() if k not in own}
        self.live_edits.update(carried)
        self._edit_log.append({"from_trial": index, "step": step, "epoch": epoch, "changes": changes,
                               "carried": carried})
        self._record("running")

    def _record(self, status: str, message: str = "") -> None:
        if self.path is None:
            return
        trials = []
        for t in self.trials:
            run_dir = t.run_dir if t.result is not None else t.writer_path
            trials.append({"index": t.index, "changes": t.changes, "live_edits": t.live_edits,
                           "run_dir": run_dir.name if run_dir else None,
                           "status": t.result.reason if t.result else "running",
                           "abandoned": self._abandoned.get(t.index, [])})
        reached = {t["index"] for t in trials}
        trials += [t for t in self._previous if t.get("index") not in reached]
        atomic_write_json(self.path / EXPERIMENT_FILE, {
            "name": self.name, "kind": self.kind, "meta": self.meta, "status": status,
            "message": message, "base": self.base.to_dict(),
            "plan": list(self.plan) if isinstance(self.plan, list) else None,
            "planned_trials": self._planned, "trials": trials, "live_edits": self._edit_log,
            "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **writer_identity()})


class _LiveEdits(Callback):
    """Hears a trial's SettingsApplied: the edit goes on to the rest of the plan, and into
    the experiment record."""

    def __init__(self, experiment: Experiment, index: int):
        self.experiment, self.index = experiment, index

    def on_event(self, event) -> None:
        if isinstance(event, ev.SettingsApplied):
            changes = {k: new for k, (_old, new) in event.changes.items()}
            self.experiment._carry(self.index, changes, event.step, event.epoch)


class _Replay(Callback):
    """Makes recorded live edits again, through the run's RunControl as a user would. Each is
    keyed on where the run made it: after so many of its batches (its step), in the run's
    numbering of the epoch's batches. A twin without some examples may have lost whole
    batches (engine.data.bundle.shuffled_batches), so its own step count is not that place:
    the edit is submitted after the twin's last batch that comes before it in the run's
    numbering (Trainer.batch_origins), and the trainer applies it before the next one (at
    the start, before the first batch, for an edit made there)."""

    def __init__(self, control: RunControl, spec: dict[str, Any]):
        self.control, self.spec = control, spec
        self.due: list[tuple[int, dict[str, Any]]] = []  # (place in the run's numbering, updates)
        self.per_epoch = 1

    def on_event(self, event) -> None:
        if isinstance(event, ev.RunStarted):
            self.per_epoch = max(event.steps_per_epoch, 1)  # the twin's batches before any are dropped
            original = self.spec.get("steps_per_epoch") or self.per_epoch
            for edit in self.spec.get("edits", []):
                place = twin_step(edit["step"], edit["epoch"], original, self.per_epoch)
                self.due.append((place, {k: new for k, (_old, new) in edit["changes"].items()}))
            self.due.sort(key=lambda d: d[0])
            self._submit_upto(0)

    def on_batch_end(self, trainer, step: int) -> None:
        origins, i = trainer.batch_origins, trainer.batch_in_epoch
        following = origins[i + 1] if i + 1 < len(origins) else self.per_epoch  # the next batch's place
        self._submit_upto(trainer.epoch * self.per_epoch + following)

    def _submit_upto(self, place: int) -> None:
        updates: dict[str, Any] = {}
        while self.due and self.due[0][0] <= place:
            updates.update(self.due.pop(0)[1])
        if updates:
            self.control.submit_settings(updates)


def _str(path) -> str | None:
    return None if path is None else str(path)


def run_single(config: Config, *, control: RunControl | None = None,
               subscribers: Iterable[Callback] = (), runs_dir: str | Path | None = None,
               notes: dict[str, Any] | None = None, plan: list[dict[str, Any]] | None = None) -> Trial:
    """One run as a plan of one (`plan`: that one entry, a cleaned twin's replay, say): its
    run folder goes straight into `runs_dir`."""
    experiment = Experiment(config, plan or [{}], control=control, subscribers=subscribers, runs_dir=runs_dir,
                            notes=notes)
    return experiment.run().trials[0]
