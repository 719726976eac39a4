"""The decision boundary of a 2-D toy run: predicted class over the plane, the points on top."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from engine.core import events as ev
from engine.core.i18n import C_, _
from gui.plotting.colors import SERIES, VERMILLION

# The toy sets have two or three classes: the three series colours every eye tells apart.
CLASS_COLORS = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in SERIES], dtype=np.float32)


class BoundaryView:
    """Draws on a plot it is given: the class colours, pale where the network is unsure."""

    def __init__(self, plot: pg.PlotWidget):
        self.plot = plot
        self.image = pg.ImageItem()
        plot.addItem(self.image)
        self.train_scatter = pg.ScatterPlotItem(size=6, pen=pg.mkPen("k", width=0.5), name=C_("split", "train"))
        # A grey pen for the legend's sample; each point gets its class's colour.
        self.val_scatter = pg.ScatterPlotItem(size=5, pen=pg.mkPen("#555"), brush=None, name=C_("split", "validation"),
                                              symbol="x")
        plot.addItem(self.val_scatter)
        plot.addItem(self.train_scatter)
        # An evaluation's misclassified points, ringed.
        self.wrong = pg.ScatterPlotItem(size=12, pen=pg.mkPen(VERMILLION, width=2), brush=None,
                                        name=_("misclassified"))
        plot.addItem(self.wrong)
        plot.getPlotItem().setAspectLocked(True)

    def clear(self) -> None:
        self.wrong.clear()
        self.image.clear()
        self.train_scatter.clear()
        self.val_scatter.clear()

    def set_points(self, train, val) -> None:
        train, val = np.asarray(train), np.asarray(val)
        colors = CLASS_COLORS[train[:, 2].astype(int) % len(CLASS_COLORS)]
        self.train_scatter.setData(train[:, 0], train[:, 1], brush=[pg.mkBrush(*c) for c in colors])
        vcolors = CLASS_COLORS[val[:, 2].astype(int) % len(CLASS_COLORS)]
        self.val_scatter.setData(val[:, 0], val[:, 1], pen=[pg.mkPen(*c) for c in vcolors], brush=None)

    def mark_wrong(self, points: list[list[float]]) -> None:
        """Ring these points (an evaluation's misclassified examples, of any split)."""
        if not len(points):
            self.wrong.clear()
            return
        pts = np.asarray(points, dtype=float)
        self.wrong.setData(pts[:, 0], pts[:, 1])

    def set_boundary(self, b: ev.DecisionBoundary) -> None:
        classes = np.asarray(b.classes)
        conf = np.asarray(b.confidence, dtype=np.float32)
        base = CLASS_COLORS[classes % len(CLASS_COLORS)]
        k = len(CLASS_COLORS)
        strength = np.clip((conf - 1.0 / min(k, 2)) * 2, 0, 1)[..., None] * 0.55 + 0.1
        rgb = 255 - (255 - base) * strength
        # ImageItem's first axis is x: transpose the row-major (y, x) grid.
        self.image.setImage(rgb.transpose(1, 0, 2).astype(np.uint8), levels=(0, 255))
        (x0, x1), (y0, y1) = b.x_range, b.y_range
        self.image.setRect(x0, y0, x1 - x0, y1 - y0)
