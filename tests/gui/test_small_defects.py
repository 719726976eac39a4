"""Small defects a new user met in the window: text in a number field, a preset picked over
changed settings, where Resume's dialog opens, where a twin of another folder's run goes,
and what an image-folder run is called."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog

from engine.core.config import load_preset
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def type_into(qtbot, window, key: str, text: str):
    field = window.settings_panel.widgets[key]
    window.settings_panel.window().activateWindow()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    field.lineEdit().selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    return field


# --- number fields --------------------------------------------------------------------------

def test_text_that_is_not_a_number_is_refused_and_said_naming_the_field(qtbot, window):
    panel = window.settings_panel
    field = type_into(qtbot, window, "data.train_size", "abc-5xyz")
    assert field.value() == 256 and panel.config().data.train_size == 256  # was: 5, without a word
    note = panel.errors["data.train_size"]
    assert note.isVisibleTo(panel)
    assert note.text() == ("train size: “abc-5xyz” is not a whole number: kept 256. "
                           "Allowed: a whole number from 1 to 2,147,483,647.")
    type_into(qtbot, window, "optim.lr", "fast")
    assert panel.config().optim.lr == 1e-3
    assert panel.errors["optim.lr"].text().startswith("learning rate: “fast” is not a number: kept 0.001. "
                                                      "Allowed: a number from 0.000001 to 100")
    type_into(qtbot, window, "data.train_size", "12.5")
    assert field.value() == 256 and "“12.5” is not a whole number" in panel.errors["data.train_size"].text()


def test_a_number_above_the_maximum_is_set_to_it_and_said_with_the_field_and_range(qtbot, window):
    panel = window.settings_panel
    field = type_into(qtbot, window, "optim.batch_size", "99999")
    assert field.value() == 65536
    assert panel.errors["optim.batch_size"].text() == (
        "batch size: 99999 is above the maximum 65,536: set to 65,536. Allowed: a whole number from 1 to 65,536.")
    type_into(qtbot, window, "optim.batch_size", "48")  # a good number afterwards: the note goes
    assert field.value() == 48 and not panel.errors["optim.batch_size"].isVisibleTo(panel)


# --- a preset picked over changed settings --------------------------------------------------

def answer(button: str, seen: list) -> None:
    """Click `button` of the question the window is about to ask, keeping what it said
    (nothing, when no question comes within a few seconds)."""
    tries = iter(range(250))

    def click():
        box = QApplication.activeModalWidget()
        if box is None:  # not open yet
            if next(tries, None) is not None:
                QTimer.singleShot(20, click)
            return
        seen.append(f"{box.text()}\n{box.informativeText()}")
        next(b for b in box.buttons() if b.text().replace("&", "") == button).click()
    QTimer.singleShot(0, click)


def pick_preset(qtbot, window, name: str) -> None:
    """Choose `name` in the preset picker as a user does: open its list, click the entry."""
    box = window.settings_panel.preset_box
    box.showPopup()
    view = box.view()
    qtbot.waitUntil(view.isVisible, timeout=5000)
    index = box.model().index(box.findText(name), 0)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=5000)


@pytest.fixture
def overfit_window(qtbot, window):
    window.settings_panel.set_config(load_preset("overfit").with_updates({"optim.epochs": 2}), "overfit")
    return window


def test_a_preset_picked_over_changed_settings_asks_first_and_cancel_keeps_them(qtbot, overfit_window):
    window, seen = overfit_window, []
    panel = window.settings_panel
    type_into(qtbot, window, "regularization.dropout", "0.25")
    answer("Cancel", seen)
    pick_preset(qtbot, window, "weight_decay")
    assert len(seen) == 1
    assert seen[0].startswith("Discard your changes to the “overfit” settings?\n"
                              "Switching to the preset “weight_decay” replaces the settings you changed:")
    assert "regularization.dropout: 0 → 0.25" in seen[0]
    assert panel.value("regularization.dropout") == 0.25 and panel.preset_name() == "overfit"
    assert panel.preset_box.currentText() == "overfit (modified)"
    answer("Discard", seen)
    pick_preset(qtbot, window, "weight_decay")
    assert len(seen) == 2
    assert panel.current_preset() == "weight_decay"
    assert panel.config() == load_preset("weight_decay")


def test_a_preset_picked_over_unchanged_settings_is_not_asked_about(qtbot, overfit_window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "exec", lambda self: pytest.fail(f"asked: {self.text()}"))
    pick_preset(qtbot, overfit_window, "dropout")
    assert overfit_window.settings_panel.current_preset() == "dropout"


def test_opening_a_settings_file_over_changed_settings_asks_first(qtbot, window, tmp_path, monkeypatch):
    seen = []
    saved = tiny_config({"optim.epochs": 7}).save(tmp_path / "mine.toml")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(saved), "")))
    type_into(qtbot, window, "optim.epochs", "5")
    answer("Cancel", seen)
    window.menu_actions["Open settings…"].trigger()
    assert len(seen) == 1 and "optim.epochs: 2 → 5" in seen[0] and "Opening mine.toml" in seen[0]
    assert window.settings_panel.value("optim.epochs") == 5
    answer("Discard", seen)
    window.menu_actions["Open settings…"].trigger()
    assert window.settings_panel.value("optim.epochs") == 7


# --- Resume, twins, names ---------------------------------------------------------------------

def test_resume_opens_its_dialog_at_the_cut_off_experiment_not_its_run(qtbot, window, monkeypatch):
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: True)  # "Stop the experiment?"
    window.settings_panel.set_config(tiny_config({"data.train_size": 120, "optim.epochs": 200}))
    window.experiments.cross_validate(3)
    qtbot.waitUntil(lambda: window.plots.step_loss.n > 0, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()
    (experiment,) = [p for p in window.runs_dir.iterdir() if (p / "experiment.json").is_file()]
    cut_off = json.loads((experiment / "experiment.json").read_text())["trials"][0]["run_dir"]
    assert (experiment / cut_off).is_dir()  # the run the window trained last lies inside it
    opened_at = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: opened_at.append(a[2]) or "")
    window.menu_actions["Resume an interrupted experiment…"].trigger()
    assert opened_at == [str(experiment)]


def test_a_twin_of_a_run_from_another_folder_is_written_beside_it(qtbot, window, tmp_path, monkeypatch):
    from engine.experiments.experiment import run_single

    elsewhere = tmp_path / "shared runs"
    reference = run_single(tiny_config(), runs_dir=elsewhere).run_dir
    window.settings_panel.set_config(tiny_config())
    type_into(qtbot, window, "regularization.dropout", "0.3")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(reference))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.menu_actions["Compare with… (a twin of a run, with the panel's changes)"].trigger()
    twins = [p for p in elsewhere.iterdir() if p != reference and (p / "config.json").is_file()]
    assert len(twins) == 1
    assert json.loads((twins[0] / "config.json").read_text())["regularization"]["dropout"] == 0.3
    assert not window.runs_dir.exists() or not any(p.is_dir() for p in window.runs_dir.iterdir())
    # A twin of one of the window's own runs stays in the window's runs folder.
    own = run_single(tiny_config(), runs_dir=window.runs_dir).run_dir
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(own))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.menu_actions["Compare with… (a twin of a run, with the panel's changes)"].trigger()
    assert len([p for p in window.runs_dir.iterdir() if (p / "config.json").is_file()]) == 2


def image_folder(root: Path) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, level in (("dark", 30), ("light", 220)):
        (root / name).mkdir(parents=True)
        for i in range(30):
            Image.fromarray(np.clip(rng.normal(level, 10, (8, 8)), 0, 255).astype(np.uint8)).save(
                root / name / f"{name}{i:02d}.png")
    return root


def test_an_image_folder_run_is_named_after_its_folder_not_its_preset(qtbot, window, tmp_path):
    folder = image_folder(tmp_path / "pets")
    config = load_preset("overfit").with_updates(
        {"data.dataset": "image_folder", "data.path": str(folder), "data.image_size": 8, "data.train_size": 30,
         "data.val_size": 10, "data.test_size": 10, "model.width": 16, "optim.epochs": 1, "optim.batch_size": 16})
    window.settings_panel.set_config(config, "overfit")
    assert config.run.name == "overfit"
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    (run,) = [p for p in window.runs_dir.iterdir() if (p / "config.json").is_file()]
    assert json.loads((run / "config.json").read_text())["run"]["name"] == "pets (image folder)"
    assert "overfit" not in run.name
