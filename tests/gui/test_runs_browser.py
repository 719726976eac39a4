"""The runs browser over real run and experiment folders, copied from runs made once."""

from __future__ import annotations

import json
import os
import platform
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QFile, QItemSelection, QItemSelectionModel, QModelIndex, Qt

from engine.experiments.experiment import Experiment, run_single
from gui.panels.runs_browser import (
    BEST,
    EPOCHS,
    PATH_ROLE,
    RUN,
    STATUS,
    TROUBLE,
    TWIN_TIP,
    RunsBrowser,
)
from tests.helpers import tiny_config


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One loose run and a two-run cv experiment, trained once for the whole module."""
    root = tmp_path_factory.mktemp("made")
    run = run_single(tiny_config(), runs_dir=root).run_dir
    experiment = Experiment(tiny_config(), [{"run.seed": 0}, {"run.seed": 1}], runs_dir=root,
                            name="seeds", kind="cv").run().path
    return run, experiment


@pytest.fixture
def runs_dir(made, tmp_path):
    runs = tmp_path / "runs"
    for folder in made:
        shutil.copytree(folder, runs / folder.name)
    return runs


def make_browser(qtbot, root) -> RunsBrowser:
    browser = RunsBrowser(root)
    qtbot.addWidget(browser)
    return browser


def copy_run(source: Path, root: Path, name: str, **summary) -> Path:
    """A copy of `source` under `root`, its summary changed (a None value removes the key)."""
    target = root / f"20261126-{len(list(root.glob('*'))) if root.exists() else 0:06d}-{name}"
    shutil.copytree(source, target)
    record = json.loads((target / "summary.json").read_text())
    record.update(summary)
    (target / "summary.json").write_text(json.dumps({k: v for k, v in record.items() if v is not None}))
    return target


def rows(browser, parent=None) -> list[str]:
    """The Run column of the rows shown under `parent` (top level by default), in view order."""
    parent = parent or QModelIndex()
    return [browser.proxy.index(r, RUN, parent).data() for r in range(browser.proxy.rowCount(parent))]


def index_of(browser, path: Path, parent=None):
    parent = parent or QModelIndex()
    for r in range(browser.proxy.rowCount(parent)):
        index = browser.proxy.index(r, RUN, parent)
        if index.data(PATH_ROLE) == path:
            return index
        found = index_of(browser, path, index)
        if found is not None:
            return found
    return None


def cell(browser, path: Path, column: int) -> str:
    return index_of(browser, path).siblingAtColumn(column).data()


def select(browser, *paths: Path) -> None:
    """Select the rows of `paths` at once, as a shift-click would."""
    selection = QItemSelection()
    for path in paths:
        selection.select(index_of(browser, path), index_of(browser, path))
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    browser.tree.selectionModel().select(selection, flags)


def epoch_lines(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()
            if line.startswith('{"type": "epoch"')]


def test_lists_loose_runs_and_an_experiment_with_its_runs(qtbot, made, runs_dir):
    run, experiment = (runs_dir / p.name for p in made)
    browser = make_browser(qtbot, runs_dir)
    children = sorted(p for p in experiment.iterdir() if p.is_dir())
    assert sorted(rows(browser)) == sorted(["cv: seeds (2/2 runs)", run.name[16:]])
    assert sorted(rows(browser, index_of(browser, experiment))) == sorted(p.name[16:] for p in children)
    assert cell(browser, run, STATUS) == "completed"
    assert cell(browser, run, EPOCHS) == "2"
    best = json.loads((run / "summary.json").read_text())["final_metrics"]["max_val_accuracy"]
    assert cell(browser, run, BEST) == f"{best * 100:.1f} %"
    assert cell(browser, experiment, BEST) == "–"


def test_filter_hides_rows_and_keeps_the_experiment_of_a_matching_run(qtbot, made, runs_dir):
    run, experiment = (runs_dir / p.name for p in made)
    browser = make_browser(qtbot, runs_dir)
    child = sorted(p for p in experiment.iterdir() if p.is_dir())[0]
    browser.filter.setText(child.name[-8:].upper())  # its uuid, in the other case
    assert rows(browser) == ["cv: seeds (2/2 runs)"]
    assert rows(browser, index_of(browser, experiment)) == [child.name[16:]]
    browser.filter.setText("SEEDS")
    assert rows(browser) == ["cv: seeds (2/2 runs)"]
    assert len(rows(browser, index_of(browser, experiment))) == 2  # a matching experiment shows all its runs
    browser.filter.setText("no such run")
    assert rows(browser) == []
    browser.filter.clear()
    assert len(rows(browser)) == 2


def test_best_val_acc_sorts_by_number_not_text(qtbot, made, tmp_path):
    root = tmp_path / "sorted"
    for name, best in [("a", 0.9), ("b", 0.05), ("c", None), ("d", 0.10)]:
        run = copy_run(made[0], root, name)
        record = json.loads((run / "summary.json").read_text())
        record["final_metrics"]["max_val_accuracy"] = best
        (run / "summary.json").write_text(json.dumps(record))
    browser = make_browser(qtbot, root)
    browser.tree.sortByColumn(BEST, Qt.SortOrder.AscendingOrder)
    shown = [browser.proxy.index(r, BEST).data() for r in range(browser.proxy.rowCount())]
    assert shown == ["–", "5.0 %", "10.0 %", "90.0 %"]
    browser.tree.sortByColumn(BEST, Qt.SortOrder.DescendingOrder)
    assert browser.proxy.index(0, BEST).data() == "90.0 %"


def test_selecting_an_experiment_selects_its_runs(qtbot, made, runs_dir):
    run, experiment = (runs_dir / p.name for p in made)
    browser = make_browser(qtbot, runs_dir)
    children = [p for p in experiment.iterdir() if p.is_dir()]
    with qtbot.waitSignal(browser.selection_changed) as told:
        select(browser, experiment)
    assert sorted(told.args[0]) == sorted(children)
    assert sorted(browser.selected_runs()) == sorted(children)
    with qtbot.waitSignal(browser.selection_changed) as told:
        select(browser, experiment, run)
    assert sorted(told.args[0]) == sorted([*children, run])
    assert not browser.actions_by_name["open"].isEnabled()  # one run at a time
    browser.refresh()
    assert sorted(browser.selected_runs()) == sorted([*children, run])  # kept across a rescan


def test_open_and_twin_ask_for_the_selected_run(qtbot, made, runs_dir):
    run = runs_dir / made[0].name
    browser = make_browser(qtbot, runs_dir)
    select(browser, run)
    with qtbot.waitSignal(browser.open_requested) as opened:
        browser.actions_by_name["open"].trigger()
    assert opened.args == [run]
    with qtbot.waitSignal(browser.twin_requested) as twinned:
        browser.actions_by_name["twin"].trigger()
    assert twinned.args == [run]
    assert browser.actions_by_name["twin"].toolTip() == TWIN_TIP
    assert not browser.actions_by_name["resume"].isEnabled()  # a run, not an interrupted experiment


def test_rename_keeps_the_timestamp_and_refuses_bad_names(qtbot, made, runs_dir, monkeypatch):
    run = runs_dir / made[0].name
    browser = make_browser(qtbot, runs_dir)
    warnings = []
    monkeypatch.setattr(browser, "_warn", warnings.append)
    select(browser, run)
    monkeypatch.setattr(browser, "_ask_name", lambda old: "a/b")
    browser.actions_by_name["rename"].trigger()
    assert run.is_dir() and run.name in warnings[-1]
    monkeypatch.setattr(browser, "_ask_name", lambda old: "my baseline")
    browser.actions_by_name["rename"].trigger()
    renamed = runs_dir / f"{run.name[:16]}my-baseline"
    assert renamed.is_dir() and not run.exists()
    assert "my-baseline" in rows(browser)
    assert browser.selected_runs() == [renamed]


def test_a_running_run_is_not_renamed_or_deleted(qtbot, made, runs_dir, monkeypatch):
    running = copy_run(made[0], runs_dir, "live", status="running", pid=os.getpid(), host=platform.node())
    browser = make_browser(qtbot, runs_dir)
    warnings = []
    monkeypatch.setattr(browser, "_warn", warnings.append)
    monkeypatch.setattr(browser, "_ask_name", lambda old: "renamed")
    monkeypatch.setattr(browser, "_confirm", lambda text: True)
    select(browser, running)
    assert not browser.actions_by_name["rename"].isEnabled()
    assert not browser.actions_by_name["delete"].isEnabled()
    browser.rename_selected()
    browser.delete_selected()
    assert running.is_dir() and len(warnings) == 2 and all(running.name in w for w in warnings)


def test_delete_asks_first_then_moves_to_the_trash(qtbot, made, runs_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # the trash of this test, not the user's
    (tmp_path / "xdg").mkdir()
    run, experiment = (runs_dir / p.name for p in made)
    browser = make_browser(qtbot, runs_dir)
    asked = []
    monkeypatch.setattr(browser, "_confirm", lambda text: asked.append(text) or False)
    select(browser, run, experiment)
    browser.actions_by_name["delete"].trigger()
    assert run.is_dir() and experiment.is_dir() and len(rows(browser)) == 2
    assert "2 folders" in asked[0] and run.name in asked[0] and experiment.name in asked[0]
    monkeypatch.setattr(browser, "_confirm", lambda text: True)
    select(browser, run)
    browser.actions_by_name["delete"].trigger()
    assert not run.exists() and (tmp_path / "xdg" / "Trash" / "files" / run.name).is_dir()
    assert rows(browser) == ["cv: seeds (2/2 runs)"]


def test_delete_for_good_only_after_a_second_yes(qtbot, made, runs_dir, monkeypatch):
    monkeypatch.setattr(QFile, "moveToTrash", staticmethod(lambda path: False))
    run = runs_dir / made[0].name
    browser = make_browser(qtbot, runs_dir)
    answers, asked = [True, False], []
    monkeypatch.setattr(browser, "_confirm", lambda text: asked.append(text) or answers.pop(0))
    select(browser, run)
    browser.delete_selected()
    assert run.is_dir() and len(asked) == 2 and "permanently" in asked[1] and run.name in asked[1]
    answers[:] = [True, True]
    select(browser, run)
    browser.delete_selected()
    assert not run.exists() and len(rows(browser)) == 1


def test_a_running_run_shows_its_epochs_as_they_are_written(qtbot, made, runs_dir):
    lines = epoch_lines(made[0])
    running = copy_run(made[0], runs_dir, "live", status="running", pid=os.getpid(), host=platform.node(),
                       final_metrics=None, epochs_completed=None)
    metrics = running / "metrics.jsonl"
    metrics.write_text(json.dumps(lines[0]) + "\n")
    browser = make_browser(qtbot, runs_dir)
    assert cell(browser, running, STATUS) == "running"
    assert cell(browser, running, EPOCHS) == "1"
    assert browser.tail(running) is not None and len(browser.tail(running).epochs) == 1
    with qtbot.waitSignal(browser.runs_updated, timeout=5000) as updated, open(metrics, "a") as fh:
        fh.write(json.dumps(lines[1]) + "\n")
        fh.flush()  # the browser re-reads running runs every second
    assert updated.args == [[running]]
    assert cell(browser, running, EPOCHS) == "2"
    third = json.dumps({**lines[1], "epoch": 3, "val_accuracy": 0.9})
    with qtbot.assertNotEmitted(browser.runs_updated, wait=2500), open(metrics, "a") as fh:
        fh.write(third[:40])  # half a line: the writer is still at it (two re-reads see it)
        fh.flush()
    assert cell(browser, running, EPOCHS) == "2"
    with open(metrics, "a") as fh:
        fh.write(third[40:] + "\n")
    qtbot.waitUntil(lambda: cell(browser, running, EPOCHS) == "3", timeout=5000)
    assert cell(browser, running, BEST) == "90.0 %"
    summary = json.loads((made[0] / "summary.json").read_text())
    (running / "summary.json").write_text(json.dumps({**summary, "epochs_completed": 3}))
    # It has ended: listed from its summary, no longer tailed.
    qtbot.waitUntil(lambda: cell(browser, running, STATUS) == "completed", timeout=5000)
    assert browser.tail(running) is None


def test_an_interrupted_experiment_can_be_resumed(qtbot, made, runs_dir, dead_pid):
    experiment = runs_dir / made[1].name
    browser = make_browser(qtbot, runs_dir)
    select(browser, experiment)
    assert not browser.actions_by_name["resume"].isEnabled()  # it completed
    record = json.loads((experiment / "experiment.json").read_text())
    record.update(status="running", pid=dead_pid, host=platform.node())
    (experiment / "experiment.json").write_text(json.dumps(record))
    browser.refresh()
    assert cell(browser, experiment, STATUS) == "interrupted"
    status = index_of(browser, experiment).siblingAtColumn(STATUS).data(Qt.ItemDataRole.ForegroundRole)
    assert status.color() == TROUBLE
    assert browser.actions_by_name["resume"].isEnabled()
    with qtbot.waitSignal(browser.resume_requested) as resumed:
        browser.actions_by_name["resume"].trigger()
    assert resumed.args == [experiment]


def test_add_root_lists_the_runs_of_another_folder(qtbot, made, runs_dir, tmp_path):
    shared = tmp_path / "shared"
    other = copy_run(made[0], shared, "from-elsewhere")
    browser = make_browser(qtbot, runs_dir)
    assert index_of(browser, other) is None
    browser.add_root(shared)
    assert index_of(browser, other) is not None and len(rows(browser)) == 3


def test_a_folder_written_by_another_process_appears(qtbot, made, runs_dir):
    browser = make_browser(qtbot, runs_dir)
    new = copy_run(made[0], runs_dir, "headless")
    qtbot.waitUntil(lambda: index_of(browser, new) is not None, timeout=5000)


def test_a_run_written_to_a_runs_folder_that_did_not_exist_yet_appears(qtbot, made, tmp_path):
    runs = tmp_path / "not-yet"  # a first launch: the first headless run creates the folder
    browser = make_browser(qtbot, runs)
    assert rows(browser) == []
    new = copy_run(made[0], runs, "headless")
    qtbot.waitUntil(lambda: index_of(browser, new) is not None, timeout=10000)


def test_a_searchs_trials_are_listed_under_their_study(qtbot, made, runs_dir):
    study = runs_dir / "my-search"
    worker = study / made[1].name
    shutil.copytree(made[1], worker)
    record = json.loads((worker / "experiment.json").read_text())
    (worker / "experiment.json").write_text(json.dumps({**record, "kind": "search", "name": "worker"}))
    (study / "search.json").write_text(json.dumps({"study": "my-search"}))
    browser = make_browser(qtbot, runs_dir)
    assert "search: my-search (2 trials, 1 worker)" in rows(browser)
    trials = sorted(p for p in worker.iterdir() if p.is_dir())
    assert all(index_of(browser, t) is not None for t in trials)
    with qtbot.waitSignal(browser.selection_changed) as told:
        select(browser, study)
    assert sorted(told.args[0]) == trials
    assert not browser.actions_by_name["rename"].isEnabled()  # a study is named by its folder


def test_added_folders_are_remembered_by_the_next_window(qtbot, made, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from gui.window.main_window import MainWindow

    shared = tmp_path / "shared"
    other = copy_run(made[0], shared, "from-elsewhere")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(shared))
    first = MainWindow(tiny_config(), runs_dir=tmp_path / "runs")
    qtbot.addWidget(first)
    first.runs_dock.browser.actions_by_name["add"].trigger()
    first.close()
    second = MainWindow(tiny_config(), runs_dir=tmp_path / "runs")
    qtbot.addWidget(second)
    assert index_of(second.runs_dock.browser, other) is not None


def test_a_scan_begun_before_a_delete_does_not_bring_the_deleted_run_back(qtbot, made, runs_dir, monkeypatch):
    import threading

    import gui.panels.runs_scan as runs_scan

    browser = make_browser(qtbot, runs_dir)
    run = runs_dir / made[0].name
    assert index_of(browser, run) is not None
    started, release, real_scan = threading.Event(), threading.Event(), runs_scan.scan_all

    def slow_scan(roots):  # the background scan reads the folder as it is, then takes its time
        result = real_scan(roots)
        started.set()
        release.wait(30)
        return result

    monkeypatch.setattr(runs_scan, "scan_all", slow_scan)
    delivered = []
    browser.scanner.scanned.connect(delivered.append)
    browser.rescan_soon()
    qtbot.waitUntil(started.is_set, timeout=10_000)
    shutil.rmtree(run)  # deleted meanwhile (the dock's Delete, or another program) ...
    browser.refresh()  # ... and read again at once
    assert index_of(browser, run) is None
    release.set()
    import threading as _threading

    qtbot.waitUntil(lambda: not any(t.name == "runs-scan" for t in _threading.enumerate()), timeout=10_000)
    qtbot.wait(50)  # its result was posted before the thread ended: handled (and dropped) by now
    assert index_of(browser, run) is None and delivered == []
