"""Engine events to the views that show them: a table keyed by event type.

A view subscribes to the event types it shows; the window dispatches each event once,
without knowing who listens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable


class EventRouter:
    def __init__(self):
        self._handlers: dict[type, list[Callable]] = defaultdict(list)

    def subscribe(self, event_type: type, handler: Callable) -> None:
        self._handlers[event_type].append(handler)

    def dispatch(self, event) -> None:
        for handler in self._handlers.get(type(event), ()):
            handler(event)
