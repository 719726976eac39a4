"""File ▸ Open TensorBoard folder… in another language: a folder whose event file is cut off is
titled "what could be read" in that language too (the title follows what the import found,
not the English words of its notes)."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox
from torch.utils.tensorboard import SummaryWriter

from engine.core import i18n
from gui.window import language

TIMEOUT = 30_000


def test_a_cut_off_event_file_is_titled_what_could_be_read_in_german(qtbot, qapp, window, monkeypatch, tmp_path):
    language.install(qapp, "de")
    writer = SummaryWriter(str(tmp_path / "tb"))
    for epoch, (train, val) in enumerate([(1.0, 1.2), (0.7, 0.9), (0.5, 0.8)]):
        writer.add_scalar("train_loss", train, epoch)
        writer.add_scalar("val_loss", val, epoch)
    writer.close()
    (events,) = (tmp_path / "tb").glob("events.out.tfevents.*")
    events.write_bytes(events.read_bytes()[:-7])  # the last record cut off, as a script killed mid-write leaves it
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "tb"))
    window.menu_actions["Open TensorBoard folder…"].trigger()
    qtbot.waitUntil(lambda: isinstance(window.tensorboard.dialog, QMessageBox), timeout=TIMEOUT)
    box = window.tensorboard.dialog
    assert str(events) in box.text() and i18n._("its last record is cut off (still being written?): read up to "
                                                "it") in box.text()
    assert box.windowTitle() == i18n._("Imported what could be read") != "Imported what could be read"
    assert box.windowTitle() != i18n._("Imported, with notes")


def test_the_status_line_counts_runs_and_epochs_each_in_its_own_form(qtbot, window, monkeypatch, tmp_path):
    writer = SummaryWriter(str(tmp_path / "tb" / "version_0"))
    for epoch, (train, val) in enumerate([(1.0, 1.2), (0.7, 0.9)]):
        writer.add_scalar("train_loss", train, epoch)
        writer.add_scalar("val_loss", val, epoch)
    writer.close()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "tb"))
    said, say = [], window.tensorboard.say
    monkeypatch.setattr(window.tensorboard, "say", lambda text: said.append(text) or say(text))
    window.menu_actions["Open TensorBoard folder…"].trigger()
    qtbot.waitUntil(lambda: any("imported from" in text for text in said), timeout=TIMEOUT)
    assert [t for t in said if "imported from" in t][0].startswith("1 run, 2 epochs imported from"), said
