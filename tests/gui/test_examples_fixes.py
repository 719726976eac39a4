"""The Examples tab as a user drives it, after a review: Train without the suspects… reads the
run off the GUI thread and writes the twin of a run opened from another folder beside it (shown
in the Experiment tab only once it really trains); the captions, the detail and the CSV say
which class beat each label (what Relabel gives); the export opens in the run's own folder;
an arrays run's images are asked for by their real size, and drawn whatever their channels
and range; the example's margin plot is tall enough to read."""

from __future__ import annotations

import csv
import shutil
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog

from engine.core import events as ev
from engine.runs import scores
from engine.runs.suspects import read_suspects
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

NOISY = {"data.label_noise": 0.3, "optim.epochs": 20, "model.width": 64}


def headless_run(config, runs_dir: Path) -> Path:
    from engine.experiments.experiment import run_single

    return run_single(config, runs_dir=runs_dir).run_dir


def open_in_tab(qtbot, window, monkeypatch, folder: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    window.examples_view.open_button.click()
    qtbot.waitUntil(lambda: window.examples.folder == folder and window.examples_view.tally is not None,
                    timeout=RUN_TIMEOUT)


def when_clean_dialog_shows(answer) -> dict:
    """Answer Train without the suspects' dialog when it shows: it opens once the run's suspects
    are read off the GUI thread, and its exec() blocks in that callback. Returns what was seen
    (the thread it showed on, once it did)."""
    seen = {}
    timer = QTimer(QApplication.instance(), interval=20)

    def poll():
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()
                 and w.windowTitle() == "Train without the suspects"]  # (a box may have come over it)
        if shown:
            dialog = shown[0]
            timer.stop()
            timer.deleteLater()
            seen["thread"] = threading.current_thread()
            answer(dialog)

    timer.timeout.connect(poll)
    timer.start()
    return seen


def test_train_without_the_suspects_reads_and_scores_the_run_off_the_gui_thread(qtbot, window, monkeypatch):
    import engine.runs.suspects as suspects_module

    window.settings_panel.set_config(tiny_config(NOISY))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    read_on = []
    real = suspects_module.read_suspects

    def recorded(*args, **kwargs):
        read_on.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(suspects_module, "read_suspects", recorded)
    seen = when_clean_dialog_shows(lambda dialog: dialog.reject())
    view = window.examples_view
    window.tabs.setCurrentWidget(view)
    assert view.train_button.isEnabled()
    view.train_button.click()
    qtbot.waitUntil(lambda: "thread" in seen, timeout=RUN_TIMEOUT)  # the dialog came, in the callback
    assert read_on and all(t is not threading.main_thread() for t in read_on)
    assert seen["thread"] is threading.main_thread()


def test_a_run_opened_from_another_folder_says_what_relabel_gives_and_gets_its_twin_beside_it(
        qtbot, window, tmp_path, monkeypatch):
    folder = headless_run(tiny_config(NOISY), tmp_path / "elsewhere")
    open_in_tab(qtbot, window, monkeypatch, folder)
    view = window.examples_view
    qtbot.waitUntil(lambda: view.gallery.list.count() > 0, timeout=RUN_TIMEOUT)
    s = read_suspects(folder)
    other, names, given = s.other, s.dynamics.class_names, s.dynamics.given
    order = s.ranking.order
    # The gallery: given → the class that beat it.
    first = view.gallery.list.item(0).text()
    o = other[order[0]]
    assert first == f"1. {names[given[order[0]]]}\n→ {names[o] if o != scores.NO_OTHER else '—'}"
    captions = [view.gallery.list.item(k).text().split("→ ")[1] for k in range(view.gallery.list.count())]
    assert captions == [names[other[i]] if other[i] != scores.NO_OTHER else "—" for i in order[:len(captions)]]
    # The detail says it, and no more that the scoring epoch is "the lowest validation loss".
    view.gallery.list.itemClicked.emit(view.gallery.list.item(0))
    text = view.detail.text()
    assert "the class that beat it most often" in text and "at least epoch 3" in text
    # File ▸ Export the suspects as CSV: in the run's own folder, named after it, with `other`.
    asked = {}

    def save_as(_parent, _title, where, _kinds):
        asked["where"] = Path(where)
        return str(tmp_path / "out.csv"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))
    window.menu_actions["Export the suspects as CSV…"].trigger()
    assert asked["where"] == folder / f"{folder.name}-suspects-aum.csv"
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = [("" if other[i] == scores.NO_OTHER else str(other[i])) for i in order]
    assert [r["other"] for r in rows] == expected
    assert sum(bool(r["other"]) for r in rows[:20]) >= 10  # the top suspects were beaten by another class
    assert all(r["other_name"] == names[int(r["other"])] for r in rows if r["other"])
    # Train without the suspects…: the twin is written beside the run, as `main.py clean` writes it.
    seen = when_clean_dialog_shows(lambda dialog: (dialog.how.setCurrentIndex(1), dialog.accept()))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        view.train_button.click()
    assert "thread" in seen
    twin = Path(window.exports.run_dir)
    assert twin.parent == folder.parent != window.runs_dir
    assert [r.path for r in window.experiment_view.runs] == [folder, twin]
    assert window.tabs.currentWidget() is window.experiment_view


def test_a_twin_refused_before_it_trains_leaves_no_row_in_the_experiment_tab(qtbot, window, tmp_path,
                                                                           monkeypatch):
    from tests.gui.test_small_defects import image_folder

    images = image_folder(tmp_path / "pets")
    config = tiny_config({"data.dataset": "image_folder", "data.path": str(images), "data.image_size": 8,
                          "data.train_size": 30, "data.val_size": 10, "data.test_size": 10, "optim.epochs": 6,
                          "data.label_noise": 0.3})
    folder = headless_run(config, tmp_path / "elsewhere")
    (images / "dark" / "dark03.png").rename(images / "light" / "dark03.png")  # a misfiled image moved
    failed = []
    monkeypatch.setattr("gui.dialogs.run_failed", lambda _parent, result: failed.append(result))
    open_in_tab(qtbot, window, monkeypatch, folder)
    before = window.tabs.currentWidget()
    seen = when_clean_dialog_shows(lambda dialog: dialog.accept())
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.examples_view.train_button.click()
    assert "thread" in seen
    assert failed and "the folder changed since" in failed[0].message
    assert all(r.label != "twin" for r in window.experiment_view.runs)  # no empty "twin" row
    assert window.tabs.currentWidget() is before
    assert [p for p in folder.parent.iterdir() if p != folder] == []  # nothing written beside it


def arrays_run(tmp_path, x: np.ndarray, name="pictures") -> Path:
    path = tmp_path / f"{name}.npz"
    y = np.arange(len(x)) % 3
    np.savez(path, x=x, y=y)
    config = tiny_config({"data.dataset": "arrays", "data.path": str(path), "data.val_size": 20,
                          "data.test_size": 20, "data.train_size": len(x) - 40, "optim.epochs": 2})
    return headless_run(config, tmp_path / "runs-elsewhere")


def test_arrays_images_of_five_channels_and_standardized_floats_are_drawn(qtbot, window, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 5, 8, 8)).astype(np.float32)  # standardized: mean 0, std 1
    folder = arrays_run(tmp_path, x)
    open_in_tab(qtbot, window, monkeypatch, folder)
    view = window.examples_view
    qtbot.waitUntil(lambda: view.images is not None, timeout=RUN_TIMEOUT)
    assert view.images.shape[1:] == (8, 8, 1)  # channel 0, in grey
    icon = view.gallery.list.item(0).icon()
    picture = icon.pixmap(56, 56).toImage()
    assert not picture.isNull()
    levels = {picture.pixelColor(x, y).red() for x in range(0, 56, 4) for y in range(0, 56, 4)}
    assert len(levels) > 5  # not a black square with a few specks
    view.gallery.list.itemClicked.emit(view.gallery.list.item(0))
    assert view.image.pixmap() is not None and not view.image.pixmap().isNull()


def test_an_arrays_run_is_asked_for_its_images_by_their_real_size(qtbot, window, tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(window.engine, "thumbnails", lambda job, split, indices: asked.append(len(indices)))
    rng = np.random.default_rng(0)
    big = arrays_run(tmp_path, rng.integers(0, 256, (120, 3, 32, 32), dtype=np.uint8), "big")
    # Room for every example at 784 B (28 × 28, the old guess), not at their real 3,072 B.
    monkeypatch.setattr(ev, "IMAGES_HELD", 120 * 28 * 28)
    open_in_tab(qtbot, window, monkeypatch, big)
    assert asked == []
    assert "too many images to hold" in window.status_label.text()
    vectors = arrays_run(tmp_path, rng.normal(size=(120, 6)).astype(np.float32), "table")
    open_in_tab(qtbot, window, monkeypatch, vectors)
    assert asked == []
    assert "vectors, not images" in window.status_label.text()
    shutil.rmtree(tmp_path / "runs-elsewhere")


def test_the_examples_margin_plot_is_tall_enough_to_read_at_1280_by_720(qtbot, window):
    window.resize(1280, 720)
    window.settings_panel.set_config(tiny_config({"optim.epochs": 3}))
    window.tabs.setCurrentWidget(window.examples_view)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    view = window.examples_view
    qtbot.waitUntil(lambda: view.tally is not None and len(view.tally.epochs) == 3, timeout=RUN_TIMEOUT)
    view.select(0)
    qtbot.wait(50)
    line = view.fontMetrics().lineSpacing()
    assert view.margin_plot.getPlotItem().vb.height() >= 5 * line
