"""How much of a core the window may spend drawing while a run trains."""

from __future__ import annotations

import math
import time
from collections import deque


class DrawBudget:
    """Keeps the window's drawing to a share of one core, so that training keeps its speed.

    Torch keeps every core busy; each millisecond the GUI thread draws comes off training
    (here, on 2 cores, the window plotting freely cost training up to a third of its
    speed). The loss plot is
    drawn every frame regardless; `allow` says whether a frame may also redraw one of the
    other plots: yes while the GUI thread has used less than `share` of a core over the
    last `span` seconds, and in any case once `max_wait` seconds have passed since the last
    one, so no plot falls far behind. On a fast machine it never holds anything back."""

    def __init__(self, share: float = 0.05, span: float = 1.0, max_wait: float = 0.5,
                 clock=time.monotonic, cpu=time.thread_time):
        self.share, self.span, self.max_wait = share, span, max_wait
        self.clock, self.cpu = clock, cpu
        self.samples: deque[tuple[float, float]] = deque()
        self.last_drawn = -math.inf

    def load(self) -> float:
        """The GUI thread's CPU time per second over the last `span` seconds."""
        now, cpu = self.clock(), self.cpu()
        self.samples.append((now, cpu))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.span:
            self.samples.popleft()
        t0, c0 = self.samples[0]
        return (cpu - c0) / (now - t0) if now > t0 else 0.0

    def allow(self) -> bool:
        return self.load() < self.share or self.clock() - self.last_drawn >= self.max_wait

    def drawn(self) -> None:
        self.last_drawn = self.clock()
