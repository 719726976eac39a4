"""When each plot is redrawn: the first plot (the one that moves every step) every frame,
at most one other changed plot per frame, and only while the draw budget allows it.

At the end of an epoch every plot changes at once, and repainting them all in one frame
stalled the window for 100+ ms here (each axis lays out its labels again); one per frame
keeps each frame short. Lines that follow the data (the best epoch, the turn of the
validation loss) are moved when their plot is next redrawn, with the curves: one repaint
per plot and epoch instead of two."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtGui import QPixmapCache
from PySide6.QtWidgets import QGraphicsItem

from gui.plotting.axes import YRange
from gui.plotting.budget import DrawBudget
from gui.plotting.markers import EpochLine
from gui.plotting.series import Series

CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache
# Cached plot items live in Qt's pixmap cache; the loss plot alone keeps a dozen pixmaps
# the size of its view box, more than the default 10 MB holds without evicting them.
PIXMAP_CACHE_KB = 64 * 1024


def make_room_in_the_pixmap_cache() -> None:
    """Once, before items are cached (changing the limit later evicts pixmaps in use)."""
    if QPixmapCache.cacheLimit() < PIXMAP_CACHE_KB:
        QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)


def cache_static_items(plot_item, skip) -> None:
    """Keep everything on a plot but `skip` (the per-step curve's tail) as pixmaps.

    The loss plot repaints the tail's rectangle every frame, and with it every item under
    it: the epoch curves, earlier runs, marker lines, the legend. Cached
    (DeviceCoordinateCache), Qt redraws those from pixmaps until they change instead of
    calling a dozen Python paint methods, each of which takes the GIL from training.
    Measured on a frame of a run with three earlier runs shown: median 1.6 -> 0.9 ms."""
    todo = [*plot_item.vb.childGroup.childItems(), plot_item.legend]  # every item in the view, and the legend
    while todo:
        item = todo.pop()
        # A text item (a marker's label, the hover read-out) sets its own transform when it is
        # painted: cached, it is not painted, so one placed again (a marker's label moved by a
        # second live edit) kept its old pixmap and the loss plot showed no label at all.
        if item is skip or isinstance(item, pg.TextItem):
            continue
        if item.cacheMode() != CACHED:
            item.setCacheMode(CACHED)
        todo.extend(item.childItems())


class Redrawer:
    def __init__(self, first: str, others: list[str], series_of: Callable[[str], list[Series]],
                 y_ranges: dict[str, YRange], always: Series, on_line_drawn: Callable[[str], None]):
        """`always`: a series flushed every frame before the first plot (the per-step loss);
        `on_line_drawn(plot)`: a line was moved on `plot`."""
        self.first, self.others = first, others
        self.series_of, self.y_ranges = series_of, y_ranges
        self.always, self.on_line_drawn = always, on_line_drawn
        self.lines: dict[str, tuple[EpochLine, float, str, tuple[str, ...]]] = {}
        self.budget = DrawBudget()
        self.catching_up = False  # a run ended: the other plots redraw without waiting
        self.redraws = 0
        self._next = 0

    def place_line(self, kind: str, lines: EpochLine, x: float, label: str, plots: tuple[str, ...]) -> None:
        self.lines[kind] = (lines, x, label, plots)

    def clear(self) -> None:
        self.lines.clear()
        self.catching_up = False

    def _flush(self, plot: str) -> int:
        changed = sum(s.flush() for s in self.series_of(plot))
        for kind, (lines, x, label, plots) in list(self.lines.items()):
            if plot in plots:
                lines.draw(plot, x, label)
                self.on_line_drawn(plot)
                rest = tuple(p for p in plots if p != plot)
                if rest:
                    self.lines[kind] = (lines, x, label, rest)
                else:
                    del self.lines[kind]
        if plot in self.y_ranges:
            self.y_ranges[plot].update()
        return changed

    def dirty(self, plot: str) -> bool:
        return (any(s.dirty for s in self.series_of(plot))
                or any(plot in args[3] for args in self.lines.values()))

    def pending(self) -> list[str]:
        """The plots besides the first with changes not drawn yet."""
        return [p for p in self.others if self.dirty(p)]

    def tick(self) -> int:
        """One timer frame."""
        if self.catching_up and not self.pending():
            self.catching_up = False
        return self.refresh(staggered=True, others=self.catching_up or self.budget.allow())

    def refresh(self, staggered: bool = False, others: bool = True) -> int:
        """Push changed buffers to their curves; returns how many curves were redrawn.
        staggered (the timer's way): besides the first plot, at most one other changed plot,
        round-robin so that a plot changing every epoch cannot starve the others."""
        changed = self.always.flush() + self._flush(self.first)
        if not others:
            self.redraws += bool(changed)
            return changed
        todo = self.pending()
        if staggered and todo:
            start = self._next % len(self.others)
            order = self.others[start:] + self.others[:start]
            chosen = next(p for p in order if p in todo)
            self._next = self.others.index(chosen) + 1
            todo = [chosen]
        for plot in todo:
            changed += self._flush(plot)
        if todo:
            self.budget.drawn()
        self.redraws += bool(changed)
        return changed
