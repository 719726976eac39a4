"""Train without the suspects… as a user does it: a run whose weight decay was raised while it
trained gets a twin that raises it too, at the same step; the dialog shows the estimated count
beside the truth; relabelled examples really change label; a run that cannot be cleaned yet
says so in the engine's words."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog, QLabel

from engine.core import events as ev
from engine.experiments.cleaning import not_cleanable_yet
from engine.runs import scores
from engine.runs.dynamics import read_dynamics
from engine.runs.reader import read_run
from engine.runs.suspects import read_suspects
from tests.gui.conftest import RUN_TIMEOUT, wait_for_step
from tests.gui.test_examples_fixes import when_clean_dialog_shows
from tests.helpers import tiny_config

NOISY = {"data.label_noise": 0.3, "optim.epochs": 20, "model.width": 64}


def applied(folder) -> list[dict]:
    return [e for e in read_run(folder).events if e.get("event") == "SettingsApplied"]


def test_the_twin_of_an_edited_run_makes_its_edit_again_and_relabels_only_real_changes(qtbot, window):
    window.settings_panel.set_config(tiny_config(NOISY))
    window.tabs.setCurrentWidget(window.examples_view)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
        wait_for_step(qtbot, window)
        window.settings_panel.widgets["regularization.weight_decay"].setValue(0.01)  # raised mid-run
    reference = Path(window.exports.run_dir)
    edits = applied(reference)
    assert [e["changes"] for e in edits] == [{"regularization.weight_decay": [0.0, 0.01]}]
    view = window.examples_view
    assert view.train_button.isEnabled()
    s = read_suspects(reference)
    estimate = scores.estimated_count(s.dynamics.predicted, s.dynamics.given, s.val_losses)
    seen = {}

    def answer():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QDialog) and dialog.windowTitle() == "Train without the suspects"
        seen["top"] = dialog.top.value()
        seen["texts"] = " ".join(label.text() for label in dialog.findChildren(QLabel))
        dialog.how.setCurrentIndex(1)  # relabel
        dialog.accept()

    when_clean_dialog_shows(lambda _dialog: answer())  # (it opens once the run is read)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        view.train_button.click()
    assert seen["top"] == min(estimate, 255)  # the estimate, not the 77 corrupted on purpose
    assert f"estimated {estimate:,} (truth: 77 corrupted on purpose)" in seen["texts"]
    assert f"epoch {edits[0]['epoch']} (step {edits[0]['step']}): regularization.weight_decay 0.0 -> 0.01" in seen["texts"]
    twin = Path(window.exports.run_dir)
    assert twin != reference
    config = json.loads((twin / "config.json").read_text())
    assert config["regularization"]["weight_decay"] == 0.0  # it starts as the run started ...
    assert [(e["step"], e["epoch"], e["changes"]) for e in applied(twin)] == [  # ... and is edited where it was
        (edits[0]["step"], edits[0]["epoch"], {"regularization.weight_decay": [0.0, 0.01]})]
    pairs = config["data"]["relabel"]
    given = read_dynamics(reference).given
    assert pairs and all(c != given[i] for i, c in pairs)  # positions are rows here (no removal)
    summary = json.loads((twin / "summary.json").read_text())
    assert summary["cleaned"]["changed"] == len(pairs) <= seen["top"]


def test_a_folder_stopped_before_its_turn_says_why_in_the_engines_words(qtbot, window, tmp_path, monkeypatch):
    from engine.core.control import RunControl
    from engine.experiments.experiment import run_single
    from tests.helpers import StopAfterSteps

    control = RunControl()
    folder = run_single(tiny_config({**NOISY, "optim.epochs": 50}), control=control, runs_dir=tmp_path / "h",
                        subscribers=[StopAfterSteps(control, 10)]).run_dir  # in epoch 2: one epoch recorded
    run = read_run(folder)
    why = not_cleanable_yet(run.status, len(read_dynamics(folder).epochs), 1)
    assert run.status == ev.USER_STOPPED and why is not None
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(folder))
    view = window.examples_view
    view.open_button.click()
    qtbot.waitUntil(lambda: window.examples.folder == folder and view.tally is not None, timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: why in view.train_button.toolTip(), timeout=RUN_TIMEOUT)
    assert not view.train_button.isEnabled()


def test_finished_is_declared_once():
    from engine.experiments import cleaning
    from gui.controllers import examples
    from gui.panels import tracked_runs

    assert ev.FINISHED == (ev.COMPLETED, ev.EARLY_STOPPED)
    assert tracked_runs.FINISHED is ev.FINISHED
    assert not hasattr(cleaning, "FINISHED") and not hasattr(examples, "FINISHED")
