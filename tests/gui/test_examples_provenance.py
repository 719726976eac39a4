"""Open a run's examples… after its image folder changed: the window names the file that
differs and shows no images (not other images at the run's positions)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.engine.test_provenance import cli, image_folder, image_settings
from tests.gui.conftest import RUN_TIMEOUT


def test_a_run_whose_image_folder_changed_shows_which_file_and_no_images(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "imgs"
    wrong = image_folder(folder)
    out = cli("train", "--config", image_settings(folder, tmp_path / "imgs.toml"), "--out", tmp_path / "headless")
    assert out.returncode == 0, out.stderr
    run = Path(out.stdout.strip().splitlines()[-1])
    shutil.move(wrong[0], folder / "light" / wrong[0].name)  # the user files a misfiled image where it belongs

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(run))
    view = window.examples_view
    view.open_button.click()
    qtbot.waitUntil(lambda: "could not be shown" in window.status.label.text(), timeout=RUN_TIMEOUT)
    said = window.status.label.text()
    assert "changed since it trained" in said and str(folder) in said
    assert view.tally is not None and view.tally.size == 60  # the record still opens: its examples listed
    assert view.images is None  # but no image is shown at a position that now holds another file
