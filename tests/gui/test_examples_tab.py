"""The Examples tab, driven as a user drives it: a run with corrupted labels trains, the data
map fills, a click on a point shows that example, the gallery pages, and Train without the
suspects… trains the cleaned twin, overlaid in the Experiment tab."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QDialog

from tests.gui.conftest import RUN_TIMEOUT
from tests.gui.test_examples_fixes import when_clean_dialog_shows
from tests.helpers import tiny_config

NOISY = {"data.label_noise": 0.3, "optim.epochs": 4, "model.width": 64}


def trained(qtbot, window, updates=NOISY):
    window.resize(1280, 720)
    window.settings_panel.set_config(tiny_config(updates))
    window.tabs.setCurrentWidget(window.examples_view)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    qtbot.waitUntil(lambda: window.examples_view.tally is not None and len(window.examples_view.tally.epochs) == 4,
                    timeout=RUN_TIMEOUT)
    return window.examples_view


def click_map_at(qtbot, view, x: float, y: float):
    vb = view.map_plot.getPlotItem().vb
    scene = vb.mapViewToScene(QPointF(x, y))
    pos = view.map_plot.mapFromScene(scene)
    qtbot.mouseClick(view.map_plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_the_data_map_fills_as_it_trains_and_a_click_shows_that_example(qtbot, window):
    view = trained(qtbot, window)
    t = view.tally
    assert t.size == 256 and t.corrupted.sum() == round(0.3 * 256)
    assert len(view.cloud.x) == 256
    assert np.allclose(view.cloud.x, t.variability) and np.allclose(view.cloud.y, t.confidence)
    # The detector's curves have a point per epoch, and say how well the wrong labels are found.
    assert len(view.curves["ranking_auroc"].getData()[0]) == 4
    assert "AUROC" in view.summary.text()
    # Click the example with the lowest confidence: the detail names it and its labels.
    target = int(np.argmin(t.confidence))
    click_map_at(qtbot, view, float(t.variability[target]), float(t.confidence[target]))
    qtbot.waitUntil(lambda: view.selected is not None)
    picked = view.selected
    near = np.hypot(t.variability - t.variability[target], t.confidence - t.confidence[target]) < 0.02
    assert near[picked]
    text = view.detail.text()
    assert f"example {t.positions[picked]}" in text and t.class_names[t.given[picked]] in text
    assert len(view.margin_curve.getData()[1]) == 4
    assert not view.image.pixmap().isNull()  # the training image itself


def test_the_gallery_shows_the_most_suspect_first_and_pages(qtbot, window):
    view = trained(qtbot, window)
    gallery = view.gallery
    order = view.tally.order("aum")
    shown = [gallery.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(gallery.list.count())]
    assert shown == list(order[:24])
    gallery.more.click()
    assert gallery.list.count() == 48
    gallery.list.itemClicked.emit(gallery.list.item(30))
    assert view.selected == order[30]
    view.score_box.setCurrentText("forgetting")  # another score: the gallery is ranked by it
    shown = [gallery.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(gallery.list.count())]
    assert shown == list(view.tally.order("forgetting")[:24])


def test_train_without_the_suspects_trains_the_twin_and_overlays_it(qtbot, window):
    view = trained(qtbot, window)
    assert view.train_button.isEnabled()
    reference = window.exports.run_dir
    expected = sorted(int(view.tally.positions[i]) for i in view.tally.order("aum")[:20])

    def answer():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QDialog) and dialog.windowTitle() == "Train without the suspects"
        dialog.top.setValue(20)
        dialog.accept()

    when_clean_dialog_shows(lambda _dialog: answer())  # (it opens once the run is read)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        view.train_button.click()
    assert window.tabs.currentWidget() is window.experiment_view
    twin = window.exports.run_dir
    config = json.loads(open(f"{twin}/config.json").read())
    assert config["data"]["remove"] == expected  # the 20 the tab ranked first
    assert view.tally.size == 256 - 20  # the tab now shows the twin's own examples
    assert json.loads(open(f"{twin}/summary.json").read())["twin_of"] == reference
    assert len(window.experiment_view.runs) == 2


def test_a_run_without_corrupted_labels_is_coloured_by_how_often_it_was_right(qtbot, window):
    view = trained(qtbot, window, {"optim.epochs": 4})
    assert not view.quality_plot.isVisible()
    assert "predicted right" in view.map_key.text()
    assert "no labels were corrupted" in view.quality_note.text().lower()


def test_open_a_run_shows_a_headless_runs_examples_with_their_images(qtbot, window, tmp_path, monkeypatch):
    from engine.experiments.experiment import run_single
    folder = run_single(tiny_config(NOISY), runs_dir=tmp_path / "headless").run_dir
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(folder))
    view = window.examples_view
    view.open_button.click()
    assert window.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: window.examples.folder == folder, timeout=RUN_TIMEOUT)  # read off the GUI thread
    assert view.tally.size == 256 and len(view.tally.epochs) == 4 and view.tally.corrupted.sum() == 77
    qtbot.waitUntil(lambda: view.images is not None, timeout=RUN_TIMEOUT)
    assert view.images.shape == (256, 28, 28, 1)
    assert not view.gallery.list.item(0).icon().isNull()
    assert view.train_button.isEnabled()  # a finished run: its twin can be trained
    # A folder without dynamics is named, with how to get them.
    old = run_single(tiny_config({"run.record_examples": False}), runs_dir=tmp_path / "old").run_dir
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(old))
    view.open_button.click()
    qtbot.waitUntil(lambda: window.examples.notice is not None, timeout=RUN_TIMEOUT)
    assert "recorded no per-example dynamics" in window.examples.notice.text()


def test_a_new_run_or_reset_leaves_nothing_of_the_previous_run(qtbot, window):
    view = trained(qtbot, window)
    assert view.tally is not None
    window.settings_panel.set_config(tiny_config({"run.record_examples": False, "optim.epochs": 2}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    assert view.tally is None and view.images is None and len(view.cloud.x) == 0
    assert view.gallery.list.count() == 0 and not view.train_button.isEnabled()
    assert "records no per-example dynamics" in view.summary.text()
    view = trained(qtbot, window)
    window.actions["reset"].trigger()
    assert view.tally is None and len(view.cloud.x) == 0 and view.gallery.list.count() == 0


def test_a_run_opened_while_another_trains_stays_on_screen(qtbot, window, tmp_path, monkeypatch):
    from engine.experiments.experiment import run_single

    folder = run_single(tiny_config({**NOISY, "data.train_size": 128}), runs_dir=tmp_path / "h").run_dir
    window.settings_panel.set_config(tiny_config({**NOISY, "optim.epochs": 500}))
    window.actions["start"].trigger()
    qtbot.waitUntil(lambda: window.examples_view.tally is not None and bool(window.examples_view.tally.epochs),
                    timeout=RUN_TIMEOUT)
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(folder))
    view = window.examples_view
    view.open_button.click()
    qtbot.waitUntil(lambda: window.examples.folder == folder, timeout=RUN_TIMEOUT)
    shown = []
    window.epoch_shown.connect(shown.append)
    qtbot.waitUntil(lambda: len(shown) >= 3, timeout=RUN_TIMEOUT)  # the live run goes on training
    assert view.tally.size == 128 and len(view.tally.epochs) == 4  # the folder's, not the live run's
    assert view.run_label == folder.name
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()
    assert view.tally.size == 128


def test_score_choice_changes_the_summary_and_the_selected_examples_rank(qtbot, window):
    view = trained(qtbot, window)
    example = int(view.tally.order("aum")[0])
    view.select(example)
    assert "suspect no. 1 of" in view.detail.text()
    view.score_box.setCurrentText("confidence")
    assert "by confidence" in view.summary.text()
    rank = int(np.flatnonzero(view.tally.order("confidence") == example)[0]) + 1
    assert f"suspect no. {rank:,} of" in view.detail.text()


def test_a_cleaned_twins_settings_say_so_in_the_panel_and_can_keep_every_example(qtbot, window):
    panel = window.settings_panel
    panel.set_config(tiny_config({"data.remove": [3, 4, 5]}))
    assert panel.cleaned_note.isVisibleTo(panel) and "3 training examples taken out" in panel.cleaned_note.text()
    assert panel.config().data.remove == [3, 4, 5]
    panel.keep_all.click()
    assert panel.config().data.remove == [] and not panel.cleaned_note.isVisibleTo(panel)


def test_reset_clears_an_opened_run_too(qtbot, window, tmp_path, monkeypatch):
    from engine.experiments.experiment import run_single

    folder = run_single(tiny_config(NOISY), runs_dir=tmp_path / "h").run_dir
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(folder))
    view = window.examples_view
    view.open_button.click()
    qtbot.waitUntil(lambda: window.examples.folder == folder, timeout=RUN_TIMEOUT)
    assert view.tally is not None and view.train_button.isEnabled()
    window.actions["reset"].trigger()
    assert view.tally is None and not view.train_button.isEnabled() and window.examples.folder is None


def test_a_run_stopped_before_its_turn_says_why_it_cannot_be_cleaned(qtbot, window):
    window.settings_panel.set_config(tiny_config({**NOISY, "optim.epochs": 500}))
    window.tabs.setCurrentWidget(window.examples_view)
    window.actions["start"].trigger()
    view = window.examples_view
    qtbot.waitUntil(lambda: view.tally is not None and len(view.tally.epochs) >= 1, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()
    if view.tally.turn is not None and view.tally.turn < len(view.tally.epochs):
        assert view.train_button.isEnabled()  # (it had turned already)
    else:
        assert not view.train_button.isEnabled() and "before its validation loss turned" in view.train_button.toolTip()


def test_more_pages_stay_open_as_epochs_come_and_larger_text_keeps_the_tab_legible(qtbot, window):
    window.resize(1280, 720)
    window.settings_panel.set_config(tiny_config({**NOISY, "optim.epochs": 500}))
    window.tabs.setCurrentWidget(window.examples_view)
    window.actions["start"].trigger()
    view = window.examples_view
    qtbot.waitUntil(lambda: view.tally is not None and len(view.tally.epochs) >= 1, timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: view.gallery.list.count() == 24, timeout=RUN_TIMEOUT)
    view.gallery.more.click()
    seen = len(view.tally.epochs)
    qtbot.waitUntil(lambda: len(view.tally.epochs) >= seen + 3, timeout=RUN_TIMEOUT)
    qtbot.wait(300)
    assert view.gallery.list.count() == 48  # More's page is still there, epochs later
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()
    for _ in range(2):
        window.menu_actions["Larger text"].trigger()
    qtbot.wait(100)
    line = view.fontMetrics().lineSpacing()
    assert view.summary.height() >= 2 * line and view.margin_plot.height() >= 5 * line - 1
    assert view.map_plot.height() >= 150 and view.summary.width() > 600  # a row of its own
    assert view.scroll.verticalScrollBar().maximum() == 0  # all of it in view at 720 px, no scrolling
