"""Which run controls are usable in which state of the window's run."""

from __future__ import annotations

from collections.abc import Callable

from engine.core.i18n import N_, _

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"


class RunState:
    """idle → running ⇄ paused → stopping → idle, and what else decides the run controls.

    Nobody sets a flag and then refreshes the actions by hand: `change()` sets the values and
    tells every listener (`listen`), once per change, with this state."""

    FIELDS = ("state", "engine_ready", "can_test", "can_validate", "closing", "test_pending", "after_search",
              "following", "plan")

    def __init__(self):
        self.state = IDLE
        self.engine_ready = False
        self.can_test = False  # the last run finished usably (its test split: run once, or shown)
        self.can_validate = False  # the last run finished usably: its weights can be evaluated
        self.closing = False
        self.test_pending = False  # the test split's one evaluation is asked for and not back yet
        self.after_search = False  # the last job was a search: the window holds no trial to evaluate
        self.following = False  # the live run is another process's, followed: Reset stops following it
        self.plan = False  # the live job is a plan of several runs: its run in progress can be ended to go on
        self._listeners: list[Callable[[RunState], None]] = []

    @property
    def live(self) -> bool:
        return self.state != IDLE

    def listen(self, listener: Callable[[RunState], None]) -> None:
        """listener(state) now, and after every change."""
        self._listeners.append(listener)
        listener(self)

    def change(self, **values) -> None:
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"RunState has no {', '.join(sorted(unknown))}")
        if all(getattr(self, k) == v for k, v in values.items()):
            return
        for k, v in values.items():
            setattr(self, k, v)
        for listener in self._listeners:
            listener(self)

    def set(self, state: str) -> None:
        self.change(state=state)


SEARCH_REASON = N_("A search keeps no single run in the window to evaluate: use the Search tab's \"Evaluate "
                 "the best trial on the test set\", or File ▸ Evaluate a run folder with a trial's folder.")


FOLLOWING_RESET = N_("Stop following this run (its writer goes on training) and clear the plots")

NEXT_RUN_TIP = N_("End the run that trains now (its best weights kept) and go on with the plan's next run: "
                "the tour's next remedy, the next fold or point of the curve")
NO_NEXT_RUN = N_("Only while a plan of several runs trains (the remedy tour, a cross-validation, a learning "
               "curve): a single run or a search has no next run of a plan to go on with; Stop ends it")


def enable_actions(actions: dict) -> Callable[[RunState], None]:
    """A listener that keeps the window's QActions (start, pause, stop, reset, test, validate)
    in step with the run state; after a search the two Evaluate actions say why they are off."""
    tips = {name: actions[name].toolTip() for name in ("test", "validate")}
    reset_tip = actions["reset"].toolTip()

    def follow(r: RunState) -> None:
        s, usable = r.state, r.state == IDLE and not r.closing
        actions["start"].setEnabled(usable and r.engine_ready)
        actions["pause"].setEnabled(s in (RUNNING, PAUSED))
        actions["pause"].setText(_("Resume") if s == PAUSED else _("Pause"))
        actions["stop"].setEnabled(s in (RUNNING, PAUSED))
        actions["reset"].setEnabled(s == IDLE or r.following)
        actions["reset"].setToolTip(_(FOLLOWING_RESET) if r.following else reset_tip)
        if "next_run" in actions:  # Experiments ▸ Next run of the plan
            plan = s in (RUNNING, PAUSED) and r.plan and not r.following
            actions["next_run"].setEnabled(plan)
            next_tip = _(NEXT_RUN_TIP) if plan else _(NO_NEXT_RUN)
            actions["next_run"].setToolTip(next_tip)
            actions["next_run"].setStatusTip(next_tip)
        actions["test"].setEnabled(usable and r.can_test and not r.test_pending)
        actions["validate"].setEnabled(usable and r.can_validate)
        for name, tip in tips.items():
            shown = _(SEARCH_REASON) if r.after_search and s == IDLE else tip
            actions[name].setToolTip(shown)
            actions[name].setStatusTip(shown)

    return follow


def follow_live(on_live: Callable[[bool], None]) -> Callable[[RunState], None]:
    """A listener told on_live(whether a run is live) each time that changes."""
    last = [None]

    def follow(r: RunState) -> None:
        if r.live != last[0]:
            last[0] = r.live
            on_live(r.live)

    return follow
