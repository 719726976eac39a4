"""A run folder whose test split is on record, evaluated again from the window: its result
and its gallery are shown; a damaged folder gets a message, not a crash."""

from PySide6.QtWidgets import QInputDialog

from engine.experiments.experiment import run_single
from tests.helpers import tiny_config


def test_the_recorded_test_result_of_a_folder_shows_its_gallery_too(qtbot, window, tmp_path, monkeypatch):
    folder = str(run_single(tiny_config({"optim.epochs": 1}), runs_dir=tmp_path / "elsewhere").run_dir)
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a: ("best", True)))
    gallery = window.evaluation.gallery
    window.evaluate_folder("test", folder)
    qtbot.waitUntil(lambda: gallery.count() > 0, timeout=60_000)
    window.evaluate_folder("test", folder)  # on record: shown again, with its gallery
    window.evaluations.notice.close()
    assert gallery.count() == 0  # the report shown anew: its gallery asked for again
    qtbot.waitUntil(lambda: gallery.count() > 0, timeout=30_000)


def test_a_damaged_folder_evaluated_on_the_test_split_says_which_file(qtbot, window, tmp_path):
    folder = run_single(tiny_config({"optim.epochs": 1}), runs_dir=tmp_path / "elsewhere").run_dir
    (folder / "summary.json").write_bytes(b"\x00\x01not json")
    window.evaluate_folder("test", str(folder))
    qtbot.waitUntil(lambda: getattr(window, "error_dialog", None) is not None, timeout=10_000)
    assert "summary.json" in window.error_dialog.text() + window.error_dialog.informativeText()
