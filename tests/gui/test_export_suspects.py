"""File ▸ Export the suspects as CSV…: the Examples tab's ranking as shown (its score), most
suspect first, with each example's index (and file, for an image folder), given and predicted
class; enabled while the tab shows a ranking."""

from __future__ import annotations

import csv

from PySide6.QtWidgets import QFileDialog

from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

ENTRY = "Export the suspects as CSV…"


def _save_to(monkeypatch, target) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))


def test_the_suspects_export_writes_the_tabs_ranking_and_follows_the_chosen_score(qtbot, window, tmp_path,
                                                                                 monkeypatch):
    action = window.menu_actions[ENTRY]
    assert not action.isEnabled()  # no ranking yet
    window.settings_panel.set_config(tiny_config({"data.label_noise": 0.3, "optim.epochs": 4}))
    window.tabs.setCurrentWidget(window.examples_view)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    view = window.examples_view
    qtbot.waitUntil(lambda: view.tally is not None and len(view.tally.epochs) == 4, timeout=RUN_TIMEOUT)
    qtbot.waitUntil(action.isEnabled)
    target = tmp_path / "ränked suspects.csv"
    _save_to(monkeypatch, target)
    action.trigger()
    with open(target, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    t = view.tally
    order = t.order("aum")
    assert len(rows) == 256 and [int(r["rank"]) for r in rows] == list(range(1, 257))
    first = rows[0]
    assert int(first["index"]) == t.positions[order[0]]
    assert first["given_name"] == t.class_names[t.given[order[0]]] and int(first["given"]) == t.given[order[0]]
    assert first["predicted_name"] == t.class_names[t.predicted_at_turn()[order[0]]]
    assert sum(int(r["corrupted"]) for r in rows) == 77
    assert [float(r["aum"]) for r in rows] == sorted((float(r["aum"]) for r in rows), reverse=True)
    assert str(target) in window.status_label.text()
    # Another score in the tab: the export is ranked by it.
    view.score_box.setCurrentText("forgetting")
    action.trigger()
    with open(target, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert "forgetting" in rows[0] and [int(r["index"]) for r in rows] == [int(t.positions[i])
                                                                         for i in t.order("forgetting")]
    window.actions["reset"].trigger()
    assert not action.isEnabled()  # nothing ranked on screen


def _png(path, value):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (8, 8), value).save(path)


def test_an_image_folders_suspects_are_exported_with_their_files(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    for c in ("cat", "dög"):
        for i in range(20):
            _png(folder / c / f"{i}.png", 5 * i + (100 if c == "dög" else 0))
    window.settings_panel.set_config(tiny_config({
        "data.dataset": "image_folder", "data.path": str(folder), "data.train_size": 20, "data.val_size": 10,
        "data.test_size": 10, "optim.epochs": 2, "model.width": 8}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    qtbot.waitUntil(window.menu_actions[ENTRY].isEnabled, timeout=RUN_TIMEOUT)
    target = tmp_path / "s.csv"
    _save_to(monkeypatch, target)
    window.menu_actions[ENTRY].trigger()
    with open(target, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 20
    assert all(r["file"].startswith(str(folder)) and r["file"].endswith(".png") for r in rows)
    assert {r["given_name"] for r in rows} == {"cat", "dög"}
    assert all(r["file"].split("/")[-2] == r["given_name"] for r in rows)  # the folder is the label given
