"""Many points, one colour per group, splatted into an image with numpy.

pyqtgraph's ScatterPlotItem keeps an object per point and takes tens of milliseconds to be
given 60,000 new positions; a data map gets new positions every epoch. QPainter.drawPoints
with a round pen of 4 px took 145 ms for 60,000 (each point stroked as an ellipse). Here
each point is a small disc written into an ARGB image of the view's pixels by a few numpy
index writes (the groups in order, the last on top), made again only when the points or the
view change; the selected point is drawn over it with the painter."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPen


def fitted_top(values: np.ndarray, full: float, step: float) -> float:
    """An axis top that fits `values`: the next multiple of `step` above their largest, at
    most `full`. A data map's confidence reaches 1 with a softmax; an MSE run's outputs, held
    small by weight decay, put every point below 0.2 of a 0–1 axis."""
    finite = np.asarray(values, np.float64)
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size else full
    return min(full, max(step, np.ceil(top / step - 1e-9) * step))


class PointCloud(pg.GraphicsObject):
    def __init__(self, size_px: float = 4.0):
        super().__init__()
        self.size_px = size_px
        self._groups: list[tuple[np.uint32, np.ndarray, np.ndarray]] = []  # (ARGB colour, x, y)
        self._version = 0  # of the points: a new set is painted anew
        self._painted_key = None
        self._image = QImage()
        self._buffer = None
        self._bounds = QRectF(0, 0, 1, 1)
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
            self._groups.append((np.uint32(QColor(color).rgba()), self.x[pick], self.y[pick]))
        self._version += 1
        self.update()

    def group_colors(self) -> list[str]:
        """The colour of each group drawn, in group order ('#rrggbb')."""
        return [QColor.fromRgba(int(argb)).name() for argb, _x, _y in self._groups]

    def set_extent(self, x0: float, y0: float, width: float, height: float) -> None:
        """The area (in data units) the points and the selection ring may cover: the item's
        bounds, so that Qt repaints all of it (bounds tight to the points clipped the ring of an
        edge point and left its trail when it moved)."""
        self.prepareGeometryChange()
        self._bounds = QRectF(x0, y0, width, height)
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
        device = painter.device()
        ratio = device.devicePixelRatioF()  # a HiDPI screen: the image in its own pixels
        width, height = round(device.width() * ratio), round(device.height() * ratio)
        key = (t.m11(), t.m22(), t.dx(), t.dy(), width, height, ratio, self._version)
        if key != self._painted_key:
            self._image, self._buffer = self._render(t, width, height, ratio)  # the image reads the buffer
            self._painted_key = key
        painter.save()
        painter.resetTransform()
        painter.drawImage(0, 0, self._image)
        if self._highlight is not None:
            at = t.map(QPointF(*self._highlight))
            painter.setRenderHint(painter.RenderHint.Antialiasing)
            for color, width_px in (("#000000", 3.2), ("#ffd400", 2.0)):
                pen = QPen(QColor(color))
                pen.setWidthF(self.size_px * width_px)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                painter.setPen(pen)
                painter.drawPoint(at)
        painter.restore()

    def _render(self, t, width: int, height: int, ratio: float) -> tuple[QImage, np.ndarray]:
        """The points as discs of `size_px` splatted into an image of the device's size in its
        pixels (one numpy write per pixel of the disc, whatever the number of points)."""
        r = max(1, int(round(self.size_px * ratio / 2)))
        offsets = [(dx, dy) for dx in range(-r, r + 1) for dy in range(-r, r + 1) if dx * dx + dy * dy <= r * r + 0.5]
        pixels = np.zeros((height, width), np.uint32)  # ARGB32, transparent
        flat = pixels.reshape(-1)
        for color, x, y in self._groups:
            px = np.rint((t.m11() * x + t.m21() * y + t.dx()) * ratio).astype(np.int64)
            py = np.rint((t.m12() * x + t.m22() * y + t.dy()) * ratio).astype(np.int64)
            inside = (px >= r) & (px < width - r) & (py >= r) & (py < height - r)
            base = py[inside] * width + px[inside]
            for dx, dy in offsets:
                flat[base + dy * width + dx] = color
        image = QImage(pixels.data, width, height, width * 4, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        return image, pixels
