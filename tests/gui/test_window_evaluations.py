"""The window's evaluations, driven through its actions: the Evaluation tab, which weights
a report is of, and requests queued behind each other."""

import re

from engine.core import events as ev
from tests.gui.conftest import RUN_TIMEOUT


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
    assert re.search(r"the (best|last) weights \(of the (epoch|last epoch)", page.headline.text())  # which ones


def test_a_validation_asked_while_a_test_evaluation_waits_leaves_it_a_test(qtbot, window, monkeypatch):
    """Both requests queue behind a folder evaluation; each keeps its own split."""
    import threading

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
    window.search_view.refresh()  # the study as the Search tab's next poll reads it
    assert window.search_view.best_on_test.isEnabled()  # what works instead
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):  # an ordinary run: back as they were
        window.actions["start"].trigger()
    assert window.actions["validate"].isEnabled() and "Search tab" not in window.actions["validate"].toolTip()
