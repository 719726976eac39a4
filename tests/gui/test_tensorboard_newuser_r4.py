"""File ▸ Open TensorBoard folder…, Stop, then the same folder opened again (a new user's pass):
it is followed again, and an import that had ended "completed" is not made "stopped by the
user" by a Stop that ended only the following; Pause says what it holds (the folder's
reading), at the step the import reached."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QFileDialog
from torch.utils.tensorboard import SummaryWriter

from engine.cli.main import main
from engine.runs.reader import read_run

TIMEOUT = 30_000


def open_folder(window, monkeypatch, logdir) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(logdir))
    window.menu_actions["Open TensorBoard folder…"].trigger()


def test_a_folder_stopped_then_opened_again_is_followed_again(qtbot, window, monkeypatch, tmp_path):
    writer = SummaryWriter(str(tmp_path / "tb"))
    for epoch, (train, val) in enumerate([(1.0, 1.2), (0.7, 0.9), (0.5, 0.8)]):
        writer.add_scalar("train_loss", train, epoch * 100)
        writer.add_scalar("val_loss", val, epoch * 100)
    writer.close()  # the script ended
    assert main(["import-tensorboard", str(tmp_path / "tb"), "--out", str(tmp_path / "runs")]) == 0
    [folder] = [p for p in (tmp_path / "runs").iterdir() if p.name.startswith("tb-")]
    assert read_run(folder).status == "completed"

    open_folder(window, monkeypatch, tmp_path / "tb")
    window.tensorboard.follow.setInterval(200)
    qtbot.waitUntil(lambda: window.followed.path == folder and window.state == "running", timeout=TIMEOUT)
    window.actions["pause"].trigger()
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "paused, not read until Resume" in window.status_label.text(), timeout=TIMEOUT)
    assert read_run(folder).events[-1]["step"] == 200  # where the import stands (TensorBoard's step), not 0
    window.actions["pause"].trigger()  # Resume
    qtbot.waitUntil(lambda: window.state == "running", timeout=TIMEOUT)
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == "idle", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: read_run(folder).status != "running", timeout=TIMEOUT)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "completed", summary["message"]  # nothing was written since the import

    open_folder(window, monkeypatch, tmp_path / "tb")  # the same folder again: followed again
    qtbot.waitUntil(lambda: window.state == "running" and read_run(folder).status == "running", timeout=TIMEOUT)
    qtbot.wait(1000)  # five reads' time: an old Stop obeyed again would end it meanwhile
    assert window.state == "running" and window.tensorboard.importer.ended is None
    assert "no longer followed" not in window.status_label.text()
    assert window.actions["stop"].isEnabled() and window.actions["pause"].isEnabled()
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == "idle", timeout=TIMEOUT)
