"""Listing a runs directory from summaries, and tailing a metrics file being written."""

import json
import shutil
import subprocess
import sys

import pytest

from engine.core import events as ev
from engine.experiments.experiment import Experiment, run_single
from engine.runs.index import INTERRUPTED, MetricsTail, read_entry, scan
from engine.runs.reader import INCOMPLETE, RUNNING
from tests.helpers import tiny_config


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    single = run_single(tiny_config({"run.name": "single"}), runs_dir=root)
    experiment = Experiment(tiny_config(), [{"run.seed": 0}, {"run.seed": 1}], runs_dir=root,
                            name="seeds").run()
    return root, single, experiment


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_scan_lists_runs_and_experiments_with_their_figures(runs):
    root, single, experiment = runs
    experiments, loose = scan(root)
    (entry,) = loose
    assert entry.path == single.run_dir and entry.name == "single" and entry.status == ev.COMPLETED
    f = single.result.final_metrics
    assert entry.epochs == 2 and entry.best_val_accuracy == f["max_val_accuracy"] and entry.gap == f["end_gap"]
    assert entry.test_accuracy is None and entry.started[:2] == "20"
    (group,) = experiments
    assert group.path == experiment.path and group.status == ev.COMPLETED and group.planned == 2
    assert [r.path for r in group.runs] == [t.run_dir for t in experiment.trials]
    assert all(r.experiment == experiment.path for r in group.runs)


def test_a_crashed_run_and_a_crashed_experiment_read_incomplete_and_interrupted(runs, tmp_path):
    root, single, experiment = runs
    crashed = tmp_path / single.run_dir.name
    shutil.copytree(single.run_dir, crashed)
    summary = json.loads((crashed / "summary.json").read_text())
    summary.update(status=RUNNING, pid=dead_pid())
    (crashed / "summary.json").write_text(json.dumps(summary))
    assert read_entry(crashed).status == INCOMPLETE
    summary["pid"] = __import__("os").getpid()  # a writer that is alive: running
    (crashed / "summary.json").write_text(json.dumps(summary))
    assert read_entry(crashed).status == RUNNING
    group = tmp_path / experiment.path.name
    shutil.copytree(experiment.path, group)
    record = json.loads((group / "experiment.json").read_text())
    record.update(status=RUNNING, pid=dead_pid())
    (group / "experiment.json").write_text(json.dumps(record))
    experiments, _ = scan(tmp_path)
    assert [e.status for e in experiments] == [INTERRUPTED]


def test_unreadable_folders_are_skipped_not_fatal(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{ not json")
    (tmp_path / "notes.txt").write_text("hello")
    assert scan(tmp_path, tmp_path / "missing") == ([], [])


def test_a_tail_reads_only_new_complete_lines_of_a_growing_file(runs, tmp_path):
    root, single, _ = runs
    lines = (single.run_dir / "metrics.jsonl").read_bytes().splitlines(keepends=True)
    epoch_lines = [i for i, line in enumerate(lines) if line.startswith(b'{"type": "epoch"')]
    target = tmp_path / "live"
    target.mkdir()
    path = target / "metrics.jsonl"
    tail = MetricsTail(target)
    assert tail.read() == 0  # no file yet
    first_epoch = epoch_lines[0]
    path.write_bytes(b"".join(lines[:first_epoch]) + lines[first_epoch][:25])  # half a line
    assert tail.read() == 0 and tail.steps > 0 and tail.events
    with open(path, "ab") as fh:  # the writer finishes that line
        fh.write(lines[first_epoch][25:])
    assert tail.read() == 1 and tail.epochs[0]["epoch"] == 1
    assert tail.read() == 0  # nothing new
    with open(path, "ab") as fh:
        fh.write(b"".join(lines[first_epoch + 1:]))
    assert tail.read() == 1 and [r["epoch"] for r in tail.epochs] == [1, 2]
    assert tail.finished and tail.skipped == 0
    xs, ys = tail.curve("val_accuracy")
    assert xs == [1, 2] and ys[-1] == single.trainer.history[-1].val_accuracy


def test_a_thousand_folders_list_completely(runs, tmp_path):
    root, single, _ = runs
    for i in range(1000):
        shutil.copytree(single.run_dir, tmp_path / f"20261126-000000-run-{i:04d}",
                        ignore=shutil.ignore_patterns("*.safetensors"))
    experiments, loose = scan(tmp_path)
    assert len(loose) == 1000 and not experiments
    assert {e.status for e in loose} == {ev.COMPLETED}
