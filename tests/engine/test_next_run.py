"""Stepping a plan (issue 30, item 4): RunControl.end_run() ends the run in progress as a stop
does — its best weights kept, its folder whole — and the experiment goes on with its plan's
next run, instead of ending the plan."""

import json

from engine.core import events as ev
from engine.core.control import RunControl
from engine.experiments.experiment import EXPERIMENT_FILE, Experiment
from engine.experiments.plans import curve_plan
from engine.runs.reader import read_run
from engine.training.callbacks import Callback
from tests.helpers import Recorder, tiny_config


class EndFirstRun(Callback):
    """Asks the control to end the run in progress after the first run's first epoch (a user
    pressing Experiments ▸ Next run of the plan); later runs are left alone."""

    def __init__(self, control: RunControl):
        self.control, self.runs, self.asked = control, 0, False

    def on_event(self, event):
        if isinstance(event, ev.RunStarted):
            self.runs += 1
        elif isinstance(event, ev.EpochMetrics) and self.runs == 1 and not self.asked:
            self.asked = True
            self.control.end_run()


def test_a_curve_whose_first_run_is_ended_goes_on_with_its_second(tmp_path):
    control = RunControl()
    recorder = Recorder()
    plan = curve_plan("data.train_size", [128, 192], [0])
    experiment = Experiment(tiny_config({"optim.epochs": 4}), plan, control=control,
                            subscribers=[EndFirstRun(control), recorder], runs_dir=tmp_path,
                            kind="curve", meta={"over": "data.train_size"})
    result = experiment.run()

    first, second = (t.result for t in result.trials)
    assert first.reason == ev.USER_STOPPED
    assert "ended to go on with the plan" in first.message
    assert first.epochs_completed < 4  # it did end early
    assert second.reason == ev.COMPLETED and second.epochs_completed == 4  # the next run trained in full
    assert "ended" not in second.message
    assert [e.index for e in recorder.of(ev.TrialStarted)] == [0, 1]

    # The ended run's folder is whole: its summary says how it ended, its best weights are there.
    ended = read_run(result.trials[0].run_dir)
    assert ended.summary["status"] == ev.USER_STOPPED
    assert (result.trials[0].run_dir / "best.safetensors").is_file()

    # The experiment is not called stopped: it completed, its record says each run's status.
    assert result.reason == ev.COMPLETED
    (finished,) = recorder.of(ev.ExperimentFinished)
    assert finished.reason == ev.COMPLETED and "stopped" not in finished.message
    record = json.loads((result.path / EXPERIMENT_FILE).read_text(encoding="utf-8"))
    assert record["status"] == ev.COMPLETED and "stopped" not in record["message"]
    assert [t["status"] for t in record["trials"]] == [ev.USER_STOPPED, ev.COMPLETED]
    assert not control.stop_requested  # the request was spent on the run it ended


def test_a_stop_after_an_ended_run_still_ends_the_plan(tmp_path):
    """end_run() and then request_stop() in the same run: the plan stops there, as a stop does."""
    control = RunControl()

    class EndThenStop(EndFirstRun):
        stopped = False

        def on_event(self, event):
            super().on_event(event)
            if self.asked and not self.stopped:
                self.stopped = True
                control.request_stop()

    plan = curve_plan("data.train_size", [128, 192], [0])
    result = Experiment(tiny_config({"optim.epochs": 4}), plan, control=control,
                        subscribers=[EndThenStop(control)], runs_dir=tmp_path, kind="curve").run()
    assert result.reason == ev.USER_STOPPED and len(result.trials) == 1
    assert "ended to go on" not in result.trials[0].result.message  # a stop, said as one


def test_end_run_wakes_a_paused_run():
    """Ending a paused run ends it (it does not wait for a resume), as a stop does."""
    import threading

    control = RunControl()
    control.pause()
    woke = threading.Event()
    waiter = threading.Thread(target=lambda: (control.wait_while_paused(), woke.set()))
    waiter.start()
    control.end_run()
    waiter.join(timeout=10)
    assert woke.is_set() and control.stop_requested
    assert control.run_ended() and not control.stop_requested and not control.run_ended()


class LateNextRun(RunControl):
    """A Next run (F6) from the window's thread that lands just after the plan has spent the
    previous request as run 1 ended — the moment a late or double press can meet."""

    def __init__(self, run=None):
        super().__init__()
        self.ends, self.run, self.taken = 0, run, None

    def run_ended(self):
        asked = super().run_ended()
        self.ends += 1
        if self.ends == 1:
            self.taken = self.end_run() if self.run is None else self.end_run(self.run)
        return asked


def test_next_run_pressed_between_two_runs_does_not_end_the_plan(tmp_path):
    """Review 30, finding 3: the request came with no run in progress; it used to read as a stop
    of the whole plan (runs 2 and 3 never trained, the experiment 'stopped by request')."""
    control = LateNextRun()
    plan = curve_plan("data.train_size", [128, 160, 192], [0])
    result = Experiment(tiny_config({"optim.epochs": 2}), plan, control=control, subscribers=[],
                        runs_dir=tmp_path, kind="curve").run()
    assert [t.result.reason for t in result.trials] == [ev.COMPLETED] * 3
    assert [t.result.epochs_completed for t in result.trials] == [2, 2, 2]  # run 2 was not ended either
    assert result.reason == ev.COMPLETED
    assert control.taken is False  # refused: no run was in progress to end
    assert not control.stop_requested and not control.plan_stop_requested


def test_next_run_meant_for_the_next_run_ends_that_run_only(tmp_path):
    """A request naming the run it means (the window knows which run it shows) is kept across the
    gap and ends that run when it starts; the plan goes on with run 3."""
    control = LateNextRun(run=2)
    plan = curve_plan("data.train_size", [128, 160, 192], [0])
    result = Experiment(tiny_config({"optim.epochs": 2}), plan, control=control, subscribers=[],
                        runs_dir=tmp_path, kind="curve").run()
    assert control.taken is True
    assert [t.result.reason for t in result.trials] == [ev.COMPLETED, ev.USER_STOPPED, ev.COMPLETED]
    assert "ended to go on with the plan" in result.trials[1].result.message
    assert result.reason == ev.COMPLETED


def test_next_run_meant_for_a_run_that_is_over_leaves_the_next_alone(tmp_path):
    """The window still showing run 1 when run 2 has begun: ending 'run 1' ends nothing."""
    ended = []

    class AtRun2(Callback):
        def on_event(self, event):
            if isinstance(event, ev.EpochMetrics) and len(ran.of(ev.RunStarted)) == 2 and not ended:
                ended.append(control.end_run(1))

    control, ran = RunControl(), Recorder()
    plan = curve_plan("data.train_size", [128, 160], [0])
    result = Experiment(tiny_config({"optim.epochs": 2}), plan, control=control,
                        subscribers=[ran, AtRun2()], runs_dir=tmp_path, kind="curve").run()
    assert ended == [False]
    assert [t.result.reason for t in result.trials] == [ev.COMPLETED, ev.COMPLETED]
