"""File ▸ Open TensorBoard folder…: the runs of a log folder are imported into the window's runs
folder and shown (Experiment tab, Runs dock); a folder still being written grows there as it is
read again; ambiguous tags are asked in a dialog; a damaged file and a missing tensorboard are
said, naming the file / the install command."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QMessageBox
from torch.utils.tensorboard import SummaryWriter

from engine.runs.reader import read_run
from gui.panels.runs_browser import PATH_ROLE, RUN

TIMEOUT = 30_000


def listed(window, path: Path) -> bool:
    """Whether the Runs dock shows a row for `path`."""
    browser = window.runs_dock.browser

    def rows(parent):
        for r in range(browser.proxy.rowCount(parent)):
            index = browser.proxy.index(r, RUN, parent)
            yield index.data(PATH_ROLE)
            yield from rows(index)

    from PySide6.QtCore import QModelIndex

    return Path(path) in {Path(p) for p in rows(QModelIndex()) if p}


def open_folder(window, monkeypatch, logdir: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(logdir))
    window.menu_actions["Open TensorBoard folder…"].trigger()


def shown_curve(window, key: str) -> list[float]:
    view = window.experiment_view
    if window.tabs.currentWidget() is not view or len(view.runs) != 1:
        return []
    view.runs[0].tail.read()
    return [e.get(key) for e in view.runs[0].tail.epochs]


def epochs(writer, rows, start=0) -> None:
    for epoch, (train, val) in enumerate(rows, start=start):
        writer.add_scalar("train_loss", train, epoch)
        writer.add_scalar("val_loss", val, epoch)
    writer.flush()


def test_a_folder_being_written_is_imported_shown_and_followed(qtbot, window, monkeypatch, tmp_path):
    writer = SummaryWriter(str(tmp_path / "tb" / "version_0"))
    epochs(writer, [(1.0, 1.2), (0.7, 0.9)])
    open_folder(window, monkeypatch, tmp_path / "tb")
    tensorboard = window.tensorboard
    tensorboard.follow.setInterval(200)  # (every 3 s in use; the test need not wait that long)
    qtbot.waitUntil(lambda: shown_curve(window, "val_loss") == pytest.approx([1.2, 0.9]), timeout=TIMEOUT)
    [folder] = [p for p in (tmp_path / "runs").iterdir() if p.name.startswith("tb-")]
    qtbot.waitUntil(lambda: listed(window, folder), timeout=TIMEOUT)
    assert "imported from" in window.status_label.text()

    # The Training tab follows it too, as a run another process writes (its remedies locked).
    assert window.followed.path == folder and window.state == "running"
    qtbot.waitUntil(lambda: window.plots.series["val_loss"].n == 2, timeout=TIMEOUT)
    dropout = window.settings_panel.widgets["regularization.dropout"]
    assert not dropout.isEnabled() and "imported from TensorBoard" in dropout.toolTip()

    epochs(writer, [(0.5, 0.8), (0.4, 0.95)], start=2)  # the script writes on
    qtbot.waitUntil(lambda: shown_curve(window, "val_loss") == pytest.approx([1.2, 0.9, 0.8, 0.95]), timeout=TIMEOUT)
    assert shown_curve(window, "train_loss") == pytest.approx([1.0, 0.7, 0.5, 0.4])
    qtbot.waitUntil(lambda: window.plots.series["val_loss"].n == 4, timeout=TIMEOUT)

    window.actions["pause"].trigger()  # the import pauses: the folder is not read meanwhile
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT)
    epochs(writer, [(0.35, 1.0)], start=4)
    qtbot.wait(1000)  # five reads' time: unpaused, the fifth epoch would have been imported
    assert len(shown_curve(window, "val_loss")) == 4
    window.actions["pause"].trigger()  # Resume
    qtbot.waitUntil(lambda: window.plots.series["val_loss"].n == 5, timeout=TIMEOUT)

    window.actions["stop"].trigger()  # the following ends; what was imported is kept
    qtbot.waitUntil(lambda: window.state == "idle", timeout=TIMEOUT)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "user_stopped" and "asked by window" in summary["message"]
    epochs(writer, [(0.3, 1.1)], start=5)
    qtbot.wait(1000)
    assert len(read_run(folder).epochs) == 5
    writer.close()


def test_ambiguous_tags_are_asked_in_a_dialog(qtbot, window, monkeypatch, tmp_path):
    writer = SummaryWriter(str(tmp_path / "tb"))
    for epoch, (train, val, test) in enumerate([(1.0, 1.1, 1.3), (0.6, 0.8, 1.0), (0.4, 0.85, 0.9)]):
        writer.add_scalar("Loss/train", train, epoch)
        writer.add_scalar("Loss/val", val, epoch)
        writer.add_scalar("Loss/test", test, epoch)
    writer.close()
    open_folder(window, monkeypatch, tmp_path / "tb")
    qtbot.waitUntil(lambda: window.tensorboard.pair_dialog is not None and window.tensorboard.pair_dialog.isVisible(),
                    timeout=TIMEOUT)
    dialog = window.tensorboard.pair_dialog
    [(train, val)] = dialog.rows.values()
    assert train.currentText() == "Loss/train"
    assert sorted(val.itemText(i) for i in range(val.count())) == ["Loss/test", "Loss/val"]
    val.setCurrentText("Loss/val")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: shown_curve(window, "val_loss") == pytest.approx([1.1, 0.8, 0.85]), timeout=TIMEOUT)
    assert shown_curve(window, "train_loss") == pytest.approx([1.0, 0.6, 0.4])


def test_a_damaged_file_is_named_and_the_rest_imported(qtbot, window, monkeypatch, tmp_path):
    writer = SummaryWriter(str(tmp_path / "tb"))
    epochs(writer, [(1.0, 1.2), (0.7, 0.9)])
    writer.close()
    garbage = tmp_path / "tb" / "events.out.tfevents.1.host.2"
    garbage.write_bytes(os.urandom(200))
    open_folder(window, monkeypatch, tmp_path / "tb")
    qtbot.waitUntil(lambda: shown_curve(window, "val_loss") == pytest.approx([1.2, 0.9]), timeout=TIMEOUT)
    box = window.tensorboard.dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert f"{garbage}: damaged" in box.text()


def test_without_tensorboard_the_window_says_how_to_install_it(qtbot, window, monkeypatch, tmp_path):
    (tmp_path / "tb").mkdir()
    monkeypatch.setitem(sys.modules, "tensorboard.backend.event_processing.event_file_loader", None)
    open_folder(window, monkeypatch, tmp_path / "tb")
    qtbot.waitUntil(lambda: isinstance(window.tensorboard.dialog, QMessageBox) and window.tensorboard.dialog.isVisible(),
                    timeout=TIMEOUT)
    assert "pip install tensorboard" in window.tensorboard.dialog.text()
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_folder_without_scalars_is_said_then_followed_until_it_has_some(qtbot, window, monkeypatch, tmp_path):
    writer = SummaryWriter(str(tmp_path / "tb" / "notes"))
    writer.add_text("config", "lr = 0.1", 0)
    writer.flush()
    open_folder(window, monkeypatch, tmp_path / "tb")
    window.tensorboard.follow.setInterval(200)
    qtbot.waitUntil(lambda: isinstance(window.tensorboard.dialog, QMessageBox) and window.tensorboard.dialog.isVisible(),
                    timeout=TIMEOUT)
    assert f"{tmp_path / 'tb' / 'notes'}: no scalars in its event files" in window.tensorboard.dialog.text()
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    window.tensorboard.dialog.close()
    epochs(writer, [(1.0, 1.2)])  # the script's first epoch
    qtbot.waitUntil(lambda: shown_curve(window, "val_loss") == pytest.approx([1.2]), timeout=TIMEOUT)
    assert window.followed.path is not None and window.followed.path.parent == tmp_path / "runs"
    writer.close()


def test_a_second_folder_opened_takes_the_training_tab_and_the_first_reads_no_longer_followed(
        qtbot, window, monkeypatch, tmp_path):
    """Open one TensorBoard folder, then another: the Training tab follows the second one's run,
    and the first one's run folder says it is no longer followed (not "completed": its script
    may still be writing it)."""
    for name, rows in (("a", [(1.0, 1.2), (0.7, 0.9)]), ("b", [(2.0, 2.2), (1.7, 1.9), (1.5, 1.6)])):
        writer = SummaryWriter(str(tmp_path / name / "version_0"))
        epochs(writer, rows)
        writer.close()
    open_folder(window, monkeypatch, tmp_path / "a")
    window.tensorboard.follow.setInterval(200)
    qtbot.waitUntil(lambda: window.followed.path is not None and window.plots.series["val_loss"].n == 2,
                    timeout=TIMEOUT)
    first = window.followed.path
    open_folder(window, monkeypatch, tmp_path / "b")
    qtbot.waitUntil(lambda: window.followed.path not in (None, first), timeout=TIMEOUT)
    assert read_run(window.followed.path).summary["logdir"] == str((tmp_path / "b").absolute())
    qtbot.waitUntil(lambda: window.plots.series["val_loss"].n == 3, timeout=TIMEOUT)
    assert window.state == "running"
    qtbot.waitUntil(lambda: read_run(first).status != "running", timeout=TIMEOUT)
    summary = read_run(first).summary
    assert summary["status"] == "user_stopped" and "no longer followed" in summary["message"]
