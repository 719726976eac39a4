"""The window's settings: kept across restarts (or not, for a scripted launch), files,
the preset picker, fields that do not apply."""


import pytest
from PySide6.QtCore import QSettings, Qt

from gui.window.main_window import MainWindow
from tests.helpers import tiny_config


def test_settings_survive_a_restart_and_corrupt_state_opens_at_defaults(qtbot, tmp_path):
    w = MainWindow(tiny_config({"regularization.dropout": 0.45}))
    qtbot.addWidget(w)
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.settings_panel.value("regularization.dropout") == pytest.approx(0.45)
    store = QSettings()
    store.setValue("settings/config", "{not json")
    store.setValue("window/geometry", "garbage")
    store.sync()
    fresh = MainWindow()
    qtbot.addWidget(fresh)
    assert fresh.settings_panel.value("regularization.dropout") == 0.0
    assert fresh.settings_panel.current_preset() == "overfit"


def test_a_scripted_window_neither_reads_nor_writes_stored_settings(qtbot):
    w = MainWindow(tiny_config({"regularization.dropout": 0.45}))
    qtbot.addWidget(w)
    w.close()  # stored: dropout 0.45
    scripted = MainWindow(tiny_config({"optim.epochs": 3}), "overfit", restore=False)
    qtbot.addWidget(scripted)
    assert scripted.settings_panel.value("regularization.dropout") == 0.0
    scripted.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.settings_panel.value("regularization.dropout") == pytest.approx(0.45)
    assert again.settings_panel.value("optim.epochs") != 3


def test_the_picker_says_when_settings_differ_from_the_preset(qtbot):
    from engine.core.config import load_preset

    w = MainWindow(load_preset("overfit").with_updates({"optim.epochs": 3}), "overfit", restore=False)
    qtbot.addWidget(w)
    panel = w.settings_panel
    assert panel.preset_box.currentText() == "overfit (modified)" and panel.current_preset() is None
    assert "memoriz" in panel.description.text() or "100 %" in panel.description.text()
    panel.widgets["optim.epochs"].setValue(load_preset("overfit").optim.epochs)
    assert panel.preset_box.currentText() == "overfit" and panel.current_preset() == "overfit"


def test_settings_save_to_toml_and_open_again_and_a_bad_file_is_named(qtbot, window, tmp_path):
    files, panel = window.settings_files, window.settings_panel
    panel.widgets["regularization.dropout"].setValue(0.35)
    assert files.save(str(tmp_path / "mine.toml"))
    assert "dropout = 0.35" in (tmp_path / "mine.toml").read_text()
    panel.widgets["regularization.dropout"].setValue(0.0)
    assert files.load(str(tmp_path / "mine.toml"))
    assert panel.value("regularization.dropout") == pytest.approx(0.35)
    (tmp_path / "bad.toml").write_text("[regularization]\ndropout = 3\n")
    assert not files.load(str(tmp_path / "bad.toml"))
    assert f"{tmp_path / 'bad.toml'}: regularization.dropout = 3" in window.status_label.text()
    assert panel.value("regularization.dropout") == pytest.approx(0.35)  # nothing lost


def test_the_wheel_scrolls_the_settings_and_leaves_an_unfocused_field_alone(qtbot):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from gui.panels.settings import SettingsPanel

    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 300)
    panel.show()
    depth = panel.widgets["model.depth"]
    before, bar = depth.value(), panel.scroll.verticalScrollBar()
    start = bar.value()
    wheel = QWheelEvent(QPointF(5, 5), QPointF(depth.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(depth, wheel)
    assert depth.value() == before and bar.value() > start


def test_test_size_applies_only_where_there_is_no_official_test_split(qtbot, window):
    panel = window.settings_panel
    test_size = panel.widgets["data.test_size"]
    assert panel.value("data.dataset") == "fashion_mnist" and not test_size.isEnabled()
    from engine.core.applicability import TEST_SIZE_IGNORED

    assert TEST_SIZE_IGNORED in test_size.toolTip()
    panel.widgets["data.dataset"].setCurrentText("moons")
    assert test_size.isEnabled() and TEST_SIZE_IGNORED not in test_size.toolTip()


def test_the_view_menu_choices_survive_a_restart(qtbot):
    from PySide6.QtWidgets import QApplication

    app_pt = QApplication.font().pointSizeF()
    w = MainWindow(tiny_config())
    qtbot.addWidget(w)
    w.menu_actions["Larger text"].trigger()
    w.menu_actions["Layer plots (weight and gradient norms)"].trigger()  # off
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    try:
        assert again.plots.text_scale == pytest.approx(1.25)
        assert not again.plots.grid.layers
        assert not again.menu_actions["Layer plots (weight and gradient norms)"].isChecked()
    finally:
        again.menu_actions["Smaller text"].trigger()
    assert QApplication.font().pointSizeF() == pytest.approx(app_pt)
