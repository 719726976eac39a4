"""The status bar's "all runs ETA" of a resumed experiment counts only the runs this session
trains: the kept runs, told again in milliseconds, are not runs done in no time. Fed the
engine's real event sequence of a resumed experiment, on a clock where a training step takes
one second, the ETA is the time the plan in fact still took."""

from __future__ import annotations

import re
import types

import pytest
from PySide6.QtWidgets import QMainWindow

from engine.core import events as ev
from engine.core.control import RunControl
from engine.experiments.experiment import Experiment
from engine.training import trainer as trainer_module
from engine.training.callbacks import Callback
from gui.window import status as status_module
from gui.window.dispatch import EventRouter
from gui.window.status import RunStatus
from tests.helpers import Recorder, tiny_config

TOY = {"data.dataset": "moons", "data.train_size": 64, "data.val_size": 32, "data.test_size": 32,
       "optim.epochs": 2, "optim.batch_size": 16}  # 8 steps a run
STEPS = 8


class StopInSecondRun(Callback):
    """The window closed in the plan's second run: the first is kept on Resume."""

    def __init__(self, control: RunControl):
        self.control, self.runs = control, 0

    def on_event(self, event):
        if isinstance(event, ev.RunStarted):
            self.runs += 1

    def on_batch_end(self, trainer, step):
        if self.runs == 2 and step == 3:
            self.control.request_stop()


@pytest.fixture
def resumed_events(tmp_path, monkeypatch):
    """The events of a 3-run experiment resumed after it was cut off in its second run (every
    step's StepMetrics told)."""
    monkeypatch.setattr(trainer_module, "STEP_EVENT_INTERVAL", 0.0)
    control = RunControl()
    plan = [{"run.seed": s} for s in range(3)]
    first = Experiment(tiny_config(TOY), plan, control=control, runs_dir=tmp_path,
                       subscribers=[StopInSecondRun(control)]).run()
    assert first.reason == ev.USER_STOPPED
    recorder = Recorder()
    again = Experiment.resume(first.path, subscribers=[recorder]).run()
    assert again.reason == ev.COMPLETED
    assert [e.kept for e in recorder.of(ev.TrialFinished)] == [True, False, False]
    return recorder.events


def _seconds(clock: str) -> int:
    parts = [int(p) for p in clock.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def test_all_runs_eta_of_a_resumed_experiment_counts_only_the_runs_it_trains(qtbot, monkeypatch, resumed_events):
    window = QMainWindow()
    qtbot.addWidget(window)
    status = RunStatus(window.statusBar())
    router = EventRouter()
    status.subscribe(router)
    now = [1000.0]
    monkeypatch.setattr(status_module, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))
    total = STEPS * 2  # the two runs this session trains
    done, last_step, seen, labels = 0, 0, [], []
    for event in resumed_events:
        if isinstance(event, ev.RunStarted):
            last_step = 0
        if isinstance(event, ev.StepMetrics):
            now[0] += event.step - last_step  # a step takes a second; nothing else takes time
            done += event.step - last_step
            last_step = event.step
        router.dispatch(event)
        if isinstance(event, ev.StepMetrics):
            eta = re.search(r"all runs ETA (\d+:\d\d)", status.info.text())
            assert eta, status.info.text()
            seen.append((done, _seconds(eta.group(1)), total - done))
            labels.append(re.search(r"run \d of \d", status.info.text()).group(0))
    assert [d for d, _, _ in seen] == list(range(1, total + 1))
    assert labels == ["run 2 of 3"] * STEPS + ["run 3 of 3"] * STEPS  # the plan's place is still told
    for steps_done, told, in_fact in seen:
        assert abs(told - in_fact) <= 1, (steps_done, told, in_fact)  # was 4 s told for 12 s, 8 steps in
