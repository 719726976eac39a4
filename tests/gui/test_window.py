"""The real window with the real worker, offscreen."""

import threading

import pytest
from PySide6.QtCore import QSettings

from engine import events as ev
from engine.runs import list_runs, read_run
from gui.main_window import IDLE, PAUSED, MainWindow
from gui.worker import RunHandle
from tests.helpers import tiny_config

RUN_TIMEOUT = 120_000


def wait_for_step(qtbot, window, step=1):
    qtbot.waitUntil(lambda: window.handle.trainer is not None
                    and window.handle.trainer.step >= step, timeout=RUN_TIMEOUT)


def test_real_worker_trains_two_epochs(qtbot, window):
    assert window.start_action.isEnabled()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        assert window.start_run()
        assert not window.start_action.isEnabled() and window.stop_action.isEnabled()
    result = sig.args[0]
    assert result.reason == ev.COMPLETED
    window.plots.refresh()
    assert list(window.plots.series["val_loss"].curve.getData()[0]) == [1, 2]
    assert window.start_action.isEnabled() and not window.stop_action.isEnabled()
    assert read_run(result.run_dir).status == ev.COMPLETED
    assert "epoch 2/2" in window.info_label.text()


def test_double_start_never_starts_two_workers(qtbot, window):
    assert window.start_run()
    first = window.handle
    assert not window.start_run()
    window._on_start_triggered()
    assert window.handle is first
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        pass
    assert len(list_runs(window.runs_dir)) == 1


def test_pause_resume_stop(qtbot, window):
    window.settings_panel.set_config(tiny_config({"optim.epochs": 500}))
    window.start_run()
    wait_for_step(qtbot, window, 3)
    window.pause_action.trigger()
    assert window.state == PAUSED and window.pause_action.text() == "Resume"
    qtbot.waitUntil(lambda: "paused at step" in window.status_label.text(), timeout=10_000)
    trainer = window.handle.trainer
    paused_step = trainer.step
    qtbot.wait(300)
    assert trainer.step == paused_step
    window.pause_action.trigger()  # resume
    qtbot.waitUntil(lambda: trainer.step > paused_step + 2, timeout=10_000)
    window.pause_action.trigger()  # pause again, then stop while paused
    qtbot.waitUntil(lambda: "paused at step" in window.status_label.text(), timeout=10_000)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        window.stop_action.trigger()
    assert sig.args[0].reason == ev.USER_STOPPED
    assert window.state == IDLE and window.start_action.isEnabled()


def test_live_settings_change_marks_the_plots(qtbot, window):
    window.settings_panel.set_config(tiny_config({"optim.epochs": 500}))
    window.start_run()
    wait_for_step(qtbot, window, 2)
    assert not window.settings_panel.widgets["model.width"].isEnabled()
    window.settings_panel.widgets["regularization.dropout"].setValue(0.3)
    qtbot.waitUntil(lambda: any("dropout 0→0.3" in line.label.format for _, line in window.plots.markers),
                    timeout=10_000)
    trainer = window.handle.trainer
    assert trainer.config.regularization.dropout == 0.3
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.stop_action.trigger()


def test_closing_mid_run_stops_and_flushes_the_run(qtbot, window):
    window.settings_panel.set_config(tiny_config({"optim.epochs": 500}))
    window.start_run()
    wait_for_step(qtbot, window, 2)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible() and not window.any_thread_running(), timeout=10_000)
    run = read_run(list_runs(window.runs_dir)[0])
    assert run.status == ev.USER_STOPPED and (run.path / "last.safetensors").is_file()


def test_engine_exception_shows_a_dialog_and_start_works_again(qtbot, window, monkeypatch):
    from engine.trainer import Trainer

    def broken(self, reg):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    monkeypatch.setattr(Trainer, "_penalty", broken)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    box = window.error_dialog
    assert box is not None and box.isVisible()
    assert "mat1 and mat2" in box.text()
    assert "Traceback" in box.detailedText() and "_penalty" in box.detailedText()
    assert window.start_action.isEnabled()
    box.close()
    monkeypatch.undo()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        assert window.start_run()
    assert sig.args[0].reason == ev.COMPLETED


def test_bad_data_folder_is_named_in_the_dialog(qtbot, window, tmp_path):
    window.settings_panel.set_config(tiny_config({"data.dataset": "image_folder",
                                                  "data.path": str(tmp_path / "photos")}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    assert f"{tmp_path / 'photos'}: folder not found" in window.error_dialog.text()
    window.error_dialog.close()


def test_test_set_evaluation_once_after_the_run(qtbot, window):
    assert not window.test_action.isEnabled()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    assert window.test_action.isEnabled()
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT) as sig:
        window.test_action.trigger()
    assert window.test_dialog.table.rowCount() == 10
    assert "Test accuracy" in window.test_dialog.findChildren(type(window.status_label))[0].text()
    assert not window.test_action.isEnabled()  # once
    assert read_run(window.handle.trainer.result.run_dir).summary["test"]["accuracy"] == sig.args[0].accuracy
    window.test_dialog.close()


def test_ten_thousand_cross_thread_events(qtbot, window):
    handle = RunHandle(tiny_config())
    window.handle = handle
    window.started_event = ev.RunStarted(
        run_id="x", run_dir=None, config=tiny_config().to_dict(), layer_names=["fc1"], parameter_count=1,
        steps_per_epoch=100, device="cpu", dataset="fashion_mnist", class_names=["a"], train_size=1,
        val_size=1, epochs=100)

    def flood():
        for i in range(10_000):
            window.engine.worker.event_emitted.emit(handle.number, ev.StepMetrics(step=i + 1, epoch=i // 100, train_loss=1.0,
                                                            samples_per_sec=1.0, lr=0.1,
                                                            epoch_fraction=(i + 1) / 100))

    sender = threading.Thread(target=flood)
    sender.start()
    qtbot.waitUntil(lambda: window.plots.step_loss.n == 10_000, timeout=60_000)
    sender.join()
    window.handle = None


def test_hundred_start_stop_cycles(qtbot, window):
    window.settings_panel.set_config(tiny_config({"data.dataset": "moons", "data.train_size": 64,
                                                  "data.val_size": 32, "data.test_size": 32,
                                                  "optim.epochs": 1000}))
    reasons = []
    for _ in range(100):
        with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
            assert window.start_run()
            window.stop_action.trigger()
        reasons.append(sig.args[0].reason)
    assert set(reasons) == {ev.USER_STOPPED}
    assert window.engine.is_running()  # one engine thread served all hundred runs


def test_settings_survive_a_restart_and_corrupt_state_opens_at_defaults(qtbot, tmp_path):
    w = MainWindow(tiny_config({"regularization.dropout": 0.45}), restore=False)
    qtbot.addWidget(w)
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.settings_panel.value("regularization.dropout") == pytest.approx(0.45)
    store = QSettings()
    store.setValue("settings/config", "{not json")
    store.setValue("window/geometry", "garbage")
    store.sync()
    fresh = MainWindow()
    qtbot.addWidget(fresh)
    assert fresh.settings_panel.value("regularization.dropout") == 0.0
    assert fresh.settings_panel.current_preset() == "overfit"


def test_cyclic_garbage_is_freed_only_on_the_gui_thread(qtbot, window):
    """The engine thread allocates the most; left to itself, Python's collector would free
    the window's discarded Qt objects there (a crash or a deadlock)."""
    freed_on = []

    class Cycle:
        def __init__(self):
            self.me = self

        def __del__(self):
            freed_on.append(threading.current_thread() is threading.main_thread())

    window.settings_panel.set_config(tiny_config({"optim.epochs": 500}))
    window.start_run()
    wait_for_step(qtbot, window, 2)
    for _ in range(2000):
        Cycle()
        qtbot.wait(0) if _ % 100 == 0 else None
    qtbot.waitUntil(lambda: len(freed_on) == 2000, timeout=30_000)
    window.stop_action.trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    assert all(freed_on)


def test_help_menu_names_the_runs_and_log_folders(qtbot, window, tmp_path):
    window.log_path = tmp_path / "state" / "overfit-lab.log"
    where = next(a for a in window.menuBar().actions()[0].menu().actions() if "runs and logs" in a.text())
    where.trigger()
    text = window.where_dialog.text()
    assert str(window.runs_dir) in text and str(window.log_path) in text
    window.where_dialog.close()


def test_garbage_is_collected_on_the_gui_thread_only_once_the_engine_is_imported(qtbot, monkeypatch):
    """While torch is imported nothing is collected: its objects are not garbage, and
    collecting them on the GUI thread would stall the window and slow the import."""
    import gc

    from gui import worker

    monkeypatch.setattr(worker, "_collector", None)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the suite's own objects stay collectable
    was_enabled = gc.isenabled()
    try:
        worker.collect_garbage_on_the_gui_thread()
        collector = worker._collector
        assert not gc.isenabled() and not collector.timer.isActive()
        worker.freeze_startup_objects()
        assert collector.timer.isActive() and not gc.isenabled()
        worker.collect_garbage_on_the_gui_thread()  # once per process
        assert worker._collector is collector
    finally:
        worker._collector.timer.stop()
        if was_enabled:
            gc.enable()
