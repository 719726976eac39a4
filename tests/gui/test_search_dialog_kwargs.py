"""The search dialog offers the keyword arguments of the user's own network (model.file's
[model.kwargs] table): a row each, searched when checked, gone when model.file is not set."""

import json
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from gui.controllers.experiment_dialogs import SearchDialog
from gui.window.run_state import IDLE, RUNNING
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

ROOT = Path(__file__).resolve().parents[2]
MENU = "Hyperparameter search of the panel's settings…"
OWN_NET = {"model.file": str(ROOT / "docs/examples/my_mlp.py") + ":build", "model.kwargs": {"hidden": 8},
           "data.dataset": "moons", "data.train_size": 64, "data.val_size": 64, "data.test_size": 64,
           "optim.epochs": 1}


def test_a_search_from_the_menu_varies_a_keyword_argument_of_model_file(qtbot, window):
    window.settings_panel.set_config(tiny_config(OWN_NET))
    seen = {}

    def in_the_dialog():
        dialog = QApplication.activeModalWidget()
        seen["rows"] = sorted(k for k in dialog.params if k.startswith("model.kwargs."))
        if "model.kwargs.hidden" not in dialog.params:
            dialog.reject()  # (no row to check: the assertion below says so)
            return
        seen["range"] = dialog.ranges["model.kwargs.hidden"].text()
        seen["label"] = dialog.params["model.kwargs.hidden"].text()
        for box in dialog.params.values():
            box.setChecked(False)
        dialog.params["model.kwargs.hidden"].setChecked(True)
        dialog.ranges["model.kwargs.hidden"].setText("4, 6")
        dialog.trials.setValue(2)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(0, in_the_dialog)
    window.menu_actions[MENU].trigger()
    assert seen == {"rows": ["model.kwargs.hidden"], "range": "2, 32", "label": "model.kwargs.hidden (log scale)"}
    qtbot.waitUntil(lambda: window.state == RUNNING, timeout=RUN_TIMEOUT)  # (its storage opened off the GUI thread)
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    sources = [json.loads(p.read_text())["model_source"] for p in window.runs_dir.rglob("summary.json")]
    assert len(sources) == 2
    for source in sources:
        hidden = source["kwargs"]["hidden"]
        assert hidden in (4, 5, 6) and f"out_features={hidden}" in source["repr"]


def test_the_kwargs_rows_follow_the_panels_settings(qtbot, window):
    dialog = SearchDialog(window, "kwargs")  # the window keeps one dialog: it is fitted each time
    qtbot.addWidget(dialog)
    dialog.fit_to(tiny_config({**OWN_NET, "model.kwargs": {"hidden": 8, "act": "relu", "bias": True}}))
    texts = {k: dialog.ranges[k].text() for k in dialog.params if k.startswith("model.kwargs.")}
    assert texts == {"model.kwargs.hidden": "2, 32", "model.kwargs.act": "relu", "model.kwargs.bias": "true, false"}
    assert not any(dialog.params[k].isChecked() for k in texts)  # searched only when asked
    dialog.params["model.kwargs.bias"].setChecked(True)
    table = dialog.search_table()
    assert table["params"]["model.kwargs.bias"] == [True, False]
    dialog.fit_to(tiny_config())  # no model.file: no rows for its arguments
    assert not [k for k in dialog.params if k.startswith("model.kwargs.")]
    assert not [k for k in dialog.search_table()["params"] if k.startswith("model.kwargs.")]
