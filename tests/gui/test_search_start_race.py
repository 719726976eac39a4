"""A search whose storage is still opening when the user starts a run: no search, and no
Search tab following a study that nothing runs."""

import threading

from gui.window.run_state import IDLE, RUNNING
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def test_a_run_started_while_a_searchs_storage_opens_wins_and_the_search_says_so(qtbot, window, monkeypatch):
    import gui.controllers.search as search_module
    from gui.controllers.experiment_dialogs import SearchDialog

    release, opening = threading.Event(), threading.Event()
    real_open = search_module._open_storage

    def slow_open(*args, **kwargs):  # a database that takes its time to answer
        opening.set()
        release.wait(30)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(search_module, "_open_storage", slow_open)
    window.settings_panel.set_config(tiny_config({"optim.epochs": 30}))
    dialog = SearchDialog(window, "late-search")
    window.experiments.search(dialog)
    qtbot.waitUntil(opening.is_set, timeout=10_000)
    window.actions["start"].trigger()  # the user presses Start meanwhile
    qtbot.waitUntil(lambda: window.state == RUNNING, timeout=RUN_TIMEOUT)
    # The run's own first line ("training on cpu") is said before the storage answers, as a
    # user sees it; on a busy machine it came after, and covered the refusal the test reads.
    qtbot.waitUntil(lambda: "training on" in window.status.label.text(), timeout=RUN_TIMEOUT)
    release.set()
    qtbot.waitUntil(lambda: not window.search_view.off_thread.busy(), timeout=RUN_TIMEOUT)
    assert window.search_view.study_name is None and window.tabs.currentWidget() is not window.search_view
    assert "not started" in window.status.label.text()
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
