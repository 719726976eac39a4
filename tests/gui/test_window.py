"""The real window with the real worker, offscreen: a run from Start to its end (pause,
stop, close, failures)."""

import re

from PySide6.QtCore import Qt

from engine.core import events as ev
from engine.runs.reader import list_runs, read_run
from gui.window.main_window import MainWindow
from gui.window.run_state import IDLE, PAUSED, RUNNING
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def test_real_worker_trains_two_epochs(qtbot, window):
    start, stop = window.actions["start"], window.actions["stop"]
    assert start.isEnabled()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        assert window.start_run()
        assert not start.isEnabled() and stop.isEnabled()
    result = sig.args[0]
    assert result.reason == ev.COMPLETED
    window.plots.refresh()
    assert list(window.plots.series["val_loss"].curve.getData()[0]) == [1, 2]
    assert start.isEnabled() and not stop.isEnabled()
    assert read_run(list_runs(window.runs_dir)[0]).status == ev.COMPLETED
    assert "2 of 2 epochs" in window.status.info.text()
    assert "ETA" not in window.status.info.text()  # a finished run has no time left


def test_double_start_never_starts_two_workers(qtbot, window):
    assert window.start_run()
    first = window.handle
    assert not window.start_run()
    window.settings_panel.setFocus()
    qtbot.keyClick(window.settings_panel, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Start's key
    assert window.handle is first
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        pass
    assert len(list_runs(window.runs_dir)) == 1


def test_pause_resume_stop(qtbot, long_run):
    window = long_run
    pause, stop = window.actions["pause"], window.actions["stop"]
    pause.trigger()
    assert window.state == PAUSED and pause.text() == "Resume"
    qtbot.waitUntil(lambda: "paused at step" in window.status_label.text(), timeout=10_000)
    shown = window.plots.step_loss.n
    pause.trigger()  # resume
    qtbot.waitUntil(lambda: window.plots.step_loss.n > shown + 1, timeout=10_000)
    pause.trigger()  # pause again, then stop while paused
    qtbot.waitUntil(lambda: "paused at step" in window.status_label.text(), timeout=10_000)
    paused_at = int(re.search(r"paused at step ([\d,]+)", window.status_label.text())[1].replace(",", ""))
    # The epoch said is the step's: "after epoch E" only right after E's last batch, else the one in progress.
    said = re.search(r"paused at step [\d,]+(?:, after epoch ([\d,]+)| \(epoch ([\d,]+)\))", window.status_label.text())
    spe = window.session.started_event.steps_per_epoch
    if said[1]:
        assert paused_at == int(said[1].replace(",", "")) * spe, said[0]
    else:
        epoch = int(said[2].replace(",", ""))
        assert (epoch - 1) * spe <= paused_at <= epoch * spe, (said[0], spe)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        stop.trigger()
    assert sig.args[0].reason == ev.USER_STOPPED
    assert sig.args[0].step == paused_at  # no training while paused: it ends where it paused
    assert window.state == IDLE and window.actions["start"].isEnabled()


def test_live_settings_change_marks_the_plots(qtbot, long_run):
    window = long_run
    assert not window.settings_panel.widgets["model.width"].isEnabled()
    window.settings_panel.widgets["regularization.dropout"].setValue(0.3)
    qtbot.waitUntil(lambda: "dropout 0→0.3" in window.plots.markers.labels("loss"), timeout=10_000)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()
    written = (list_runs(window.runs_dir)[0] / "metrics.jsonl").read_text()
    assert '"regularization.dropout": [0.0, 0.3]' in written


def test_closing_mid_run_asks_first_then_stops_and_flushes_the_run(qtbot, long_run, monkeypatch):
    window = long_run
    asked = []
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: asked.append(a[1]) or False)
    window.close()  # not confirmed: the run goes on
    assert asked == ["Quit while training?"] and window.isVisible() and window.state == RUNNING
    shown = window.plots.step_loss.n
    qtbot.waitUntil(lambda: window.plots.step_loss.n > shown, timeout=10_000)
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: asked.append(a[1]) or True)
    window.close()
    assert len(asked) == 2
    qtbot.waitUntil(lambda: not window.isVisible() and not window.any_thread_running(), timeout=10_000)
    run = read_run(list_runs(window.runs_dir)[0])
    assert run.status == ev.USER_STOPPED and (run.path / "last.safetensors").is_file()


def test_engine_exception_shows_a_dialog_and_start_works_again(qtbot, window, monkeypatch):
    from engine.training import trainer

    def broken(reg, params):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    monkeypatch.setattr(trainer, "weight_penalty", broken)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    box = window.error_dialog
    assert box is not None and box.isVisible()
    assert "mat1 and mat2" in box.text()
    assert "Traceback" in box.detailedText() and "in broken" in box.detailedText()
    assert window.actions["start"].isEnabled()
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
    assert window.error_dialog.windowTitle() == "Cannot train with these settings"
    assert window.status.info.text() == ""  # no figures of an earlier run stay
    window.error_dialog.close()


def test_a_number_typed_just_before_start_counts_and_runs_are_written_by_default(qtbot, window):
    from engine.runs.reader import default_runs_dir

    plain = MainWindow(tiny_config(), restore=False)
    qtbot.addWidget(plain)
    assert plain.runs_dir == default_runs_dir()  # not None: the window's runs are kept
    epochs = window.settings_panel.widgets["optim.epochs"]
    window.activateWindow()
    epochs.setFocus()
    qtbot.waitUntil(epochs.hasFocus, timeout=5000)
    epochs.lineEdit().selectAll()
    qtbot.keyClicks(epochs, "3")  # not committed: no Enter, the focus stays
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        assert window.start_run()
    assert sig.args[0].epochs_completed == 3


def test_a_run_refused_for_its_data_is_written_to_the_log(qtbot, window, tmp_path, caplog):
    import logging

    window.settings_panel.set_config(tiny_config({"data.dataset": "image_folder",
                                                  "data.path": str(tmp_path / "none")}))
    with caplog.at_level(logging.ERROR, logger="overfit_lab"):
        with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
            window.start_run()
    assert any("refused its input" in r.getMessage() and "none: folder not found" in r.getMessage()
               for r in caplog.records)
    window.error_dialog.close()
