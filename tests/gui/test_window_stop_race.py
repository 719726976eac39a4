"""A Stop answered after the plan it would stop has ended leaves the window usable."""

from engine.core import events as ev
from gui.window.run_state import IDLE, STOPPING
from tests.helpers import tiny_config


def test_a_stop_confirmed_after_the_plan_ended_does_not_leave_the_window_stopping(qtbot, window, monkeypatch):
    def answered_late(*_args):
        qtbot.waitUntil(lambda: window.state == IDLE, timeout=60_000)  # the user reads; the plan ends
        return True

    monkeypatch.setattr("gui.dialogs.confirm", answered_late)
    ended = []

    def on_run_finished(event):  # the plan's last run has ended: Stop is pressed now
        ended.append(event)
        if len(ended) == 2:
            window.actions["stop"].trigger()

    window.router.subscribe(ev.RunFinished, on_run_finished)
    assert window.start_run(tiny_config({"optim.epochs": 1}), plan=[{}, {}])
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=60_000)
    qtbot.wait(200)  # the answered question has done what it does by now
    assert window.state != STOPPING and window.state == IDLE and window.actions["start"].isEnabled()
