"""Messages a user must not miss: warnings stay in view, a bad settings file gets a dialog."""

from engine.core import events as ev
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def _png(path, value):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (8, 8), value).save(path)


def test_a_warning_about_left_out_images_stays_in_view_after_the_run_finishes(qtbot, window, tmp_path):
    folder = tmp_path / "photos"
    for c in ("cat", "dog"):
        for i in range(20):
            _png(folder / c / f"{i}.png", 5 * i + (100 if c == "dog" else 0))
    (folder / "dog" / "broken.png").write_bytes(b"not a png")
    window.settings_panel.set_config(tiny_config({
        "data.dataset": "image_folder", "data.path": str(folder), "data.train_size": 20, "data.val_size": 10,
        "data.test_size": 10, "optim.epochs": 1, "model.width": 8}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        window.actions["start"].trigger()
    assert sig.args[0].reason == ev.COMPLETED
    warning = window.status.warning
    assert warning.isVisible() and "left out 1 unreadable image(s)" in warning.text()
    assert "broken.png" in warning.toolTip()
    assert "left out" not in window.status_label.text()  # the line that "finished" took over
    window.settings_panel.set_config(tiny_config())
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    assert not warning.isVisible()  # a run of other data: its own warnings only


def test_a_bad_settings_file_is_named_in_a_dialog_and_nothing_is_lost(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    bad = tmp_path / "bad.toml"
    bad.write_text("[regularization]\ndropout = 3\n")
    window.settings_panel.widgets["regularization.dropout"].setValue(0.35)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    window.menu_actions["Open settings…"].trigger()
    box = window.settings_files.dialog
    assert box is not None and box.isVisible()
    assert f"{bad}: regularization.dropout = 3" in box.text()
    assert window.settings_panel.value("regularization.dropout") == 0.35
    box.close()
