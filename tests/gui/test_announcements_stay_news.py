"""A screen reader hears news, not a backlog (review 30, finding 9): milestones that come
faster than one every few seconds used to queue without end, so a run's "started" was spoken
runs after it had finished. A milestone of a kind already waiting replaces it, and a run's
start still waiting is dropped once a run ends."""

from __future__ import annotations

from tests.gui.conftest import RUN_TIMEOUT


def test_runs_started_and_ended_faster_than_the_reader_leave_only_the_latest_waiting(qtbot, window):
    announcer = window.accessibility.announcer
    announcer.gap_s = 3600.0  # nothing after the first is spoken during the test: all of it waits
    longest = 0
    for epochs in (2, 3, 4):
        window.settings_panel.set_config(window.settings_panel.config().with_updates({"optim.epochs": epochs}))
        with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
            window.actions["start"].trigger()
        longest = max(longest, len(announcer.waiting))
    assert len(announcer.said) == 1 and "started" in announcer.said[0]  # the first run's start
    # Only the last run's end waits: the earlier ends and the later starts are over, not news.
    assert len(announcer.waiting) == 1 and announcer.waiting[0].startswith("run finished after 4 epochs")
    assert longest == 1
