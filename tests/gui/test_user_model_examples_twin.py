"""A user's own network (model.file) in the Examples tab and as a twin in the window: the
tab opens its run folder without importing the file, and "Compare with…" trains the twin
from the same file."""

import json
from pathlib import Path

from engine.runs.reader import list_runs
from gui.window.run_state import IDLE
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_a_user_networks_run_in_the_examples_tab_and_as_a_twin(qtbot, window, tmp_path, monkeypatch):
    marker = tmp_path / "imported.txt"
    net = tmp_path / "my_mlp.py"  # the shipped MLP, telling when it is imported
    net.write_text((EXAMPLES / "my_mlp.py").read_text() + f"\nfrom pathlib import Path\nPath({str(marker)!r}).touch()\n")
    window.settings_panel.set_config(tiny_config({"model.file": f"{net}:build", "model.kwargs": {"hidden": 16},
                                                  "data.label_noise": 0.3, "optim.epochs": 3}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        assert window.start_run()
    (reference,) = list_runs(window.runs_dir)
    assert marker.exists()
    marker.unlink()
    # The Examples tab opens the folder: its dynamics and images, nothing of the file runs.
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(reference))
    view = window.examples_view
    view.open_button.click()
    qtbot.waitUntil(lambda: window.examples.folder == reference and view.images is not None, timeout=RUN_TIMEOUT)
    assert view.tally.size == 256 and len(view.tally.epochs) == 3 and view.tally.corrupted.sum() > 0
    assert view.images.shape == (256, 28, 28, 1)
    assert not marker.exists()
    # Compare with…: the twin trains the same file, with the panel's change.
    window.settings_panel.set_value("regularization.dropout", 0.5)
    window.experiments.twin(reference)
    qtbot.waitUntil(lambda: window.state == IDLE and len(window.experiment_view.runs) == 2, timeout=RUN_TIMEOUT)
    twin = window.experiment_view.runs[1].path
    summary = json.loads((twin / "summary.json").read_text())
    assert summary["twin_of"] == str(reference) and summary["status"] == "completed"
    source = json.loads((reference / "summary.json").read_text())["model_source"]
    assert summary["model_source"]["sha256"] == source["sha256"] and summary["model_source"]["kwargs"] == {"hidden": 16}
    assert json.loads((twin / "config.json").read_text())["regularization"]["dropout"] == 0.5
    assert "Dropout(p=0.5" in summary["model_source"]["repr"]
    assert marker.exists()  # the twin ran the file
