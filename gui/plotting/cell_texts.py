"""The numbers in a matrix's cells, drawn by one item at a fixed size on screen.

A pyqtgraph TextItem per cell cost ~0.3-0.5 ms each to make and add: a 10 x 10 confusion
matrix stalled the window for 50 ms when a report arrived. One item painting every cell
costs about a millisecond a paint."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor


class CellTexts(pg.GraphicsObject):
    """Texts centred on the cells (row i, column j) -> (j + 0.5, i + 0.5) of a k x k grid."""

    def __init__(self):
        super().__init__()
        self._texts: list[str] = []
        self._colors: list[QColor] = []
        self._k = 0
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks reach the matrix's cells

    def set_cells(self, texts: list[str], colors: list[str], k: int) -> None:
        self.prepareGeometryChange()
        self._texts, self._colors, self._k = list(texts), [QColor(c) for c in colors], k
        self.update()

    def texts(self) -> list[str]:
        """Row by row, as drawn."""
        return list(self._texts)

    def colors(self) -> list[str]:
        """Each text's colour, row by row ('#rrggbb')."""
        return [c.name() for c in self._colors]

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._k, self._k)

    def paint(self, painter, *_args) -> None:
        if not self._k:
            return
        to_screen = painter.transform()
        painter.save()
        painter.resetTransform()  # text at its font's size, whatever the zoom
        for n, text in enumerate(self._texts):
            centre = to_screen.map(QPointF(n % self._k + 0.5, n // self._k + 0.5))
            painter.setPen(self._colors[n])
            painter.drawText(QRectF(centre.x() - 40, centre.y() - 12, 80, 24), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
