"""Growing (x, y) buffers behind curves, pushed to pyqtgraph only when they changed."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg


class Series:
    """A growing (x, y) buffer behind one curve; redrawn only when it changed."""

    def __init__(self, curve: pg.PlotDataItem, first_dot: bool = False):
        self.curve = curve
        # Peak downsampling keeps each pixel column's min and max: one sample per pixel
        # draws the same picture as pyqtgraph's default of five, with a fifth of the lines
        # (measured: a 100,000-point curve's redraw 25 -> 10 ms).
        curve.opts["autoDownsampleFactor"] = 1.0
        self.first_dot, self._dotted = first_dot, False
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.dirty = False

    def append(self, x: float, y: float | None) -> None:
        if y is None:
            return
        if self.n == len(self.x):
            self.x = np.resize(self.x, 2 * self.n)
            self.y = np.resize(self.y, 2 * self.n)
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1
        self.dirty = True

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        need = self.n + len(xs)
        if need > len(self.x):
            size = max(need, 2 * len(self.x))
            self.x, self.y = np.resize(self.x, size), np.resize(self.y, size)
        self.x[self.n:need], self.y[self.n:need] = xs, ys
        self.n = need
        self.dirty = True

    def clear(self) -> None:
        self.n = 0
        self.dirty = True

    def flush(self) -> bool:
        if not self.dirty:
            return False
        self.curve.setData(self.x[: self.n], self.y[: self.n])
        self.dirty = False
        if self.first_dot and (self.n == 1) != self._dotted:
            # A dot while the curve is one point (nothing to draw a line through yet);
            # dots on every epoch cost a scatter item's upkeep on each redraw.
            self._dotted = self.n == 1
            self.curve.setSymbol("o" if self._dotted else None)
        return True

    def value_at(self, x: float) -> float | None:
        if self.n == 0:
            return None
        i = int(np.argmin(np.abs(self.x[: self.n] - x)))
        return float(self.y[i]) if abs(self.x[i] - x) <= 0.5 else None


class StepSeries(Series):
    """The running loss per step: a curve that gains a point nearly every frame.

    Redrawn whole, it would repaint the loss plot's whole view box, and every item under
    it, every frame. So its newest points are a short curve of their own (`tail`) whose
    small rectangle is all that a frame repaints; every TAIL_POINTS points the tail is
    folded into the long curve (one whole repaint every few seconds)."""

    TAIL_POINTS = 24

    def __init__(self, curve: pg.PlotDataItem, tail: pg.PlotCurveItem):
        super().__init__(curve)
        self.tail = tail
        self.sealed = -1  # index of the last point the long curve draws

    def clear(self) -> None:
        super().clear()
        self.sealed = -1

    def flush(self) -> bool:
        if not self.dirty:
            return False
        n = self.n
        if n == 0 or n - 1 - self.sealed > self.TAIL_POINTS:
            self.sealed = n - 1
            self.curve.setData(self.x[:n], self.y[:n])
        start = max(self.sealed, 0)  # the tail starts at the long curve's last point
        self.tail.setData(self.x[start:n], self.y[start:n])
        self.dirty = False
        return True

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """Every point on screen, in order (the long curve, then the tail after the shared point)."""
        x0, y0 = self.curve.getData()
        x1, y1 = self.tail.getData()
        x0 = np.empty(0) if x0 is None else x0
        y0 = np.empty(0) if y0 is None else y0
        skip = 1 if len(x0) else 0
        x1 = np.empty(0) if x1 is None else x1[skip:]
        y1 = np.empty(0) if y1 is None else y1[skip:]
        return np.concatenate([x0, x1]), np.concatenate([y0, y1])
