"""A new user's pass at 1280 x 720: captions, messages and tooltips that say what they mean."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QToolBar

from engine.core.events import Evaluated, Thumbnails
from tests.gui.conftest import RUN_TIMEOUT

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
REPORT = Evaluated(split="val", weights="best", accuracy=1.0, loss=0.1, class_names=FASHION,
                   precision=[1.0] * 10, recall=[1.0] * 10, f1=[1.0] * 10, support=[5] * 10,
                   confusion_matrix=[[5 if i == j else 0 for j in range(10)] for i in range(10)],
                   macro_f1=1.0, ece=0.01, reliability=[], pr_curves=[[[1.0], [1.0]]] * 10)


def test_gallery_captions_name_both_classes_in_full_within_their_cell(qtbot):
    from gui.panels.evaluation import EvaluationPanel

    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    errors = [[0, 9, 7, 0.93], [1, 0, 2, 0.81]]  # an ankle boot taken for a sneaker; a T-shirt for a pullover
    panel.show_report(replace(REPORT, errors=errors), "run")
    panel.show_thumbnails(Thumbnails("val", [0, 1], (2, 2, 1), [bytes(4)] * 2))
    cell = panel.gallery.gridSize()
    fm = panel.gallery.fontMetrics()
    for row, (true, predicted) in enumerate((("Ankle boot", "Sneaker"), ("T-shirt/top", "Pullover"))):
        item = panel.gallery.item(row)
        assert f"{true} → {predicted}" in item.text() and true in item.toolTip()
        # Every word of the caption on a line of its own within the cell, under the icon.
        needed = fm.boundingRect(QRect(0, 0, cell.width() - 8, 10_000), Qt.TextFlag.TextWordWrap, item.text())
        assert needed.width() <= cell.width() - 8, item.text()
        assert needed.height() + panel.gallery.iconSize().height() <= cell.height(), item.text()


def test_the_gallery_export_of_a_run_with_no_mistakes_says_there_is_none(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window.evaluations.shown.emit(REPORT)  # an evaluation that got every example right
    target = tmp_path / "g.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.menu_actions["Export the gallery as a contact sheet…"].trigger()
    said = window.status_label.text()
    assert "no mistake to show" in said and "val split" in said and "image data" not in said
    assert not target.exists()


def test_the_locked_preset_picker_says_why_while_a_run_is_live(qtbot, long_run):
    window = long_run
    box = window.settings_panel.preset_box
    assert not box.isEnabled() and "Locked while a run or an experiment is live" in box.toolTip()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()
    assert box.isEnabled() and "Locked" not in box.toolTip()


def test_the_experiment_headline_ranks_gaps_by_their_size_and_says_so(qtbot, window):
    from engine.experiments.experiment import run_single
    from tests.gui.test_experiment_tab import _rewrite_end, _show_in_the_dock
    from tests.helpers import tiny_config

    runs = [run_single(tiny_config({"run.name": name, "optim.epochs": 2}), runs_dir=window.runs_dir).run_dir
            for name in ("overfit", "all_remedies", "dropout")]
    for run, gap in zip(runs, (0.20, -0.231, 0.05), strict=True):  # all_remedies: validation far above training
        _rewrite_end(run, reason="completed", final_metrics={"end_gap": gap})
    _show_in_the_dock(window, *runs)
    view = window.experiment_view
    qtbot.waitUntil(lambda: "smallest gap" in view.title.text())
    assert "smallest gap (in size, either way): dropout, +5.0 pts" in view.title.text()


def test_a_hovered_actions_status_tip_takes_the_status_line_not_a_message_over_it(qtbot, window):
    window.resize(1280, 720)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    bar, line, info = window.statusBar(), window.status_label, window.status.info
    said = line.text()
    assert said.startswith("finished") and info.text()
    action = window.actions["validate"]
    button = window.findChild(QToolBar, "run_toolbar").widgetForAction(action)
    qtbot.mouseMove(button)
    qtbot.waitUntil(lambda: line.text() == action.statusTip())
    assert bar.currentMessage() == ""  # QStatusBar's own message drew over the line and up to the figures
    assert line.geometry().right() < info.geometry().left() and line.isVisible()
    assert window.width() <= 1280
    qtbot.mouseMove(window.tabs)
    qtbot.waitUntil(lambda: line.text() == said)


def _rows_in_view(table) -> bool:
    last = table.visualItemRect(table.item(table.rowCount() - 1, 0))
    return table.rowCount() > 0 and 0 <= last.top() and last.bottom() <= table.viewport().height()


def test_after_the_tour_with_larger_text_every_row_of_both_tables_is_in_view(qtbot, window, monkeypatch):
    import engine.experiments.plans as plans
    from tests.gui.test_experiments_window import finish

    small = {"data.train_size": 200, "data.val_size": 200, "model.width": 32, "optim.epochs": 2, "run.device": "cpu"}
    original = plans.tour_plan
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: True)
    monkeypatch.setattr("gui.controllers.experiments.tour_plan",
                        lambda: (lambda base, plan: (base.with_updates(small), plan))(*original()))
    window.resize(1280, 720)
    for _ in range(2):
        window.menu_actions["Larger text"].trigger()
    window.menu_actions["Remedy tour (overfit, then each remedy as its twin)"].trigger()
    finish(qtbot, window)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.isVisible() and view.table.rowCount() == 7)
    qtbot.waitUntil(lambda: _rows_in_view(view.table))  # the splitter gave it 1 of the 6 rows
    assert all(p.height() >= 150 for p in view.plots.values())  # and the plots keep their room
    window.show_tab(window.plots)
    table = window.plots.table
    qtbot.waitUntil(lambda: table.isVisible() and table.rowCount() == 5)  # overfit pinned, 3 earlier, the last
    assert _rows_in_view(table)  # 3 of the 5 with larger text
