"""Your own network in the window: chosen with the settings panel's file picker, the built-in
network's settings greyed with the reason, trained with a live dropout move, and a file
that does not import named in the dialog with the window alive."""

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from engine.runs.reader import list_runs
from tests.gui.conftest import RUN_TIMEOUT, wait_for_step
from tests.helpers import tiny_config

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def choose(qtbot, window, monkeypatch, key: str, path: Path) -> str:
    """Click the field's "…" and pick `path` in the file dialog."""
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *args: asked.append(args[1:]) or (str(path), ""))
    button = next(b for b in window.settings_panel.widgets[key].children() if b.objectName() == f"{key}.browse")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked, "no file dialog was opened"
    return window.settings_panel.widgets[key].line_edit.text()


def test_the_picker_names_the_files_network_and_greys_the_built_in_settings(qtbot, window, monkeypatch):
    panel = window.settings_panel
    assert not panel.widgets["data.file"].isEnabled()  # only for data.dataset = python
    assert not panel.widgets["model.python_path"].isEnabled()
    text = choose(qtbot, window, monkeypatch, "model.file", EXAMPLES / "small_resnet.py")
    assert text == f"{EXAMPLES / 'small_resnet.py'}:SmallResNet"  # its last class, read without running it
    for key in ("model.arch", "model.width", "model.depth", "model.batch_norm", "model.backbone"):
        assert not panel.widgets[key].isEnabled(), key
        assert "your own network (model.file)" in panel.widgets[key].toolTip()
    assert panel.widgets["model.python_path"].isEnabled()
    assert panel.widgets["regularization.dropout"].isEnabled()
    assert panel.config().model.file == text


def test_an_arrays_file_is_chosen_with_a_file_dialog(qtbot, window, monkeypatch, tmp_path):
    path = tmp_path / "table.npz"
    np.savez(path, x=np.zeros((4, 2), np.float32), y=np.arange(4) % 2)
    window.settings_panel.set_value("data.dataset", "arrays")
    assert choose(qtbot, window, monkeypatch, "data.path", path) == str(path)
    assert window.settings_panel.config().data.path == str(path)


def test_a_user_network_trains_in_the_window_with_its_layer_names_and_a_live_dropout_move(
        qtbot, window, monkeypatch):
    choose(qtbot, window, monkeypatch, "model.file", EXAMPLES / "with_dropout.py")
    cfg = window.settings_panel.config()
    window.settings_panel.set_config(tiny_config({"optim.epochs": 500, "model.file": cfg.model.file}))
    assert window.start_run()
    wait_for_step(qtbot, window)
    window.settings_panel.widgets["regularization.dropout"].setValue(0.3)
    qtbot.waitUntil(lambda: "dropout 0→0.3" in window.plots.markers.labels("loss"), timeout=30_000)
    qtbot.waitUntil(lambda: bool(window.plots.layer_series), timeout=RUN_TIMEOUT)
    assert list(window.plots.layer_series) == ["features.0", "features.4", "head.2", "head.4"]
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()
    run_dir = list_runs(window.runs_dir)[0]
    assert '"regularization.dropout": [0.0, 0.3]' in (run_dir / "metrics.jsonl").read_text()
    assert '"model_source"' in (run_dir / "summary.json").read_text()


def test_a_file_that_does_not_import_is_named_in_the_dialog_and_the_window_lives(qtbot, window, tmp_path):
    bad = tmp_path / "broken_net.py"
    bad.write_text("import torch\nraise ImportError('no module named lab_internal')\n")
    window.settings_panel.set_config(tiny_config({"model.file": f"{bad}:build"}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    text = window.error_dialog.text()
    assert f"{bad} could not be imported" in text and "ImportError: no module named lab_internal" in text
    window.error_dialog.close()
    assert list_runs(window.runs_dir) == []
    window.settings_panel.set_config(tiny_config())  # the window trains on
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        assert window.start_run()


def test_a_network_without_dropout_layers_says_so_in_the_window(qtbot, window, tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text("from torch import nn\n\ndef build(input_shape, num_classes):\n"
                     "    return nn.Sequential(nn.Flatten(), nn.Linear(784, num_classes))\n")
    window.settings_panel.set_config(tiny_config({"model.file": f"{plain}:build", "regularization.dropout": 0.2,
                                                  "optim.epochs": 1}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        assert window.start_run()
    assert "no dropout layers, so regularization.dropout changes nothing" in window.status.warning.toolTip()
    assert window.status.warning.isVisible()
