"""The experiment seam: several runs from one plan, one after another."""

import gc
import json
import threading
import weakref

import pytest

from engine.core import events as ev
from engine.core.control import RunControl
from engine.experiments.experiment import EXPERIMENT_FILE, Experiment, run_single
from engine.runs.reader import list_runs, read_run
from engine.training.callbacks import Callback
from tests.helpers import Recorder, tiny_config

TOY = {"data.dataset": "moons", "data.train_size": 64, "data.val_size": 32, "data.test_size": 32,
       "optim.epochs": 2, "optim.batch_size": 16}


def test_two_seeds_of_a_toy_run_one_after_another(tmp_path):
    rec = Recorder()
    experiment = Experiment(tiny_config(TOY), [{"run.seed": 0}, {"run.seed": 1}], subscribers=[rec],
                            runs_dir=tmp_path, name="seeds")
    result = experiment.run()
    assert result.reason == ev.COMPLETED
    kinds = [type(e).__name__ for e in rec.events
             if isinstance(e, (ev.ExperimentStarted, ev.TrialStarted, ev.RunStarted, ev.RunFinished,
                               ev.TrialFinished, ev.ExperimentFinished))]
    assert kinds == ["ExperimentStarted", "TrialStarted", "RunStarted", "RunFinished", "TrialFinished",
                     "TrialStarted", "RunStarted", "RunFinished", "TrialFinished", "ExperimentFinished"]
    # One experiment folder grouping one run folder per trial.
    (folder,) = [p for p in tmp_path.iterdir()]
    assert folder == result.path and "-seeds-experiment-" in folder.name
    record = json.loads((folder / EXPERIMENT_FILE).read_text())
    assert record["status"] == ev.COMPLETED and record["plan"] == [{"run.seed": 0}, {"run.seed": 1}]
    runs = [read_run(p) for p in list_runs(folder)]
    assert sorted(r.config["run"]["seed"] for r in runs) == [0, 1]
    assert all(r.status == ev.COMPLETED for r in runs)
    assert [t["run_dir"] for t in record["trials"]] == [t.run_dir.name for t in result.trials]
    finished = rec.of(ev.TrialFinished)
    assert [f.changes for f in finished] == [{"run.seed": 0}, {"run.seed": 1}]
    # Different seeds: different runs.
    losses = [t.result.final_metrics["last_val_loss"] for t in result.trials]
    assert losses[0] != losses[1]


class DataSeen(Callback):
    """The data each run trained on (the experiment keeps results, not trainers)."""

    def __init__(self):
        self.data = []

    def on_epoch_end(self, trainer, metrics):
        if metrics.epoch == 1:
            self.data.append(trainer.data)


def test_trials_with_equal_data_settings_share_the_loaded_data(tmp_path):
    experiment = Experiment(tiny_config(TOY), [{"regularization.dropout": 0.0},
                                               {"regularization.dropout": 0.5},
                                               {"data.train_size": 48}], subscribers=[seen := DataSeen()])
    experiment.run()
    a, b, c = seen.data
    assert a is b  # the same tensors: loaded once
    assert c is not a and len(c.train_y) == 48


class StopAfterFirstEpoch(Callback):
    def __init__(self, control):
        self.control = control

    def on_epoch_end(self, trainer, metrics):
        self.control.request_stop()


def test_stop_ends_the_run_in_progress_and_the_experiment(tmp_path):
    control = RunControl()
    rec = Recorder()
    plan = [{"run.seed": s, "optim.epochs": 50} for s in range(4)]
    experiment = Experiment(tiny_config(TOY), plan, control=control,
                            subscribers=[rec, StopAfterFirstEpoch(control)], runs_dir=tmp_path)
    result = experiment.run()
    assert result.reason == ev.USER_STOPPED
    assert len(result.trials) == 1 and result.trials[0].result.reason == ev.USER_STOPPED
    assert rec.of(ev.ExperimentFinished)[0].reason == ev.USER_STOPPED
    record = json.loads((result.path / EXPERIMENT_FILE).read_text())
    assert record["status"] == ev.USER_STOPPED and len(record["trials"]) == 1


def test_pause_reaches_the_run_in_progress():
    control = RunControl()
    rec = Recorder()
    experiment = Experiment(tiny_config({**TOY, "optim.epochs": 1000}), [{}, {}], control=control,
                            subscribers=[rec])
    thread = threading.Thread(target=experiment.run)
    control.pause()
    thread.start()
    deadline = threading.Event()
    for _ in range(300):
        if rec.of(ev.Paused):
            break
        deadline.wait(0.05)
    assert rec.of(ev.Paused) and rec.of(ev.Paused)[0].step == 0
    control.request_stop()
    thread.join(30)
    assert not thread.is_alive()
    assert len(rec.of(ev.TrialStarted)) == 1


def test_a_generator_plan_is_sent_each_result_and_proposes_the_next():
    seen = []

    def plan():
        finished = yield {"run.seed": 0}
        seen.append(finished.result.reason)
        yield {"run.seed": finished.index + 5}

    result = Experiment(tiny_config(TOY), plan()).run()
    assert seen == [ev.COMPLETED]
    assert [t.changes for t in result.trials] == [{"run.seed": 0}, {"run.seed": 5}]


def test_an_invalid_change_fails_the_experiment_with_a_message():
    rec = Recorder()
    result = Experiment(tiny_config(TOY), [{"regularization.dropout": 2.0}], subscribers=[rec]).run()
    assert result.reason == ev.FAILED
    assert "regularization.dropout = 2.0" in rec.of(ev.ExperimentFinished)[0].message


def test_a_single_run_is_a_plan_of_one_with_its_folder_in_the_runs_dir(tmp_path):
    trial = run_single(tiny_config(TOY), runs_dir=tmp_path)
    assert trial.result.reason == ev.COMPLETED
    assert list_runs(tmp_path) == [trial.run_dir]
    assert not any(p.name.endswith("-experiment") for p in tmp_path.iterdir())


@pytest.mark.parametrize("dataset", ["image_folder"])
def test_a_run_whose_data_is_refused_leaves_no_folder(tmp_path, dataset):
    cfg = tiny_config({"data.dataset": dataset, "data.path": str(tmp_path / "none")})
    trial = run_single(cfg, runs_dir=tmp_path / "runs")
    assert trial.result.bad_input and trial.run_dir is None
    assert list_runs(tmp_path / "runs") == []


class Watch(Callback):
    """Weak references to each run's trainer, model and optimizer; and, as each run starts,
    whether the previous run's are already gone (no collection needed: nothing holds them)."""

    def __init__(self):
        self.refs, self.previous_gone = [], []

    def on_event(self, event):
        if isinstance(event, ev.RunStarted) and self.refs:
            self.previous_gone.append(all(r() is None for r in self.refs[-1]))

    def on_epoch_end(self, trainer, metrics):
        if metrics.epoch == 1:
            self.refs.append((weakref.ref(trainer), weakref.ref(trainer.model), weakref.ref(trainer.optimizer)))


def test_an_experiment_keeps_results_not_the_trainers_that_produced_them(tmp_path):
    watch = Watch()
    result = Experiment(tiny_config(TOY), [{"run.seed": s} for s in range(3)], subscribers=[watch],
                        runs_dir=tmp_path).run()
    assert result.reason == ev.COMPLETED and len(watch.refs) == 3
    assert watch.previous_gone == [True, True]
    gc.collect()
    assert [all(r() is None for r in refs) for refs in watch.refs] == [True, True, False]
    # The latest trial keeps its trainer, to be evaluated after the experiment.
    assert result.trials[-1].trainer is watch.refs[-1][0]()
    assert [t.trainer for t in result.trials[:2]] == [None, None]
    assert all(t.result.final_metrics["val_accuracy"] > 0 for t in result.trials)


class EditDuringFirstRun(Callback):
    """Submits a live edit, as the settings panel does, at step 2 of the plan's first run."""

    def __init__(self, control, updates):
        self.control, self.updates, self.runs = control, updates, 0

    def on_event(self, event):
        if isinstance(event, ev.RunStarted):
            self.runs += 1

    def on_batch_end(self, trainer, step):
        if self.runs == 1 and step == 2:
            self.control.submit_settings(self.updates)


def test_a_live_edit_reaches_the_run_in_progress_and_the_rest_of_the_plan(tmp_path):
    control, rec = RunControl(), Recorder()
    edit = {"regularization.dropout": 0.3, "optim.lr": 0.002}
    plan = [{"run.seed": 0}, {"run.seed": 1}, {"run.seed": 2, "optim.lr": 0.005}]
    result = Experiment(tiny_config(TOY), plan, control=control, runs_dir=tmp_path,
                        subscribers=[rec, EditDuringFirstRun(control, edit)]).run()
    assert result.reason == ev.COMPLETED
    configs = [read_run(t.run_dir).config for t in result.trials]
    # The first run started without the edit and took it at step 2.
    assert configs[0]["regularization"]["dropout"] == 0.0
    assert [a.step for a in rec.of(ev.SettingsApplied)] == [2]
    # The next runs start with it; the plan's own change wins where both name a key.
    assert [c["regularization"]["dropout"] for c in configs[1:]] == [0.3, 0.3]
    assert [c["optim"]["lr"] for c in configs[1:]] == [0.002, 0.005]
    assert [c["run"]["seed"] for c in configs] == [0, 1, 2]
    # What each trial started with, as it trained: the third's own lr is its plan's.
    dropout_only = {"regularization.dropout": 0.3}
    assert [t.live_edits for t in rec.of(ev.TrialStarted)] == [{}, edit, dropout_only]
    record = json.loads((result.path / EXPERIMENT_FILE).read_text())
    assert record["live_edits"] == [{"from_trial": 0, "step": 2, "epoch": 1, "changes": edit, "carried": edit}]
    assert [t["live_edits"] for t in record["trials"]] == [{}, edit, dropout_only]


def test_an_edit_of_a_setting_the_trials_own_plan_sets_stays_with_that_trial(tmp_path):
    """In the tour, dropout edited while the dropout remedy trains must not reach the
    later remedies: each is overfit plus its own remedy."""
    control, rec = RunControl(), Recorder()
    plan = [{"regularization.dropout": 0.5}, {"run.seed": 1}]
    result = Experiment(tiny_config(TOY), plan, control=control, runs_dir=tmp_path,
                        subscribers=[rec, EditDuringFirstRun(control, {"regularization.dropout": 0.3,
                                                                       "optim.lr": 0.002})]).run()
    second = read_run(result.trials[1].run_dir).config
    assert second["regularization"]["dropout"] == 0.0  # the base's, not the first trial's edit
    assert second["optim"]["lr"] == 0.002  # a key the first trial's plan left alone goes on
    record = json.loads((result.path / EXPERIMENT_FILE).read_text())
    assert record["live_edits"][0]["carried"] == {"optim.lr": 0.002}


class EditAfterFirstRun(Callback):
    """Submits an edit once the first run has ended: no batch of it is left to take it."""

    def __init__(self, control):
        self.control, self.done = control, False

    def on_event(self, event):
        if isinstance(event, ev.RunFinished) and not self.done:
            self.done = True
            self.control.submit_settings({"optim.lr": 0.003})


def test_an_edit_that_arrives_after_a_runs_last_batch_is_carried_not_lost_or_misplaced(tmp_path):
    control = RunControl()
    plan = [{"run.seed": 0}, {"run.seed": 1, "optim.lr": 0.02}, {"run.seed": 2}]
    result = Experiment(tiny_config(TOY), plan, control=control, runs_dir=tmp_path,
                        subscribers=[EditAfterFirstRun(control)]).run()
    lrs = [read_run(t.run_dir).config["optim"]["lr"] for t in result.trials]
    assert lrs == [tiny_config(TOY).optim.lr, 0.02, 0.003]  # the second trial's own lr is kept
    record = json.loads((result.path / EXPERIMENT_FILE).read_text())
    assert [e["from_trial"] for e in record["live_edits"]] == [0]


class StopInThirdRun(Callback):
    def __init__(self, control):
        self.control, self.runs = control, 0

    def on_event(self, event):
        if isinstance(event, ev.RunStarted):
            self.runs += 1

    def on_batch_end(self, trainer, step):
        if self.runs == 3 and step == 1:
            self.control.request_stop()


def test_a_resumed_experiment_keeps_what_its_finished_trials_started_with(tmp_path):
    control = RunControl()
    edit = {"optim.lr": 0.005}
    plan = [{"run.seed": s} for s in range(3)]
    first = Experiment(tiny_config(TOY), plan, control=control, runs_dir=tmp_path,
                       subscribers=[EditDuringFirstRun(control, edit), StopInThirdRun(control)]).run()
    assert first.reason == ev.USER_STOPPED
    again = Experiment.resume(first.path).run()
    assert again.reason == ev.COMPLETED
    assert [t.live_edits for t in again.trials] == [{}, edit, edit]
    assert again.trials[1].config.optim.lr == 0.005  # as it trained, not the base's
    record = json.loads((first.path / EXPERIMENT_FILE).read_text())
    assert [t["live_edits"] for t in record["trials"]] == [{}, edit, edit]


def test_a_stop_while_a_plan_waits_ends_the_experiment_as_stopped(tmp_path):
    """A search waiting for other workers' trials returns when asked to stop: stopped, not completed."""
    control = RunControl()

    def plan():
        yield {"run.seed": 0}
        control.request_stop()  # asked while the plan waits; it returns

    result = Experiment(tiny_config(TOY), plan(), control=control, runs_dir=tmp_path, name="waits").run()
    assert result.reason == ev.USER_STOPPED
    assert json.loads((result.path / EXPERIMENT_FILE).read_text())["status"] == ev.USER_STOPPED


def test_an_edit_submitted_before_the_first_run_starts_reaches_it(tmp_path):
    """Start queued behind an evaluation on the engine thread: a setting typed meanwhile is
    not lost."""
    control = RunControl()
    control.submit_settings({"optim.lr": 0.0042})
    result = Experiment(tiny_config(TOY), [{"run.seed": 0}, {"run.seed": 1}], control=control,
                        runs_dir=tmp_path).run()
    applied = [e for e in read_run(result.trials[0].run_dir).events if e.get("event") == "SettingsApplied"]
    assert applied and applied[0]["changes"]["optim.lr"][1] == 0.0042
    assert read_run(result.trials[1].run_dir).config["optim"]["lr"] == 0.0042  # and goes on
