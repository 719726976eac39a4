"""The window's evaluations, driven through its actions: the Evaluation tab, which weights
a report is of, and requests queued behind each other."""

from engine.core import events as ev
from tests.gui.conftest import RUN_TIMEOUT


def test_the_evaluation_tab_is_enabled_and_shown_after_an_evaluation(qtbot, window):
    tabs, page = window.tabs, window.evaluation
    assert not tabs.isTabEnabled(tabs.indexOf(page))  # no report yet
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT):
        window.actions["validate"].trigger()
    assert tabs.isTabEnabled(tabs.indexOf(page))
    assert tabs.currentWidget() is page and page.isEnabled()
    assert tabs.isTabEnabled(tabs.indexOf(window.experiment_view))
