"""Open a run… in the Examples tab: the folder is read and scored off the GUI thread (the tab
says "reading…" meanwhile, the last folder asked for wins), a run still training is followed as
it trains, and the engine thread lets go of the folder's data once its images are sent."""

from __future__ import annotations

import threading
import time

from engine.core.control import RunControl
from engine.runs.scores import auroc, precision_at_k
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

NOISY = {"data.label_noise": 0.3, "optim.epochs": 4, "model.width": 64}


def _choose(monkeypatch, folder) -> None:
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(folder))


def test_open_reads_off_the_gui_thread_says_reading_and_the_last_folder_asked_for_wins(
        qtbot, window, tmp_path, monkeypatch):
    from engine.experiments.experiment import run_single
    from engine.runs import dynamics

    first = run_single(tiny_config(NOISY), runs_dir=tmp_path / "a").run_dir
    second = run_single(tiny_config({**NOISY, "data.train_size": 128}), runs_dir=tmp_path / "b").run_dir
    readers = []
    read = dynamics.read_dynamics

    def spied(*args, **kwargs):
        readers.append(threading.current_thread() is threading.main_thread())
        return read(*args, **kwargs)

    monkeypatch.setattr(dynamics, "read_dynamics", spied)
    view = window.examples_view
    _choose(monkeypatch, first)
    view.open_button.click()
    _choose(monkeypatch, second)
    view.open_button.click()  # before the first is read: this one is shown
    assert window.tabs.currentWidget() is view
    assert f"Reading {second.name}" in view.summary.text() and view.tally is None
    qtbot.waitUntil(lambda: window.examples.folder == second, timeout=RUN_TIMEOUT)
    assert view.tally.size == 128 and len(view.tally.epochs) == 4 and view.run_label == second.name
    t = view.tally
    k = int(t.corrupted.sum())
    assert (f"AUROC <b>{auroc(t.score('aum'), t.corrupted):.3f}</b>" in view.summary.text()
            and f"<b>{precision_at_k(t.score('aum'), t.corrupted, k):.0%}</b> of the top {k}" in view.summary.text())
    assert readers and not any(readers)  # every read on a pool thread, none on the GUI thread
    qtbot.wait(300)  # the first folder's read, finished after, changes nothing
    assert window.examples.folder == second and view.tally.size == 128
    # Its images came from the engine thread, which keeps none of the folder's splits after.
    qtbot.waitUntil(lambda: view.images is not None, timeout=RUN_TIMEOUT)
    assert view.images.shape == (128, 28, 28, 1)
    assert window.engine.worker._folder_data is None


def test_a_folder_that_cannot_be_read_leaves_the_tab_as_it_was(qtbot, window, tmp_path, monkeypatch):
    from engine.experiments.experiment import run_single

    good = run_single(tiny_config(NOISY), runs_dir=tmp_path / "a").run_dir
    view = window.examples_view
    _choose(monkeypatch, good)
    view.open_button.click()
    qtbot.waitUntil(lambda: window.examples.folder == good, timeout=RUN_TIMEOUT)
    _choose(monkeypatch, tmp_path / "nothing-here")
    view.open_button.click()
    qtbot.waitUntil(lambda: window.examples.notice is not None, timeout=RUN_TIMEOUT)
    assert "nothing-here" in window.examples.notice.text()
    assert view.tally is window.examples.tally and view.tally.size == 256  # the good one, shown again
    assert good.name in view.summary.text() and view.train_button.isEnabled()


def test_an_opened_run_still_training_grows_as_it_trains(qtbot, window, tmp_path, monkeypatch):
    from engine.experiments.experiment import run_single

    control = RunControl()
    runs = tmp_path / "live"
    config = tiny_config({**NOISY, "optim.epochs": 400, "data.train_size": 128})
    trainer = threading.Thread(target=run_single, args=(config,), kwargs={"control": control, "runs_dir": runs})
    trainer.start()
    try:
        deadline = time.time() + 60
        while not list(runs.glob("*/dynamics/epoch-*")) and time.time() < deadline:
            time.sleep(0.05)
        folder = next(runs.glob("*/dynamics")).parent
        view = window.examples_view
        _choose(monkeypatch, folder)
        view.open_button.click()
        qtbot.waitUntil(lambda: window.examples.folder == folder, timeout=RUN_TIMEOUT)
        assert "still training" in view.summary.text()
        assert not view.train_button.isEnabled()  # not finished: no twin yet
        first = len(view.tally.epochs)
        qtbot.waitUntil(lambda: len(view.tally.epochs) >= first + 2, timeout=RUN_TIMEOUT)  # it grows
        assert view.tally.epochs == list(range(1, len(view.tally.epochs) + 1))
        assert len(view.curves["ranking_auroc"].getData()[0]) == len(view.tally.epochs)  # redrawn as it grows
    finally:
        control.request_stop()
        trainer.join(60)
    # The run has stopped: the tab reads its last epochs and says so.
    qtbot.waitUntil(lambda: "still training" not in view.summary.text(), timeout=RUN_TIMEOUT)
    from engine.runs.dynamics import read_dynamics

    assert len(view.tally.epochs) == len(read_dynamics(folder).epochs)
