"""Hyperparameter search: the [search] section, the journal study, PostgreSQL with workers."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.core import events as ev
from engine.core.config import ConfigError
from engine.runs.reader import read_run
from engine.search.space import default_space, search_settings
from engine.training.callbacks import Callback
from tests.engine.test_cli import ROOT, cli
from tests.helpers import tiny_config

TINY = ["--set", "data.train_size=200", "--set", "data.val_size=200", "--set", "optim.epochs=3",
        "--set", "model.width=32"]


def test_the_default_space_and_a_declared_one():
    from engine.core.config import load_preset

    s = search_settings(None)
    assert set(s.space) == set(default_space()) and s.space["optim.lr"].log and s.space["model.width"].integer
    assert "model.width" not in search_settings(None, load_preset("transfer")).space  # a backbone has no width
    s = search_settings({"objective": "val_loss", "trials": 7, "sampler": "random",
                         "params": {"regularization.dropout": {"low": 0.1, "high": 0.5},
                                    "model.activation": ["relu", "gelu"]}})
    assert s.direction == "minimize" and s.trials == 7 and s.space["model.activation"].choices == ("relu", "gelu")


@pytest.mark.parametrize("raw, key, text", [
    ({"params": {"optim.nope": {"low": 1, "high": 2}}}, "search.optim.nope", "a known setting"),
    ({"params": {"regularization.dropout": {"low": 0.1, "high": 1.5}}}, "search.regularization.dropout",
     "allowed range [0.0, 1.0]"),
    ({"params": {"model.activation": ["relu", "swish"]}}, "search.model.activation", "one of relu, tanh, gelu"),
    ({"objective": "test_accuracy"}, "search.objective", "val_accuracy, val_loss"),
    ({"colour": "blue"}, "search.colour", "a known key of [search]"),
])
def test_bad_search_settings_name_the_key_and_what_is_allowed(raw, key, text):
    with pytest.raises(ConfigError) as info:
        search_settings(raw)
    assert info.value.key == key and text in str(info.value)


def test_a_journal_search_runs_its_trials_as_normal_runs_and_resumes(tmp_path):
    proc = cli("search", "--preset", "overfit", *TINY, "--trials", "3", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\ntrial ") + proc.stdout.startswith("trial ") == 3 and "best so far" in proc.stdout
    folder = tmp_path / "overfit-search"
    assert (folder / "study.journal").is_file() and (folder / "search.json").is_file()
    runs = [p for p in folder.rglob("config.json")]
    assert len(runs) == 3
    for config in runs:
        run = read_run(config.parent)
        assert run.status in ("completed", "early_stopped") and "test" not in run.summary  # never the test split
    again = cli("search", "--preset", "overfit", *TINY, "--trials", "4", "--out", str(tmp_path))
    assert again.returncode == 0 and again.stdout.count("trial 3:") == 1  # resumed: one more, numbered on
    other = cli("search", "--config", str(_space_file(tmp_path)), *TINY, "--study", "overfit-search",
                "--trials", "4", "--out", str(tmp_path))
    assert other.returncode == 2 and "another search space" in other.stderr and "overfit-search-2" in other.stderr


def _space_file(tmp_path: Path) -> Path:
    from engine.core.config import load_preset

    path = tmp_path / "space.toml"
    text = load_preset("overfit").dumps() + '\n[search]\nparams = { "regularization.dropout" = { low = 0.0, high = 0.5 } }\n'
    path.write_text(text)
    return path


def test_an_unreachable_storage_is_named_with_why_and_leaves_nothing(tmp_path):
    proc = cli("search", "--trials", "2", "--storage", "postgresql+psycopg://me:secret@127.0.0.1:1/none",
               "--out", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "storage" in proc.stderr and "secret" not in proc.stderr and "127.0.0.1" in proc.stderr
    assert "a reachable database (OperationalError" in proc.stderr  # the database's own reason, named
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(shutil.which("pg_virtualenv") is None, reason="PostgreSQL's pg_virtualenv is not installed")
def test_two_workers_share_a_postgresql_study_and_a_killed_workers_trial_fails_and_is_retried(tmp_path):
    proc = subprocess.run(["pg_virtualenv", sys.executable, str(ROOT / "tests/engine/pg_search_scenario.py"),
                           str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads((tmp_path / "result.json").read_text())
    trials = result["trials"]
    assert result["killed"] is not None and result["b_code"] == 0, result["b_out"]
    killed = next(t for t in trials if t["number"] == result["killed"])
    assert killed["state"] == "FAIL"  # marked by the heartbeat, not left running
    assert not any(t["state"] == "RUNNING" for t in trials)
    done = [t for t in trials if t["state"] in ("COMPLETE", "PRUNED")]
    assert len(done) == 5  # the budget, exactly
    assert len({t["run_dir"] for t in done}) == 5  # no trial ran twice
    assert {t["pid"] for t in trials} == {result["a_pid"], result["b_pid"]}  # both workers took trials
    assert any(t["retry_of"] == result["killed"] for t in trials)  # the killed one was retried
    assert killed["host"] == "another-machine"  # so the heartbeat, not a local pid check, failed it
    window = result["window"]  # the Search tab, attached by URL, shows every trial of both workers
    assert window["rows"] == len(trials) and window["pids"] == sorted({result["a_pid"], result["b_pid"]})
    assert "Study pg" in window["title"]


def test_a_trial_that_diverges_is_recorded_failed_with_its_message_and_the_study_goes_on(tmp_path):
    import optuna

    from engine.search.storage import open_storage

    space = tmp_path / "space.toml"
    from engine.core.config import load_preset

    space.write_text(load_preset("overfit").dumps() + "\n[search]\nparams = { \"optim.lr\" = { low = 50.0, high = 100.0 } }\n")
    proc = cli("search", "--config", str(space), *TINY, "--set", "optim.optimizer=sgd", "--trials", "2", "--study",
               "wild", "--out", str(tmp_path))
    assert "failed" in proc.stdout
    study = optuna.load_study(study_name="wild", storage=open_storage(None, tmp_path / "wild"))
    failed = [t for t in study.trials if t.state.name == "FAIL"]
    assert len(failed) == 3  # more failures than the budget: the settings, not bad luck — it stops
    assert all("loss became" in t.user_attrs["message"] for t in failed)


def test_going_on_with_a_study_tries_new_settings_not_the_first_ones_again(tmp_path):
    from engine.core.config import load_preset
    from engine.search.runner import run_worker, start_study

    base = load_preset("overfit").with_updates({"data.train_size": 100, "data.val_size": 100, "optim.epochs": 1,
                                                "model.width": 16, "run.device": "cpu"})
    settings = search_settings({"trials": 2, "pruner": "none"})
    study, folder = start_study(base, settings, "again", tmp_path, None)
    run_worker(study, settings, base, folder, None)
    settings.trials = 4
    study, folder = start_study(base, settings, "again", tmp_path, None)
    run_worker(study, settings, base, folder, None)
    params = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(params) == 4 and len(set(params)) == 4


# ---- every way a trial ends is told to the study (stock Optuna reads it back) -------------------
def _tiny_base(**updates):
    from engine.core.config import load_preset

    return load_preset("overfit").with_updates({"data.train_size": 100, "data.val_size": 100, "optim.epochs": 2,
                                                "model.width": 16, "run.device": "cpu", **updates})


def _reread(folder: Path, name: str):
    """The study as stock Optuna reads it from the journal, with nothing of ours in between."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    return optuna.load_study(study_name=name, storage=JournalStorage(JournalFileBackend(str(folder / "study.journal"))))


def _states(study) -> list[str]:
    return [t.state.name for t in study.trials]


class _Raise(Callback):
    """A subscriber that raises `exc` as the `n`-th trial starts (an exception escaping the seam)."""

    def __init__(self, exc, n=1):
        self.exc, self.n, self.seen = exc, n, 0

    def on_event(self, event):
        from engine.core import events as ev

        if isinstance(event, ev.TrialStarted):
            self.seen += 1
            if self.seen == self.n:
                raise self.exc


def test_a_refused_trial_is_told_failed_with_its_message_and_the_search_goes_on(tmp_path):
    from engine.search.runner import run_worker, start_study

    base = _tiny_base(**{"model.backbone_size": 4})  # fashion_cnn needs at least 8: that draw is refused
    settings = search_settings({"trials": 3, "sampler": "grid", "pruner": "none",
                                "params": {"model.backbone": ["fashion_cnn", "none"]}}, base)
    study, folder = start_study(base, settings, "refusals", tmp_path, None)
    run_worker(study, settings, base, folder, None)
    study = _reread(folder, "refusals")
    assert "RUNNING" not in _states(study)
    refused = [t for t in study.trials if t.params["model.backbone"] == "fashion_cnn"]
    assert refused and all(t.state.name == "FAIL" and "model.backbone_size" in t.user_attrs["message"]
                           and t.user_attrs["message"].startswith("refused") for t in refused)
    assert _states(study).count("COMPLETE") == 1  # "none" is the grid's only other point: it ran on


def test_when_every_trial_is_refused_the_search_stops_and_says_why(tmp_path):
    base = _tiny_base(**{"model.backbone_size": 4})
    space = tmp_path / "space.toml"
    space.write_text(base.dumps() + '\n[search]\nparams = { "model.backbone" = ["fashion_cnn"] }\n')
    proc = cli("search", "--config", str(space), "--trials", "20", "--study", "refused", "--out", str(tmp_path))
    assert proc.returncode == 1 and "every trial was refused" in proc.stderr + proc.stdout, proc.stderr
    study = _reread(tmp_path / "refused", "refused")
    assert set(_states(study)) == {"FAIL"} and len(study.trials) < 20  # it gave up, it did not spend the budget


@pytest.mark.parametrize("exc", [RuntimeError("a subscriber broke"), KeyboardInterrupt()])
def test_an_exception_escaping_the_experiment_tells_the_trial_failed(tmp_path, exc):
    from engine.search.runner import run_worker, start_study

    base = _tiny_base()
    settings = search_settings({"trials": 3, "pruner": "none"})
    study, folder = start_study(base, settings, "broken", tmp_path, None)
    if isinstance(exc, KeyboardInterrupt):  # not caught by the experiment: it leaves run_worker
        with pytest.raises(KeyboardInterrupt):
            run_worker(study, settings, base, folder, None, subscribers=[_Raise(exc, n=2)])
    else:
        assert run_worker(study, settings, base, folder, None, subscribers=[_Raise(exc, n=2)]) == "failed"
    study = _reread(folder, "broken")
    assert _states(study) == ["COMPLETE", "FAIL"]
    assert study.trials[1].user_attrs["message"].startswith(("RuntimeError: a subscriber broke", "stopped"))


def test_a_stopped_trial_is_told_and_the_study_goes_on_in_the_same_process(tmp_path):
    from engine.core.control import RunControl
    from engine.search.runner import run_worker, start_study
    from tests.helpers import StopAtRun

    base = _tiny_base()
    settings = search_settings({"trials": 2, "pruner": "none"})
    study, folder = start_study(base, settings, "stopped", tmp_path, None)
    control = RunControl()
    assert run_worker(study, settings, base, folder, None, control=control,
                      subscribers=[StopAtRun(control, n=2)]) == "user_stopped"
    assert _states(_reread(folder, "stopped")) == ["COMPLETE", "FAIL"]
    study, folder = start_study(base, settings, "stopped", tmp_path, None)  # the window goes on with it
    assert run_worker(study, settings, base, folder, time.time() + 120) == "completed"  # the deadline: a net only
    assert _states(_reread(folder, "stopped")) == ["COMPLETE", "FAIL", "COMPLETE"]


def test_a_trial_this_process_left_running_is_reaped_not_waited_for(tmp_path):
    """A trial of this very process, RUNNING but not in progress (an earlier search of the
    window that ended without telling it) is dead: the study goes on instead of waiting."""
    import os

    from engine.search.runner import run_worker, start_study
    from engine.search.storage import worker_host

    base = _tiny_base()
    settings = search_settings({"trials": 2, "pruner": "none"})
    study, folder = start_study(base, settings, "ghost", tmp_path, None)
    ghost = study.ask()
    ghost.set_user_attr("pid", os.getpid())
    ghost.set_user_attr("host", worker_host())
    run_worker(study, settings, base, folder, time.time() + 120)  # the deadline: a net, not the oracle
    study = _reread(folder, "ghost")
    assert "RUNNING" not in _states(study) and _states(study).count("COMPLETE") == 2
    assert study.trials[0].state.name == "FAIL" and "without telling" in study.trials[0].user_attrs["message"]


def test_a_killed_local_workers_trial_is_failed_and_retried_by_the_next(tmp_path):
    import os
    import signal

    import optuna

    from engine.search.runner import run_worker, start_study

    base = _tiny_base(**{"optim.epochs": 200})
    settings = search_settings({"trials": 2, "pruner": "none"})
    study, folder = start_study(base, settings, "killed", tmp_path, None)
    worker = subprocess.Popen([sys.executable, "main.py", "search-worker", "--study", "killed", "--out", str(tmp_path),
                               "--threads", "1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1200):  # until its first trial has trained an epoch (at most ~2 minutes)
            running = study.get_trials(states=(optuna.trial.TrialState.RUNNING,))
            if running and running[0].intermediate_values:
                break
            time.sleep(0.1)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait()
    base = _tiny_base()
    study, folder = start_study(base, settings, "killed", tmp_path, None)
    run_worker(study, settings, base, folder, time.time() + 120)
    study = _reread(folder, "killed")
    assert "RUNNING" not in _states(study) and study.trials[0].state.name == "FAIL"
    assert any(t.user_attrs.get("retry_of") == 0 for t in study.trials)  # its settings were tried again


def test_a_range_that_breaks_a_limit_between_settings_is_refused_when_the_space_is_read():
    from engine.core.config import load_preset

    transfer = load_preset("transfer")  # a fashion_cnn backbone: images of at least 8 pixels
    with pytest.raises(ConfigError) as info:
        search_settings({"params": {"model.backbone_size": {"low": 2, "high": 64}}}, transfer)
    assert info.value.key == "search.model.backbone_size" and "from 8 up for the fashion_cnn" in str(info.value)
    assert search_settings({"params": {"model.backbone_size": {"low": 8, "high": 64}}}, transfer).space


def test_a_trials_value_is_of_the_weights_its_run_ends_with():
    """Not the best epoch the run passed through: the weights its folder keeps, which a test
    evaluation of the best trial then loads."""
    from engine.search.plan import trial_value

    ended = ev.RunFinished(reason=ev.COMPLETED, message="", epochs_completed=9, step=90, best_epoch=4,
                           best_value=0.74, final_metrics={"val_accuracy": 0.61, "max_val_accuracy": 0.74,
                                          "val_loss": 1.3})
    assert trial_value(ended, "val_accuracy", None) == 0.61
    assert trial_value(ended, "val_loss", 0.9) == 1.3


def test_the_weights_a_run_ended_with_are_named_for_its_test_evaluation(tmp_path):
    from engine.experiments.experiment import run_single
    from engine.runs.reader import ending_weights

    plain = run_single(tiny_config({"optim.epochs": 2}), runs_dir=tmp_path / "a").run_dir
    # No later epoch beats the first by min_delta: early stopping puts epoch 1's weights back.
    stopped = run_single(tiny_config({"optim.epochs": 3, "regularization.early_stopping": True,
                                      "regularization.restore_best": True, "regularization.min_delta": 100}),
                         runs_dir=tmp_path / "b").run_dir
    assert ending_weights(plain) == "last" and ending_weights(stopped) == "best"
