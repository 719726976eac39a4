"""The real window with the real worker, offscreen."""

import re
import threading

import pytest
from PySide6.QtCore import QSettings, Qt

from engine.core import events as ev
from engine.runs.reader import list_runs, read_run
from gui.window.main_window import MainWindow
from gui.window.run_state import IDLE, PAUSED, RUNNING
from gui.worker import RunHandle
from tests.gui.conftest import RUN_TIMEOUT, wait_for_step
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


def test_ten_thousand_cross_thread_events(qtbot, long_run):
    """The worker's signal, emitted from another thread 10,000 times for the live run (paused,
    so that only these arrive), reaches the plots every time without a crash."""
    window = long_run
    window.actions["pause"].trigger()
    qtbot.waitUntil(lambda: "paused at step" in window.status_label.text(), timeout=10_000)
    number, shown = window.handle.number, window.plots.step_loss.n

    def flood():
        for i in range(10_000):
            window.engine.worker.event_emitted.emit(number, ev.StepMetrics(
                step=10**6 + i, epoch=i // 100 + 1, train_loss=1.0, samples_per_sec=1.0, lr=0.1,
                epoch_fraction=(i + 1) / 100))

    sender = threading.Thread(target=flood)
    sender.start()
    qtbot.waitUntil(lambda: window.plots.step_loss.n == shown + 10_000, timeout=60_000)
    sender.join()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()


def test_hundred_start_stop_cycles(qtbot, window):
    window.settings_panel.set_config(tiny_config({"data.dataset": "moons", "data.train_size": 64,
                                                  "data.val_size": 32, "data.test_size": 32,
                                                  "optim.epochs": 1000}))
    reasons = []
    for _ in range(100):
        with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
            assert window.start_run()
            window.actions["stop"].trigger()
        reasons.append(sig.args[0].reason)
    assert set(reasons) == {ev.USER_STOPPED}
    assert window.engine.is_running()  # one engine thread served all hundred runs


def test_settings_survive_a_restart_and_corrupt_state_opens_at_defaults(qtbot, tmp_path):
    w = MainWindow(tiny_config({"regularization.dropout": 0.45}))
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


def test_a_scripted_window_neither_reads_nor_writes_stored_settings(qtbot):
    w = MainWindow(tiny_config({"regularization.dropout": 0.45}))
    qtbot.addWidget(w)
    w.close()  # stored: dropout 0.45
    scripted = MainWindow(tiny_config({"optim.epochs": 3}), "overfit", restore=False)
    qtbot.addWidget(scripted)
    assert scripted.settings_panel.value("regularization.dropout") == 0.0
    scripted.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.settings_panel.value("regularization.dropout") == pytest.approx(0.45)
    assert again.settings_panel.value("optim.epochs") != 3


def test_the_picker_says_when_settings_differ_from_the_preset(qtbot):
    from engine.core.config import load_preset

    w = MainWindow(load_preset("overfit").with_updates({"optim.epochs": 3}), "overfit", restore=False)
    qtbot.addWidget(w)
    panel = w.settings_panel
    assert panel.preset_box.currentText() == "overfit (modified)" and panel.current_preset() is None
    assert "memoriz" in panel.description.text() or "100 %" in panel.description.text()
    panel.widgets["optim.epochs"].setValue(load_preset("overfit").optim.epochs)
    assert panel.preset_box.currentText() == "overfit" and panel.current_preset() == "overfit"


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
    wait_for_step(qtbot, window)
    for _ in range(2000):
        Cycle()
        qtbot.wait(0) if _ % 100 == 0 else None
    qtbot.waitUntil(lambda: len(freed_on) == 2000, timeout=30_000)
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    assert all(freed_on)


def test_help_menu_names_the_runs_and_log_folders(qtbot, window, tmp_path):
    window.log_path = tmp_path / "state" / "overfit-lab.log"
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    where = next(a for a in help_menu.actions() if "runs and logs" in a.text())
    where.trigger()
    text = window.where_dialog.text()
    assert str(window.runs_dir) in text and str(window.log_path) in text
    window.where_dialog.close()


def test_garbage_is_collected_on_the_gui_thread_only_once_the_engine_is_imported(qtbot, monkeypatch):
    """While torch is imported nothing is collected: its objects are not garbage, and
    collecting them on the GUI thread would stall the window and slow the import."""
    import gc

    from gui import garbage

    monkeypatch.setattr(garbage, "_collector", None)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the suite's own objects stay collectable
    was_enabled = gc.isenabled()
    try:
        garbage.collect_on_the_gui_thread()
        collector = garbage.collector()
        assert not gc.isenabled() and not collector.timer.isActive()
        garbage.freeze_startup_objects()
        assert collector.timer.isActive() and not gc.isenabled()
        garbage.collect_on_the_gui_thread()  # once per process
        assert garbage.collector() is collector
    finally:
        garbage.collector().timer.stop()
        if was_enabled:
            gc.enable()


def test_settings_save_to_toml_and_open_again_and_a_bad_file_is_named(qtbot, window, tmp_path):
    files, panel = window.settings_files, window.settings_panel
    panel.widgets["regularization.dropout"].setValue(0.35)
    assert files.save(str(tmp_path / "mine.toml"))
    assert "dropout = 0.35" in (tmp_path / "mine.toml").read_text()
    panel.widgets["regularization.dropout"].setValue(0.0)
    assert files.load(str(tmp_path / "mine.toml"))
    assert panel.value("regularization.dropout") == pytest.approx(0.35)
    (tmp_path / "bad.toml").write_text("[regularization]\ndropout = 3\n")
    assert not files.load(str(tmp_path / "bad.toml"))
    assert f"{tmp_path / 'bad.toml'}: regularization.dropout = 3" in window.status_label.text()
    assert panel.value("regularization.dropout") == pytest.approx(0.35)  # nothing lost


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


def test_the_wheel_scrolls_the_settings_and_leaves_an_unfocused_field_alone(qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from gui.panels.settings import SettingsPanel

    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 300)
    panel.show()
    depth = panel.widgets["model.depth"]
    before, bar = depth.value(), panel.scroll.verticalScrollBar()
    start = bar.value()
    wheel = QWheelEvent(QPointF(5, 5), QPointF(depth.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(depth, wheel)
    assert depth.value() == before and bar.value() > start


def test_view_menu_larger_text_and_layer_plots_for_a_projector(qtbot, window):
    from PySide6.QtWidgets import QApplication

    app_pt = QApplication.font().pointSizeF()
    tick_pt = window.plots.plots["loss"].getPlotItem().getAxis("left").style["tickFont"].pointSizeF()
    try:
        window.menu_actions["Larger text"].trigger()
        assert QApplication.font().pointSizeF() == pytest.approx(app_pt * 1.25)
        axis = window.plots.plots["loss"].getPlotItem().getAxis("left")
        assert axis.style["tickFont"].pointSizeF() == pytest.approx(tick_pt * 1.25)
        legend = window.plots.plots["loss"].getPlotItem().legend
        assert all(label.opts["size"] == "11pt" for _, label in legend.items)  # 9 pt x 1.25
    finally:
        window.menu_actions["Smaller text"].trigger()
    assert QApplication.font().pointSizeF() == pytest.approx(app_pt)
    layers = window.menu_actions["Layer plots (weight and gradient norms)"]
    assert layers.isChecked() and not window.plots.plots["grads"].isHidden()
    layers.trigger()
    assert window.plots.plots["grads"].isHidden()
    assert window.plots.grid.norms_holder.isHidden()
    layers.trigger()
    assert not window.plots.plots["grads"].isHidden()


def test_test_size_applies_only_where_there_is_no_official_test_split(qtbot, window):
    panel = window.settings_panel
    test_size = panel.widgets["data.test_size"]
    assert panel.value("data.dataset") == "fashion_mnist" and not test_size.isEnabled()
    from engine.core.applicability import TEST_SIZE_IGNORED

    assert TEST_SIZE_IGNORED in test_size.toolTip()
    panel.widgets["data.dataset"].setCurrentText("moons")
    assert test_size.isEnabled() and TEST_SIZE_IGNORED not in test_size.toolTip()


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


def test_the_view_menu_choices_survive_a_restart(qtbot):
    from PySide6.QtWidgets import QApplication

    app_pt = QApplication.font().pointSizeF()
    w = MainWindow(tiny_config())
    qtbot.addWidget(w)
    w.menu_actions["Larger text"].trigger()
    w.menu_actions["Layer plots (weight and gradient norms)"].trigger()  # off
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    try:
        assert again.plots.text_scale == pytest.approx(1.25)
        assert not again.plots.grid.layers
        assert not again.menu_actions["Layer plots (weight and gradient norms)"].isChecked()
    finally:
        again.menu_actions["Smaller text"].trigger()
    assert QApplication.font().pointSizeF() == pytest.approx(app_pt)


def test_file_export_writes_the_window_the_metrics_and_the_report(qtbot, window, tmp_path):
    import csv
    import json

    from PySide6.QtGui import QImage

    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT):
        window.actions["test"].trigger()
    exports = window.exports
    assert exports.save_window(str(tmp_path / "w.png"))
    assert QImage(str(tmp_path / "w.png")).width() == window.width()
    assert exports.save_metrics(str(tmp_path / "m.csv"))
    rows = list(csv.DictReader((tmp_path / "m.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"] and "weight_norm/fc1" in rows[0]
    assert exports.save_report(str(tmp_path / "r.json")) and exports.save_report(str(tmp_path / "r.csv"))
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["split"] == "test" and sum(report["support"]) == 10_000
    table = list(csv.reader((tmp_path / "r.csv").open()))
    assert table[0] == ["class", "precision", "recall", "f1", "support"] and len(table[1:11]) == 10
    qtbot.waitUntil(lambda: window.evaluation.gallery.count() > 0, timeout=RUN_TIMEOUT)
    assert exports.save_gallery(str(tmp_path / "g.png"))
    assert not QImage(str(tmp_path / "g.png")).isNull()
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    assert not exports.save_metrics(str(blocked / "m.csv"))
    assert f"{blocked / 'm.csv'}: cannot write it" in window.status_label.text()
    assert not exports.save_window(str(blocked / "w.png"))  # nothing half-written anywhere
    assert f"{blocked / 'w.png'}: cannot write it" in window.status_label.text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    # The plots as SVG (Qt's generator): a file that reads as SVG, with the plots' text in it.
    import xml.etree.ElementTree as ET

    window.tabs.setCurrentWidget(window.plots)
    assert exports.save_plots_svg(str(tmp_path / "plots.svg"))
    assert ET.parse(tmp_path / "plots.svg").getroot().tag.endswith("svg")
    assert "Loss (cross-entropy)" in (tmp_path / "plots.svg").read_text()
    # Right-click on a plot offers pyqtgraph's exporters; its PNG one at a chosen size:
    scene = window.plots.plots["loss"].scene()
    assert any(a.text().startswith("Export") for a in scene.contextMenu)
    from pyqtgraph.exporters import ImageExporter

    png = ImageExporter(window.plots.plots["loss"].getPlotItem())
    png.parameters()["width"] = 1600  # a chosen size
    png.export(str(tmp_path / "loss.png"))
    assert QImage(str(tmp_path / "loss.png")).width() == 1600


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
    qtbot.wait(200)
    assert window.error_dialog is None  # no thumbnails were asked of toy data
