"""Listing a runs directory from summaries, and tailing a metrics file being written."""

import json
import shutil

import pytest

from engine.core import events as ev
from engine.experiments.experiment import Experiment, run_single
from engine.runs.checked import UnreadableRun
from engine.runs.index import INTERRUPTED, UNREADABLE, MetricsTail, read_entry, scan
from engine.runs.reader import INCOMPLETE, RUNNING, read_run, recorded_evaluation
from tests.helpers import tiny_config


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    single = run_single(tiny_config({"run.name": "single"}), runs_dir=root)
    experiment = Experiment(tiny_config(), [{"run.seed": 0}, {"run.seed": 1}], runs_dir=root,
                            name="seeds").run()
    return root, single, experiment


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


def test_a_crashed_run_and_a_crashed_experiment_read_incomplete_and_interrupted(runs, tmp_path, dead_pid):
    root, single, experiment = runs
    crashed = tmp_path / single.run_dir.name
    shutil.copytree(single.run_dir, crashed)
    summary = json.loads((crashed / "summary.json").read_text())
    summary.update(status=RUNNING, pid=dead_pid)
    (crashed / "summary.json").write_text(json.dumps(summary))
    assert read_entry(crashed).status == INCOMPLETE
    summary["pid"] = __import__("os").getpid()  # a writer that is alive: running
    (crashed / "summary.json").write_text(json.dumps(summary))
    assert read_entry(crashed).status == RUNNING
    group = tmp_path / experiment.path.name
    shutil.copytree(experiment.path, group)
    record = json.loads((group / "experiment.json").read_text())
    record.update(status=RUNNING, pid=dead_pid)
    (group / "experiment.json").write_text(json.dumps(record))
    experiments, _ = scan(tmp_path)
    assert [e.status for e in experiments] == [INTERRUPTED]


def test_folders_that_are_no_run_folders_are_not_listed(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "metrics.csv").write_text("epoch,loss\n")
    (tmp_path / "notes.txt").write_text("hello")
    assert scan(tmp_path, tmp_path / "missing") == ([], [])


BINARY = b"\x89PNG\r\n\x1a\n" + bytes(range(128, 256)) * 8
DAMAGE = {  # what happens to a file: (how its bytes change, what the listing says of it)
    "empty": (lambda data: b"", "empty"),
    "binary": (lambda data: BINARY, "binary"),
    "cut off": (lambda data: data[: len(data) // 2], "cut off"),
    "of another shape": (lambda data: b"[1, 2, 3]\n", "a list, not an object"),
}


def damaged_copy(runs, tmp_path, file: str, damage: str):
    """A copy of the runs folder with `file` of one folder damaged: of the experiment (its
    record), or of the experiment's first run. Returns (root, the damaged folder)."""
    root, _, experiment = runs
    copy = tmp_path / "runs"
    shutil.copytree(root, copy)
    folder = copy / experiment.path.name
    if file != "experiment.json":
        folder = folder / experiment.trials[0].run_dir.name
    change, _ = DAMAGE[damage]
    (folder / file).write_bytes(change((folder / file).read_bytes()))
    return copy, folder


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("file", ["summary.json", "config.json", "experiment.json", "metrics.jsonl"])
def test_a_damaged_file_lists_its_folder_as_unreadable_and_every_other_run(runs, tmp_path, file, damage):
    root, single, experiment = runs
    copy, damaged = damaged_copy(runs, tmp_path, file, damage)
    experiments, loose = scan(copy)
    entries = {e.path: e for e in [*experiments, *loose, *(r for e in experiments for r in e.runs)]}
    # every run folder is listed, the damaged one too
    assert set(entries) == {copy / single.run_dir.name, copy / experiment.path.name,
                            *(copy / experiment.path.name / t.run_dir.name for t in experiment.trials)}
    bad = entries.pop(damaged)
    assert bad.status == UNREADABLE
    assert bad.problem.startswith(str(damaged / file) + ": ") and DAMAGE[damage][1] in bad.problem
    assert {e.status for e in entries.values()} == {ev.COMPLETED}
    assert all(e.problem is None for e in entries.values())


@pytest.mark.parametrize(("file", "record", "said"), [
    ("summary.json", {"status": ["completed"]}, "'status' is a list, not a string"),
    ("summary.json", {"status": "completed", "final_metrics": {"end_gap": "big"}},
     "'final_metrics.end_gap' is a string, not a number"),
    ("config.json", {"run": "overfit"}, "'run' is a string, not an object"),
    ("experiment.json", {"trials": [3]}, "'trials' item 1 is a number, not an object"),
    ("experiment.json", {"base": {"run": None}}, "'base.run' is null, not an object"),
])
def test_a_field_of_another_type_is_named(runs, tmp_path, file, record, said):
    copy, damaged = damaged_copy(runs, tmp_path, file, "empty")
    (damaged / file).write_text(json.dumps(record))
    experiments, loose = scan(copy)
    entries = [*experiments, *loose, *(r for e in experiments for r in e.runs)]
    (bad,) = [e for e in entries if e.status == UNREADABLE]
    assert bad.path == damaged and bad.problem == f"{damaged / file}: {said}"


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("file", ["summary.json", "config.json", "metrics.jsonl"])
def test_reading_a_damaged_run_names_the_file(runs, tmp_path, file, damage):
    _, damaged = damaged_copy(runs, tmp_path, file, damage)
    if file == "metrics.jsonl" and damage == "cut off":  # what a crash leaves: read without the last line
        run = read_run(damaged)
        assert run.skipped_lines == 1 and run.steps and run.events[0]["event"] == "RunStarted"
        return
    with pytest.raises(UnreadableRun) as raised:
        read_run(damaged)
    assert raised.value.path == damaged / file
    assert str(raised.value).startswith(f"{damaged / file}: ") and DAMAGE[damage][1] in str(raised.value)


def test_a_damaged_recorded_evaluation_is_named_not_ignored(runs, tmp_path):
    """The locked test split's record, damaged: said, so it is never silently evaluated again."""
    _, single, _ = runs
    folder = tmp_path / "run"
    shutil.copytree(single.run_dir, folder)
    summary = json.loads((folder / "summary.json").read_text())
    (folder / "summary.json").write_text(json.dumps({**summary, "test": {"accuracy": 0.5}}))
    with pytest.raises(UnreadableRun, match=r"summary.json: 'test' is not a whole evaluation report \(it lacks"):
        recorded_evaluation(folder, "test")
    (folder / "summary.json").write_text(json.dumps({**summary, "test": [0.5]}))
    with pytest.raises(UnreadableRun, match=r"summary.json: 'test' is a list, not an object"):
        recorded_evaluation(folder, "test")


def test_a_tail_skips_lines_of_another_shape(tmp_path):
    binary_line = bytes(range(128, 256)) + b"\n"
    (tmp_path / "metrics.jsonl").write_bytes(b'[1, 2]\n"text"\n{"type": "epoch", "epoch": 1}\n' + binary_line)
    tail = MetricsTail(tmp_path)
    assert tail.read() == 1 and tail.epochs == [{"type": "epoch", "epoch": 1}] and tail.skipped == 3


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
