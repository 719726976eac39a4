"""Which run controls are usable in which state of the window's run."""

from __future__ import annotations

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"


class RunState:
    """idle → running ⇄ paused → stopping → idle; the actions follow the state.

    `actions` names the window's QActions: start, pause, stop, reset, test."""

    def __init__(self, actions: dict, on_live=None):
        """on_live(bool): told whether a run is live after each change of state."""
        self.actions = actions
        self.on_live = on_live
        self.state = IDLE
        self.engine_ready = False
        self.can_test = False  # the last run finished usably and its test split is unopened
        self.can_validate = False  # the last run finished usably: its weights can be evaluated
        self.closing = False

    @property
    def live(self) -> bool:
        return self.state != IDLE

    def set(self, state: str) -> None:
        self.state = state
        self.update()
        if self.on_live is not None:
            self.on_live(self.live)

    def update(self) -> None:
        a, s = self.actions, self.state
        a["start"].setEnabled(s == IDLE and self.engine_ready and not self.closing)
        a["pause"].setEnabled(s in (RUNNING, PAUSED))
        a["pause"].setText("Resume" if s == PAUSED else "Pause")
        a["stop"].setEnabled(s in (RUNNING, PAUSED))
        a["reset"].setEnabled(s == IDLE)
        a["test"].setEnabled(s == IDLE and self.can_test and not self.closing)
        a["validate"].setEnabled(s == IDLE and self.can_validate and not self.closing)
