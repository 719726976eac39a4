"""The window's job from Start to its end: the run requests (start, pause, stop, reset, a
live setting) and the engine's events about the job (its runs starting and finishing).

Handed what it touches: the engine, the run state, the settings panel, the plots, the status
bar, a parent for its dialogs. The run state's listeners follow every change made here."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine.core import events as ev
from engine.core.config import Config, ConfigError, live_keys
from engine.core.i18n import C_, N_, _, integer
from engine.core.naming import named_for_its_data
from gui import dialogs
from gui.plotting.markers import change_label, change_text
from gui.window.keys import key_name
from gui.window.run_state import IDLE, PAUSED, RUNNING, STOPPING
from gui.worker import RunHandle

DECAY_PAIR = ("optim.lr", "regularization.weight_decay")  # a clamp keeps their product
log = logging.getLogger("overfit_lab")

STOP_PLAN_TEXT = N_("Stop the run in progress and the experiment? The runs that have finished are kept; Resume "
                  "in the Runs tab (or the same study's name, for a search) goes on with the rest.")


def folder_beside(reference: Path, runs_dir: Path) -> Path:
    """Where a twin of `reference` is written: the window's runs folder when the reference is
    one of its runs, else beside the reference (above its experiment's folder, if it is one
    of an experiment's runs), where the two are found together; the runs folder where that
    folder cannot be written."""
    reference, runs_dir = Path(reference).resolve(), Path(runs_dir).resolve()
    if runs_dir == reference or runs_dir in reference.parents:
        return runs_dir
    parent = reference.parent
    if (parent / "experiment.json").is_file():
        parent = parent.parent
    return parent if os.access(parent, os.W_OK) else runs_dir


def _ended(reason: str, message: str) -> ev.RunFinished:
    return ev.RunFinished(reason=reason, message=message, epochs_completed=0, step=0, best_epoch=None,
                          best_value=None)


class RunSession(QObject):
    run_started = Signal(object)  # RunStarted, after the plots have it
    run_ended = Signal(object)  # RunFinished of the job (a plan: its last run), once shown
    job_retired = Signal()  # the previous job is dropped: a new one starts, or Reset
    failed = Signal(object)  # RunFinished of a job that failed or diverged (not while closing)

    def __init__(self, parent, engine, run_state, panel, plots, status, runs_dir):
        super().__init__(parent)
        self.parent_widget = parent  # for dialogs
        self.engine, self.run_state, self.panel = engine, run_state, panel
        self.plots, self.status, self.runs_dir = plots, status, runs_dir
        self.handle: RunHandle | None = None
        self.started_event: ev.RunStarted | None = None
        self.last_result: ev.RunFinished | None = None
        self.run_label = C_("noun", "run")
        self.multi_run = False  # the job is a plan of several runs (an experiment)
        self._live = set(live_keys())
        self._edited: dict = {}
        self.before_start = lambda: None  # the window saves its settings here
        self.followed = None  # a run another process writes, followed (gui.controllers.followed_run)

    @property
    def state(self) -> str:
        return self.run_state.state

    # ---- requests -------------------------------------------------------------------
    def start(self, config: Config | None = None, plan: list | None = None, **job) -> bool:
        """Start the panel's settings (or `config` with a `plan` of runs: an experiment;
        `job`: RunHandle's kind, meta, name, notes or resume_dir; `beside`: a run whose
        twin this is, written beside it, folder_beside)."""
        rs = self.run_state
        if rs.state != IDLE or not rs.engine_ready or rs.closing:
            if rs.state != IDLE:
                self.status.say(_("not started: a run is live — stop it first (Esc), or Reset to stop following it")
                                if rs.following else _("not started: a run is live — stop it first (Esc)"))
            return False  # a second click never starts a second run
        self.panel.commit_edits()  # a number typed just before Ctrl+Return counts
        try:
            config = config or (None if job.get("resume_dir") else self.panel.config())
            if config is not None:  # a lesson's locks hold in a plan, a search and a resume too
                self.panel.lesson.refuse_job(config, plan, job)
        except ConfigError as exc:
            log.warning("cannot start: %s", exc)
            self.status.refuse(_("cannot start: {reason}").format(reason=exc))
            return False
        config = named_for_its_data(config) if config is not None else None
        beside = job.pop("beside", None)
        runs_dir = folder_beside(beside, self.runs_dir) if beside is not None else self.runs_dir
        self.retire()
        self.last_result = self.started_event = None
        self.before_start()
        self.handle = RunHandle(config, runs_dir, plan=plan or [{}], **job)
        self.multi_run = (len(self.handle.plan) > 1 or self.handle.resume_dir is not None
                          or self.handle.search is not None)
        settings = {k: v for k, v in (self.handle.plan or [{}])[0].items() if "." in k}  # not a twin's "replay"
        first = config.with_updates(settings) if config is not None else config
        self.run_label = ((first.run.name if first else "") or self.panel.preset_label() or C_("noun", "run"))
        if first is not None:
            self.plots.prepare_run(self.run_label, first.optim.epochs, first.data.dataset)
            self.status.starting(first.optim.epochs)
        rs.change(state=RUNNING, can_test=False, can_validate=False, test_pending=False, after_search=False)
        self.engine.start(self.handle)
        return True

    def pause_or_resume(self) -> None:
        if self.followed is not None and self.followed.live:  # asked of its writer, through its folder
            return self.followed.pause_or_resume()
        if self.handle is None:
            return
        if self.state == RUNNING:
            self.handle.control.pause()
            self.run_state.set(PAUSED)
            self.status.say(_("pausing at the next batch…"))
        elif self.state == PAUSED:
            self.handle.control.resume()
            self.run_state.set(RUNNING)

    def stop(self) -> None:
        if self.followed is not None and self.followed.live:
            return self.followed.stop()
        if self.handle is None or self.state not in (RUNNING, PAUSED):
            return
        job = self.handle
        if self.multi_run:
            was_paused = self.state == PAUSED
            job.control.pause()  # nothing more happens while the question is open
            confirmed = dialogs.confirm(self.parent_widget, _("Stop the experiment?"), _(STOP_PLAN_TEXT), _("Stop"))
            # The event loop ran while the question was open: the plan may have ended meanwhile
            # (its last trial finishing, a search waiting for other workers, a refused trial).
            if self.handle is not job or self.state not in (RUNNING, PAUSED):
                return
            if not confirmed:
                if not was_paused:
                    job.control.resume()
                return
            job.control.request_stop()  # before resuming: not one more batch is trained
            job.control.resume()  # the stop is honoured where the run waits
        job.control.request_stop()
        self.run_state.set(STOPPING)
        self.status.say(_("stopping…"))

    def reset(self) -> None:
        if self.followed is not None and self.followed.live:  # stops following: its writer goes on
            self.followed.let_go()
        if self.state != IDLE:
            return
        self.retire()
        self.plots.reset()
        self.status.clear()
        self.status.say(_("ready: press Start ({key})").format(key=key_name("Ctrl+Return")))
        self.run_state.change(can_test=False, can_validate=False, test_pending=False)

    def submit_live(self, key: str, value) -> None:
        """A setting edited while a run is live reaches the run (where it can change mid-run)."""
        if self.state in (RUNNING, PAUSED) and key in self._live and self.handle is not None:
            try:
                self.handle.control.submit_settings({key: value})
            except ConfigError as exc:
                self.panel.show_error(exc)

    def retire(self) -> None:
        """Drop the previous job (it has ended: Start and Reset are IDLE-only); the worker
        frees its run when it starts the next one."""
        if self.handle is not None:
            self.handle.shutdown()
            self.handle = None
        self.job_retired.emit()

    def live_job(self):
        """(RunControl, whether it is a plan) of a job a user would lose by closing, or None."""
        live = self.handle is not None and self.state in (RUNNING, PAUSED)
        return (self.handle.control, self.multi_run) if live else None

    # ---- the job's events -------------------------------------------------------------
    def subscribe(self, router) -> None:
        for event_type, handler in ((ev.TrialStarted, self.on_trial_started), (ev.RunStarted, self.on_run_started),
                                    (ev.SettingsApplied, self.on_settings_applied),
                                    (ev.Paused, self.on_paused), (ev.Resumed, self.on_resumed),
                                    (ev.RunFinished, self.on_run_finished),
                                    (ev.ExperimentFinished, self.on_experiment_finished)):
            router.subscribe(event_type, handler)

    def owns(self, number: int) -> bool:
        return self.handle is not None and number == self.handle.number  # else a retired job's late event

    def on_trial_started(self, event: ev.TrialStarted) -> None:
        if event.index > 0:  # the next run of a plan: its own curves, its own progress
            label = event.changes.get("run.name") or ", ".join(
                f"{k.split('.')[-1]} {v}" for k, v in event.changes.items()) or C_("noun", "run")
            self.plots.prepare_run(label)
            self.run_label = label  # what an evaluation after the plan is of: its last run
            try:
                self.status.starting(self.handle.config.with_updates(event.changes).optim.epochs)
            except (ConfigError, AttributeError):
                pass

    def on_run_started(self, event: ev.RunStarted) -> None:
        self.started_event = event
        self._edited = {}  # this run's live edits so far: with its config, what it trains with
        for warning in event.warnings:  # the data loaded, with something left out
            log.warning("%s", warning)
            self.status.warn(warning)
        self.run_started.emit(event)

    def on_paused(self, _event: ev.Paused) -> None:
        """Paused from elsewhere too (`main.py pause RUN_DIR`): the toolbar's button says Resume."""
        if self.handle is not None and self.state == RUNNING:
            self.run_state.set(PAUSED)

    def on_resumed(self, _event: ev.Resumed) -> None:
        if self.handle is not None and self.state == PAUSED:
            self.run_state.set(RUNNING)

    def _x_of(self, step: int) -> float:
        spe = self.started_event.steps_per_epoch if self.started_event else 1
        return step / max(spe, 1)

    def on_settings_applied(self, event: ev.SettingsApplied) -> None:
        text = change_text(event.changes)  # from the values, in the language's words and format
        if event.changes:
            self.plots.add_marker(self._x_of(event.step), text, short=change_label(event.changes))
            # i18n: {changes} lists the settings changed mid-run, e.g. "lr 0.01→0.001"
            self.status.say(_("step {step}: {changes}").format(step=integer(event.step), changes=text))
        if event.note:  # the edit was changed on its way in (a weight decay clamped): say why,
            self.status.warn(event.note)
            applied = {key: new for key, (_, new) in event.changes.items()}
            if not applied and self.started_event is not None:  # clamped to what the run had: that value
                run = self.started_event.config
                applied = {key: self._edited.get(key, run[key.split(".")[0]][key.split(".")[1]])
                           for key in DECAY_PAIR}
            for key, value in applied.items():  # and show what the run has
                self.panel.set_value(key, value)
        self._edited.update({key: new for key, (_, new) in event.changes.items()})

    def on_run_finished(self, result: ev.RunFinished) -> None:
        self.last_result = result
        if self.started_event is not None:
            self.plots.add_marker(self._x_of(result.step), _(ev.REASON_TEXT[result.reason]),
                                  "#c0392b" if result.reason in (ev.DIVERGED, ev.FAILED) else "#555")
        self.plots.finish_run()
        if self.multi_run:  # the plan goes on with its next run; the window ends with the plan
            if result.reason in (ev.FAILED, ev.DIVERGED):
                self.status.say((_("a run of the experiment failed: {message}") if result.reason == ev.FAILED
                                 else _("a run of the experiment diverged: {message}")).format(message=result.message))
            return
        self._job_ended(result)

    def on_experiment_finished(self, event: ev.ExperimentFinished) -> None:
        self.multi_run = False
        if self.state == IDLE:
            return
        last = self.last_result
        if last is not None and (event.reason != ev.FAILED or last.reason == ev.FAILED):
            self._job_ended(last)  # the plan's last run has ended
        else:  # failed after its last run, or stopped or failed before a run began
            self._job_ended(_ended(event.reason, event.message))

    def _job_ended(self, result: ev.RunFinished) -> None:
        # A search's trials are run folders of their own; the window keeps none of them to evaluate.
        search = self.handle is not None and self.handle.search is not None
        usable = result.reason in ev.USABLE and self.started_event is not None and not search
        self.run_state.change(state=IDLE, can_test=usable, can_validate=usable, after_search=search)
        if result.reason in (ev.FAILED, ev.DIVERGED) and not self.run_state.closing:
            log.error("run %s: %s", "refused its input" if result.bad_input else result.reason, result.message)
            self.failed.emit(result)
        self.run_ended.emit(result)
