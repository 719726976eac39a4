"""Many points, one colour per group, drawn as a few QPainter.drawPoints calls.

pyqtgraph's ScatterPlotItem keeps an object per point and takes tens of milliseconds to be
given 60,000 new positions; a data map gets new positions every epoch. This item keeps a
QPolygonF per group, filled from the numpy arrays in place, and paints each group with one
round pen in the view's pixels: each paint maps the points to device coordinates itself (a
round cap drawn through the view's unequal x and y scales came out as a smear, cosmetic pen
or not)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen


class PointCloud(pg.GraphicsObject):
    def __init__(self, size_px: float = 4.0):
        super().__init__()
        self.size_px = size_px
        self._groups: list[tuple[QPen, object, np.ndarray, np.ndarray]] = []  # (pen, polygon, x, y)
        self._bounds = QRectF()
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self._highlight: tuple[float, float] | None = None

    def set_points(self, x: np.ndarray, y: np.ndarray, groups: np.ndarray, colors: list[str]) -> None:
        """Points (x, y), each in group `groups[i]` (0 … len(colors) − 1), drawn in group order
        (the last group on top)."""
        self.prepareGeometryChange()
        self.x, self.y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        self._groups = []
        for g, color in enumerate(colors):
            pick = groups == g
            count = int(pick.sum())
            if not count:
                continue
            poly = pg.functions.create_qpolygonf(count)
            pen = QPen(QColor(color))
            pen.setWidthF(self.size_px)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            self._groups.append((pen, poly, self.x[pick], self.y[pick]))
        if len(self.x):
            x0, x1, y0, y1 = self.x.min(), self.x.max(), self.y.min(), self.y.max()
            self._bounds = QRectF(x0, y0, max(x1 - x0, 1e-9), max(y1 - y0, 1e-9))
        else:
            self._bounds = QRectF()
        self.update()

    def highlight(self, point: tuple[float, float] | None) -> None:
        self._highlight = point
        self.update()

    def nearest(self, x: float, y: float, x_scale: float, y_scale: float) -> int | None:
        """The point nearest (x, y), distances measured in units of (x_scale, y_scale) (a
        pixel's size in data units, so that nearest means nearest on screen)."""
        if not len(self.x):
            return None
        d = ((self.x - x) / x_scale) ** 2 + ((self.y - y) / y_scale) ** 2
        return int(np.argmin(d))

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter, *_args) -> None:
        t = painter.transform()
        painter.save()
        painter.resetTransform()
        for pen, poly, x, y in self._groups:
            view = pg.functions.ndarray_from_qpolygonf(poly)
            view[:, 0] = t.m11() * x + t.m21() * y + t.dx()
            view[:, 1] = t.m12() * x + t.m22() * y + t.dy()
            painter.setPen(pen)
            painter.drawPoints(poly)
        if self._highlight is not None:
            at = t.map(QPointF(*self._highlight))
            for color, width in (("#000000", 3.2), ("#ffd400", 2.0)):
                pen = QPen(QColor(color))
                pen.setWidthF(self.size_px * width)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                painter.setPen(pen)
                painter.drawPoint(at)
        painter.restore()
