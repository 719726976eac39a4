"""The window's side of a search: the dialog's space, the Search tab following a study."""

from __future__ import annotations

from engine.core.config import load_preset
from engine.search.space import search_settings


def test_the_dialogs_default_space_is_the_command_lines_also_when_the_dialog_is_reused(qtbot):
    from gui.controllers.experiment_dialogs import SearchDialog

    dialog = SearchDialog(None, "s")  # the window keeps one dialog: what was typed survives
    qtbot.addWidget(dialog)
    for preset in ("transfer", "overfit", "transfer"):  # a backbone (no width), then a width again
        base = load_preset(preset)
        dialog.fit_to(base)
        assert dialog.settings().describe() == search_settings(None, base).describe(), preset
    assert not dialog.params["model.width"].isEnabled()  # left out, and it says why
    assert "backbone" in dialog.params["model.width"].toolTip()


def _study_of_four_parameters(folder, trials=8):
    """A journal study as workers leave it: the default space's four parameters, every trial
    complete with its validation curve (made with Optuna directly: no training needed)."""
    from engine.search.space import suggest
    from engine.search.storage import open_storage, open_study

    folder.mkdir(parents=True)
    settings = search_settings(None)
    study = open_study(folder.name, settings, open_storage(None, folder))
    for i in range(trials):
        trial = study.ask()
        changes = suggest(trial, settings.space)
        for epoch in range(1, 4):
            trial.report(0.5 + 0.01 * i + 0.001 * epoch, epoch)
        study.tell(trial, 0.5 + 0.01 * i + changes["regularization.dropout"] / 10)
    return settings


def _attach(qtbot, window, monkeypatch, folder):
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (str(folder), True))
    window.experiments.searches.attach_study()  # Experiments ▸ Attach to a study…
    view = window.search_view
    importance = view.plots["importance"].getPlotItem()
    qtbot.waitUntil(lambda: view.table.rowCount() == 8 and bool(importance.items), timeout=30000)
    return view


def _drawn_labels(plot) -> list[str]:
    """The tick labels pyqtgraph actually draws on a plot's bottom axis (it drops any that
    would not fit), one word per parameter."""
    from PySide6.QtGui import QImage, QPainter

    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = plot.getPlotItem().getAxis("bottom").generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text.replace("\n", "_") for _rect, _flags, text in texts]


def test_every_parameter_is_labelled_in_the_search_tab_at_1280x720(qtbot, window, monkeypatch, tmp_path):
    _study_of_four_parameters(tmp_path / "four")
    window.resize(1280, 720)
    view = _attach(qtbot, window, monkeypatch, tmp_path / "four")
    assert window.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: view.plots["parallel"].width() > 0)
    names = {"lr", "dropout", "weight_decay", "width"}
    for larger in range(3):  # as it opens, then View ▸ Larger text twice (a projector): narrower plots
        for plot in ("parallel", "importance"):
            assert set(_drawn_labels(view.plots[plot])) == names, (plot, larger)
        window.scale_text(1.25)
        qtbot.wait(50)  # the layout settles: nothing is timed


def test_the_search_tab_reads_the_study_off_the_gui_thread(qtbot, window, monkeypatch, tmp_path):
    """Opening the storage, loading the study and fitting the importances may each take
    seconds on a database: none of them runs on the GUI thread."""
    import threading

    import optuna

    import engine.search.storage as storage

    calls = []

    def recorded(name, real):
        def call(*a, **k):
            calls.append((name, threading.current_thread() is threading.main_thread()))
            return real(*a, **k)
        return call

    monkeypatch.setattr(storage, "open_storage", recorded("open_storage", storage.open_storage))
    monkeypatch.setattr(optuna, "load_study", recorded("load_study", optuna.load_study))
    monkeypatch.setattr(optuna.importance, "get_param_importances",
                        recorded("importances", optuna.importance.get_param_importances))
    _study_of_four_parameters(tmp_path / "four")
    calls.clear()
    view = _attach(qtbot, window, monkeypatch, tmp_path / "four")
    view.refresh()
    qtbot.waitUntil(lambda: sum(name == "load_study" for name, _ in calls) >= 2, timeout=30000)
    assert {name for name, _ in calls} == {"open_storage", "load_study", "importances"}
    assert not [name for name, on_gui_thread in calls if on_gui_thread]
