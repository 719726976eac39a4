"""The window's menus: Help, View (text size, layer plots), File ▸ Export."""


import pytest

from tests.gui.conftest import RUN_TIMEOUT


def test_help_menu_names_the_runs_and_log_folders(qtbot, window, tmp_path):
    window.log_path = tmp_path / "state" / "overfit-lab.log"
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    where = next(a for a in help_menu.actions() if "runs and logs" in a.text())
    where.trigger()
    text = window.where_dialog.text()
    assert str(window.runs_dir) in text and str(window.log_path) in text
    window.where_dialog.close()


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
