"""Hyperparameter search: the [search] section, the journal study, PostgreSQL with workers."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.core.config import ConfigError
from engine.runs.reader import read_run
from engine.search.space import DEFAULT_SPACE, search_settings
from tests.engine.test_cli import ROOT, cli

TINY = ["--set", "data.train_size=200", "--set", "data.val_size=200", "--set", "optim.epochs=3",
        "--set", "model.width=32"]


def test_the_default_space_and_a_declared_one():
    from engine.core.config import load_preset

    s = search_settings(None)
    assert set(s.space) == set(DEFAULT_SPACE) and s.space["optim.lr"].log and s.space["model.width"].integer
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


def test_an_unreachable_storage_is_named_quickly_and_leaves_nothing(tmp_path):
    t0 = time.time()
    proc = cli("search", "--trials", "2", "--storage", "postgresql+psycopg://me:secret@127.0.0.1:1/none",
               "--out", str(tmp_path))
    assert proc.returncode == 2 and time.time() - t0 < 30  # the process start included
    assert "storage" in proc.stderr and "secret" not in proc.stderr and "127.0.0.1" in proc.stderr
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
