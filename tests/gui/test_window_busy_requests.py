"""Requests that cannot start while a run is live say so, and leave nothing behind."""

import threading

from tests.gui.conftest import RUN_TIMEOUT


def test_a_twin_asked_for_while_a_run_is_live_says_why_and_shows_no_comparison(qtbot, long_run, tmp_path):
    from engine.experiments.experiment import run_single
    from tests.helpers import tiny_config

    window = long_run
    reference = run_single(tiny_config({"optim.epochs": 1}), runs_dir=tmp_path / "elsewhere").run_dir
    shown = window.tabs.currentWidget()
    window.experiments.twin(reference)
    assert window.tabs.currentWidget() is shown  # no "Twin runs: ..." tab over a run that is not its twin
    assert "a run is live" in window.status.label.text()


def test_a_search_asked_for_while_a_run_is_live_is_refused_before_its_storage_is_made(qtbot, long_run):
    from gui.controllers.experiment_dialogs import SearchDialog

    window = long_run
    window.experiments.search(SearchDialog(window, "busy-search"))
    assert "a run is live" in window.status.label.text()
    assert not (window.runs_dir / "busy-search").exists()  # no empty study left behind


def test_closing_while_a_searchs_storage_opens_starts_no_search_and_closes(qtbot, window, monkeypatch):
    import gui.controllers.search as search_module
    from gui.controllers.experiment_dialogs import SearchDialog
    from tests.helpers import tiny_config

    release, opening = threading.Event(), threading.Event()
    real_open = search_module._open_storage

    def slow_open(*args, **kwargs):
        opening.set()
        release.wait(30)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(search_module, "_open_storage", slow_open)
    asked = []
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: asked.append(a[1]) or True)
    window.settings_panel.set_config(tiny_config({"optim.epochs": 30}))
    window.experiments.search(SearchDialog(window, "closing-search"))
    try:
        qtbot.waitUntil(opening.is_set, timeout=10_000)
        window.close()
        assert window.isVisible() and not window.actions["start"].isEnabled()  # waiting, and says so
    finally:
        release.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RUN_TIMEOUT)
    assert asked == [] and window.search_view.study_name is None  # nothing started, nothing to confirm
