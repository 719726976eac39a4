"""Hover read-outs: the values of every curve at the epoch under the mouse."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.plotting.colors import REFERENCE
from gui.plotting.series import Series


class HoverReadout:
    """Shows the values of every curve at the epoch under the mouse. Its owner keeps a
    reference (nothing else does: a read-out nobody refers to loses its connection) and
    calls `hide()` when the mouse leaves the plot or the plot's run is cleared."""

    def __init__(self, plot: pg.PlotWidget, series: dict[str, Series], fmt: str = "{:.4g}"):
        self.plot, self.series, self.fmt = plot, series, fmt
        self.text = pg.TextItem(color="#222", anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 220))
        self.text.setZValue(100)
        self.text.hide()
        plot.addItem(self.text, ignoreBounds=True)
        self.line = pg.InfiniteLine(angle=90, pen=pg.mkPen(REFERENCE, style=Qt.PenStyle.DotLine))  # 4.5:1
        self.line.hide()
        plot.addItem(self.line, ignoreBounds=True)
        plot.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)

    def hide(self) -> None:
        self.text.hide()
        self.line.hide()

    def _on_scene_mouse_moved(self, pos) -> None:
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(pos):
            self.hide()
            return
        point = vb.mapSceneToView(pos)
        epoch = round(point.x())
        parts = [f"epoch {epoch}"]
        for name, s in self.series.items():
            v = s.value_at(epoch)
            if v is not None:
                parts.append(f"{name}: {self.fmt.format(v)}")
        if len(parts) == 1:
            self.hide()
            return
        self.text.setText("\n".join(parts))
        (x0, x1), (y0, y1) = vb.viewRange()
        self.text.setPos(x0, y1)
        self.line.setPos(epoch)
        self.text.show()
        self.line.show()
