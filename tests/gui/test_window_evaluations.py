"""The window's evaluations, driven through its actions: the Evaluation tab, which weights
a report is of, and requests queued behind each other."""

import re
import threading

import pytest

from engine.core import events as ev
from engine.runs.reader import list_runs, read_run
from gui.worker import RunHandle
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def test_the_evaluation_tab_is_enabled_and_shown_after_an_evaluation(qtbot, window):
    tabs, page = window.tabs, window.evaluation
    assert not tabs.isTabEnabled(tabs.indexOf(page))  # no report yet
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT):
        window.actions["validate"].trigger()
    assert tabs.isTabEnabled(tabs.indexOf(page))
    assert tabs.currentWidget() is page and page.isEnabled()
    assert tabs.isTabEnabled(tabs.indexOf(window.experiment_view))
    assert re.search(r"the (best|last) weights \((saved at the epoch|where the run ended)", page.headline.text())  # which ones


def test_a_validation_asked_while_a_test_evaluation_waits_leaves_it_a_test(qtbot, window, monkeypatch):
    """Both requests queue behind a folder evaluation; each keeps its own split."""

    from engine.runs import stored
    from engine.runs.reader import list_runs

    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    gate, real = threading.Event(), stored.evaluate_folder

    def gated(*args, **kw):  # holds the engine thread until both requests are queued
        gate.wait(30)
        return real(*args, **kw)

    monkeypatch.setattr(stored, "evaluate_folder", gated)
    number, splits = window.handle.number, []
    window.engine.worker.event_emitted.connect(
        lambda n, e: splits.append(e.split) if n == number and isinstance(e, ev.Evaluated) else None)
    window.evaluate_folder("val", str(list_runs(window.runs_dir)[0]), "best")
    window.actions["test"].trigger()
    window.actions["validate"].trigger()
    gate.set()
    qtbot.waitUntil(lambda: len(splits) == 2, timeout=RUN_TIMEOUT)
    assert splits == ["test", "val"]
    qtbot.waitUntil(lambda: window.test_result is not None, timeout=RUN_TIMEOUT)
    assert window.test_result.split == "test"


def test_the_validation_gallery_of_a_frozen_backbone_run_shows_its_images(qtbot, window):
    from tests.helpers import tiny_config

    window.settings_panel.set_config(tiny_config({
        "data.classes": "odd", "data.train_size": 50, "data.val_size": 200, "model.backbone": "fashion_cnn",
        "model.transfer": "frozen", "optim.epochs": 1, "optim.batch_size": 16}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as ended:
        window.actions["start"].trigger()
    assert ended.args[0].reason == ev.COMPLETED
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT) as shown:
        window.actions["validate"].trigger()
    assert shown.args[0].errors  # one epoch of a head: some mistakes to show
    gallery = window.evaluation.gallery
    qtbot.waitUntil(lambda: gallery.count() > 0 or window.error_dialog is not None, timeout=RUN_TIMEOUT)
    assert window.error_dialog is None
    icon = gallery.item(0).icon().pixmap(56, 56)
    assert not icon.isNull() and icon.width() == 56


def test_a_folders_recorded_test_result_is_said_to_be_so_instead_of_asking_which_weights(
        qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from engine.experiments.experiment import run_single
    from tests.helpers import tiny_config

    folder = str(run_single(tiny_config({"optim.epochs": 3}), runs_dir=tmp_path / "elsewhere").run_dir)
    asked = []
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a: asked.append(a[1]) or ("best", True)))
    window.evaluate_folder("test", folder)
    qtbot.waitUntil(lambda: "locked test split" in window.evaluation.headline.text(), timeout=RUN_TIMEOUT)
    assert asked == ["Which weights?"] and "best weights" in window.evaluation.headline.text()
    window.evaluation.headline.setText("")
    window.evaluate_folder("test", folder)  # again: the record answers, no choice is offered
    assert asked == ["Which weights?"]
    notice = window.evaluations.notice
    assert notice.isVisible() and "already" in notice.text() and "best weights" in notice.text()
    assert "best weights" in window.evaluation.headline.text()
    notice.close()


def test_after_a_search_the_evaluate_actions_are_off_and_say_where_to_evaluate(qtbot, window):
    """A search keeps no run in the window to evaluate (both actions always failed): they are
    disabled, and their tooltip points at the Search tab's best-trial evaluation."""
    from gui.controllers.experiment_dialogs import SearchDialog
    from tests.helpers import tiny_config

    window.settings_panel.set_config(tiny_config({"optim.epochs": 1}))
    dialog = SearchDialog(window, "tiny-search")
    dialog.trials.setValue(2)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as ended:
        window.experiments.search(dialog)
    assert ended.args[0].reason in ev.USABLE
    for name in ("validate", "test"):
        action = window.actions[name]
        assert not action.isEnabled(), name
        assert "Search tab" in action.toolTip() and "best trial" in action.toolTip()
    window.search_view.refresh()  # the study as the Search tab's next poll reads it (off the GUI thread)
    qtbot.waitUntil(window.search_view.best_on_test.isEnabled, timeout=RUN_TIMEOUT)  # what works instead
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):  # an ordinary run: back as they were
        window.actions["start"].trigger()
    assert window.actions["validate"].isEnabled() and "Search tab" not in window.actions["validate"].toolTip()


def test_test_set_evaluation_once_after_the_run_and_shown_again_on_request(qtbot, window):
    test = window.actions["test"]
    assert not test.isEnabled()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    assert test.isEnabled()
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT) as sig:
        test.trigger()
    panel = window.evaluation
    assert window.tabs.currentWidget() is panel and panel.table.rowCount() == 10
    # The gallery of misclassified examples fills with real thumbnails, a page at a time.
    qtbot.waitUntil(lambda: panel.gallery.count() > 0, timeout=RUN_TIMEOUT)
    icon = panel.gallery.item(0).icon().pixmap(56, 56)
    assert not icon.isNull() and icon.width() == 56
    assert "accuracy" in panel.headline.text() and "10,000 examples of the locked test split" in panel.headline.text()
    run = read_run(list_runs(window.runs_dir)[0])
    assert run.summary["test"]["accuracy"] == sig.args[0].accuracy
    window.tabs.setCurrentWidget(window.plots)
    # Once: the action now reopens the recorded result instead of evaluating again.
    assert test.isEnabled() and test.text() == "Show test result"
    with qtbot.waitSignal(window.test_shown, timeout=5_000) as again:
        test.trigger()
    assert again.args[0] is sig.args[0]
    assert sum(e["event"] == "Evaluated" for e in read_run(run.path).events) == 1
    assert window.tabs.currentWidget() is window.evaluation


def test_the_engine_thread_evaluates_any_run_folder_once(qtbot, window, tmp_path):
    from engine.experiments.experiment import run_single

    trial = run_single(tiny_config(), runs_dir=tmp_path / "headless")  # a run made elsewhere
    handle = RunHandle(run_dir=trial.run_dir)
    seen = []
    window.engine.worker.event_emitted.connect(lambda n, e: seen.append((n, e)))
    for _ in range(2):
        window.engine.evaluate(handle)
        qtbot.waitUntil(lambda: not handle.busy, timeout=RUN_TIMEOUT)
    reports = [e for n, e in seen if n == handle.number]
    assert [type(e).__name__ for e in reports] == ["Evaluated", "Evaluated"]
    assert reports[0] == reports[1] and sum(reports[0].support) == 10_000  # recorded, not redone
    assert read_run(trial.run_dir).summary["test"]["accuracy"] == reports[0].accuracy
    window.engine.evaluate(RunHandle(run_dir=tmp_path))  # not a run folder
    qtbot.waitUntil(lambda: any(isinstance(e, ev.EvaluationFailed) for _, e in seen), timeout=RUN_TIMEOUT)
    failed = next(e for _, e in seen if isinstance(e, ev.EvaluationFailed))
    assert f"{tmp_path}: not a run folder" in failed.message


def test_validation_as_often_as_asked_and_any_run_folder_from_the_window(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    validate = window.actions["validate"]
    assert validate.isEnabled()
    shown = []
    window.engine.worker.event_emitted.connect(lambda n, e: shown.append(e) if isinstance(e, ev.Evaluated) else None)
    for _ in range(2):
        validate.trigger()
        qtbot.waitUntil(lambda: not window.handle.busy, timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=RUN_TIMEOUT)
    assert [r.split for r in shown] == ["val", "val"] and shown[0].examples == 256
    assert window.tabs.currentWidget() is window.evaluation
    assert "256 examples of the validation split" in window.evaluation.headline.text()
    assert window.actions["test"].isEnabled()  # validation never uses up the test split
    assert read_run(list_runs(window.runs_dir)[0]).summary["validation"]["split"] == "val"
    from engine.experiments.experiment import run_single

    other = run_single(tiny_config({"run.seed": 3}), runs_dir=tmp_path / "elsewhere").run_dir
    window.evaluate_folder("test", str(other), "last")
    qtbot.waitUntil(lambda: other.name in window.evaluation.headline.text(), timeout=RUN_TIMEOUT)
    assert "10,000 examples of the locked test split" in window.evaluation.headline.text()
    assert "last weights" in window.evaluation.headline.text()  # as chosen
    assert window.test_result is None  # that was another run's test split, not this one's
    window.evaluate_folder("val", str(tmp_path))  # not a run folder
    qtbot.waitUntil(lambda: window.error_dialog is not None and window.error_dialog.isVisible(), timeout=RUN_TIMEOUT)
    assert "not a run folder" in window.error_dialog.text() and "Nothing in the run folder" in window.error_dialog.text()
    window.error_dialog.close()


def test_a_toy_runs_errors_are_ringed_on_the_boundary_not_shown_as_thumbnails(qtbot, window):
    window.settings_panel.set_config(tiny_config({"data.dataset": "spirals", "data.train_size": 64,
                                                  "data.val_size": 64, "data.test_size": 32,
                                                  "optim.epochs": 3}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    asked = []
    window.evaluation.thumbnails_wanted.connect(lambda split, indices: asked.append(indices))
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT) as sig:
        window.actions["validate"].trigger()
    report = sig.args[0]
    assert not report.image_data and report.errors  # an untrained-ish spiral net errs
    wrong_x, wrong_y = window.plots.boundary.wrong.getData()
    assert len(wrong_x) == len(report.errors) == len(report.error_points)
    assert [wrong_x[0], wrong_y[0]] == pytest.approx(report.error_points[0])
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT) as sig:  # the test split too
        window.actions["test"].trigger()
    assert len(window.plots.boundary.wrong.getData()[0]) == len(sig.args[0].errors) > 0
    assert "2-D points, not images" in window.evaluation.gallery_title.text()
    assert asked == [] and window.error_dialog is None  # no thumbnails are asked of toy data
