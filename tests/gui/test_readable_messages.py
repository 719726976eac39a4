"""Messages a user can read: a live raise clamped back to the run's own value is said and the
field shows what the run has; an inline error under a field is shown whole; the status bar
does not keep a stale warning beside a new refusal, and its full text is reachable."""

from __future__ import annotations

from engine.core import events as ev
from tests.gui.conftest import RUN_TIMEOUT, wait_for_step
from tests.gui.test_settings_panel import type_into
from tests.helpers import tiny_config


def test_a_raise_clamped_back_to_the_runs_own_value_is_said_and_the_field_shows_it(qtbot, window):
    # The grokking preset's own pair: optim.lr 0.01 × L2 strength 15 = 0.15, above the live limit
    # (0.08) but allowed from the start; typing 30 is clamped back to the 15 the run has.
    window.settings_panel.set_config(tiny_config({"optim.epochs": 500, "optim.lr": 0.01,
                                                  "regularization.weight_decay": 15.0}))
    assert window.start_run()
    wait_for_step(qtbot, window)
    field = type_into(qtbot, window.settings_panel, "regularization.weight_decay", "30")
    warning = window.status.warning
    qtbot.waitUntil(lambda: "30 clamped to 15" in warning.toolTip(), timeout=30_000)
    assert warning.isVisible() and "regularization.weight_decay 30 clamped to 15" in warning.toolTip()
    qtbot.waitUntil(lambda: field.value() == 15.0, timeout=5_000)  # the run's strength, not the one typed
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
        window.actions["stop"].trigger()
    assert sig.args[0].reason == ev.USER_STOPPED
