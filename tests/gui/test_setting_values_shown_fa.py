"""A setting's value as the window shows it, in German: the Experiment tab's Settings-that-differ
table, its run labels and legend, a learning curve's table, the refusal of a settings file —
numbers with the decimal comma (0,5, never 0.5), a switch as the language's on / off."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog

from engine.core.i18n import C_
from engine.experiments.experiment import Experiment
from engine.experiments.plans import curve_plan
from engine.runs.reader import list_runs
from tests.gui.conftest import RUN_TIMEOUT, wait_for_step
from tests.gui.test_experiment_tab import _show_in_the_dock
from tests.helpers import tiny_config


@pytest.fixture
def german_window(qapp, request):
    from gui.window import language

    assert language.install(qapp, "de") == "de"
    window = request.getfixturevalue("window")
    window.resize(1280, 720)
    return window


def _texts(table) -> list[list[str]]:
    return [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def _headers(table) -> list[str]:
    return [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]


def test_two_runs_compared_show_their_settings_in_the_languages_format(qtbot, german_window):
    window = german_window
    on, off = C_("setting choice", "on"), C_("setting choice", "off")
    assert (on, off) == ("an", "aus")  # the German catalog speaks: the switch's words are German
    plan = [{"regularization.dropout": 0.5, "regularization.augment_hflip": True},
            {"regularization.dropout": 0.25}]
    folder = Experiment(tiny_config({"optim.epochs": 1}), plan, runs_dir=window.runs_dir, name="zwei",
                        kind="twin", meta={}).run().path
    _show_in_the_dock(window, folder)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.mode == "overlay" and len(view.runs) == 2 and view.diff.rowCount() == 2,
                    timeout=10_000)
    labels = [r.label for r in view.runs]
    assert labels == [f"dropout 0,5, augment_hflip {on}", "dropout 0,25"], labels
    diff = {row[0]: row[1:] for row in _texts(view.diff)}
    assert diff == {"regularization.augment_hflip": [on, off], "regularization.dropout": ["0,5", "0,25"]}, diff
    assert _headers(view.diff)[1:] == labels  # each run's column named by its label
    legend = [label.text for _sample, label in view.plots["accuracy"].getPlotItem().legend.items]
    assert any("0,25" in text for text in legend), legend
    shown = " | ".join(labels + _headers(view.diff) + [c for row in _texts(view.diff) for c in row] + legend)
    assert "0.5" not in shown and "0.25" not in shown and "True" not in shown and "False" not in shown, shown


def test_a_learning_curve_over_a_fraction_shows_its_values_with_the_decimal_comma(qtbot, german_window):
    window = german_window
    values = [0.1, 0.25]
    folder = Experiment(tiny_config({"optim.epochs": 1}), curve_plan("data.label_noise", values, [0]),
                        runs_dir=window.runs_dir, name="kurve", kind="curve",
                        meta={"over": "data.label_noise", "values": values, "seeds": 1}).run().path
    _show_in_the_dock(window, folder)
    view = window.experiment_view
    qtbot.waitUntil(lambda: view.mode == "curve" and view.table.rowCount() == 2, timeout=10_000)
    assert [row[0] for row in _texts(view.table)] == ["0,1", "0,25"]
    labels = [r.label for r in view.runs]  # each run's name, as a learning curve's trial is called
    assert all("label_noise 0,1," in t or "label_noise 0,25," in t for t in labels), labels


def test_a_settings_file_refused_names_its_value_in_the_languages_format(qtbot, german_window, tmp_path,
                                                                        monkeypatch):
    edited = tmp_path / "falsch.toml"
    edited.write_text("[data]\nlabel_noise = 3.0\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(edited), "")))
    german_window.menu_actions["Open settings…"].trigger()
    said = german_window.settings_files.dialog.text() + german_window.settings_files.dialog.informativeText()
    assert "data.label_noise = 3,0" in said and "[0,0; 1,0]" in said, said
    assert "3.0" not in said, said


def test_a_live_edit_is_marked_on_the_plots_in_the_languages_format(qtbot, german_window, monkeypatch):
    """The marker's label is made from the values, not re-read from the shown text: 2048 is
    "2.048" in German (grouped), which re-read as a decimal was labelled "2,048"; a choice is
    the settings panel's word for it."""
    window = german_window
    window.resize(1600, 900)  # room for both labels whole
    # Too many epochs to end within the test (500 ended in a busy suite before the labels were read).
    window.settings_panel.set_config(tiny_config({"optim.epochs": 100_000}))
    assert window.start_run()
    wait_for_step(qtbot, window)
    markers, widgets = window.plots.markers, window.settings_panel.widgets
    widgets["regularization.min_delta"].setValue(2048.0)
    qtbot.waitUntil(lambda: "min_delta 0→2.048" in markers.labels("loss"), timeout=10_000)
    assert "min_delta 0→2.048" in window.status_label.text()
    qtbot.waitUntil(lambda: markers.drawn("loss") == ["min_delta 2.048"], timeout=RUN_TIMEOUT)
    mode = widgets["regularization.weight_decay_mode"]
    mode.setCurrentIndex(mode.findData("l2_penalty"))
    qtbot.waitUntil(lambda: "weight_decay_mode entkoppelt→L2-Strafterm" in markers.labels("loss"), timeout=10_000)
    assert "weight_decay_mode entkoppelt→L2-Strafterm" in window.status_label.text()
    # Drawn at the next redraw (seconds on a busy machine), each whole: a second edit a moment
    # after the first is a line a pixel away, its label a row further in.
    qtbot.waitUntil(lambda: markers.drawn("loss") == ["min_delta 2.048", "weight_decay_mode L2-Strafterm"],
                    timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()
    # Opened again (File ▸ Open run…): its edits read from its folder, marked the same way.
    folder = list_runs(window.runs_dir)[0]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    window.menu_actions["Open run…"].trigger()
    qtbot.waitUntil(lambda: markers.labels("loss")[:2] == ["min_delta 0→2.048", "weight_decay_mode entkoppelt→L2-Strafterm"],
                    timeout=10_000)
    qtbot.waitUntil(lambda: markers.drawn("loss")[:2] == ["min_delta 2.048", "weight_decay_mode L2-Strafterm"],
                    timeout=RUN_TIMEOUT)
