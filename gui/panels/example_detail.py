"""The Examples tab's one example: its image, what is known of it (a text that scrolls within a
fixed height), an image folder's file (the whole path, selectable, Copy path) and its margin
over the epochs."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QWidget,
)

from engine.core.i18n import _
from gui.plotting.axes import make_plot
from gui.plotting.colors import BLUE, REFERENCE

IMAGE = 112  # pixels of the example's picture
AXIS = 46  # pixels of the margin plot's x axis, its label and margins (measured: 42 at 1280 x 720, 50 at Larger text x2)


class ExampleDetail(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.image = QLabel()
        self.image.setFixedSize(IMAGE, IMAGE)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setStyleSheet("background: #eee;")
        self.text = QLabel(_("Click a point of the data map or a suspect to see it here."))
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # Its height is fixed (a text growing by a line would lay the whole tab out again, plots
        # and all); at larger text what does not fit scrolls, rather than being cut off.
        self.text_area = QScrollArea()
        self.text_area.setWidgetResizable(True)
        self.text_area.setFrameShape(QFrame.Shape.NoFrame)
        self.text_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.text_area.setWidget(self.text)
        self.path_field = QLineEdit()  # an image folder's file: the whole path, however long, selectable
        self.path_field.setReadOnly(True)
        self.copy_path = QPushButton(_("Copy path"))
        self.copy_path.setToolTip(_("Copy the example's file path to the clipboard"))
        self.copy_path.clicked.connect(self._on_copy_path_clicked)
        self.path_row = QWidget()
        pr = QHBoxLayout(self.path_row)
        pr.setContentsMargins(0, 0, 0, 0)
        pr.addWidget(QLabel(_("file:")))
        pr.addWidget(self.path_field, 1)
        pr.addWidget(self.copy_path)
        self.path_row.hide()
        self.margin_plot = make_plot(None, _("its margin"))  # (no title: its two lines went to the curve)
        self.margin_plot.setToolTip(_("The given label's logit minus the largest other logit, each epoch: below 0, "
                                      "the network preferred another class."))
        self.margin_curve = self.margin_plot.plot(pen=pg.mkPen(BLUE, width=2), symbol="o", symbolSize=4)
        self.margin_plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(REFERENCE, width=1)))
        d = QGridLayout(self)
        d.setContentsMargins(0, 0, 0, 0)
        d.addWidget(self.image, 0, 0, Qt.AlignmentFlag.AlignTop)
        d.addWidget(self.text_area, 0, 1)
        d.addWidget(self.path_row, 1, 0, 1, 2)
        d.addWidget(self.margin_plot, 2, 0, 1, 2)
        d.setRowStretch(2, 1)
        d.setColumnStretch(1, 1)

    def clear(self, text: str) -> None:
        self.margin_curve.setData([], [])
        self.image.clear()
        self.text.setText(text)
        self.show_path(None)

    def fix_heights(self, line: int) -> None:
        """Six lines of text (at least the image's height); the margin plot's curve about five lines
        tall, besides its x axis (~46 px): it was ~25 px at 1280 x 720, its zero tick alone. At Larger
        text twice the tab still fits 720 px without scrolling."""
        self.text_area.setFixedHeight(max(6 * line + 4, IMAGE))
        self.margin_plot.setMinimumHeight(round(5 * line) + AXIS)
        self.margin_plot.setMaximumHeight(round(12 * line) + AXIS)

    def show_path(self, path: str | None) -> None:
        self.path_row.setVisible(path is not None)
        self.path_field.setText(path or "")
        self.path_field.setToolTip(path or "")
        self.path_field.setCursorPosition(len(path or ""))  # the file's own name in view, the rest scrolls

    def show_image(self, pixels, why_none: str) -> None:
        if pixels is None:
            self.image.setText(why_none)
            return
        self.image.setPixmap(pixmap(pixels, IMAGE))

    def _on_copy_path_clicked(self) -> None:
        QApplication.clipboard().setText(self.path_field.text())


def to_qimage(pixels) -> QImage:
    """uint8 pixels (H, W, C) as a QImage that owns its bytes: one channel as grey, three as
    RGB; four as RGB (the fourth is alpha), any other count as its first channel in grey (a
    row of RGB888 is w × 3 bytes: anything else read with that stride came out as stripes)."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    c = pixels.shape[2]
    pixels = pixels[:, :, :3] if c == 4 else (pixels if c in (1, 3) else pixels[:, :, :1])
    pixels = np.ascontiguousarray(pixels, np.uint8)
    h, w, c = pixels.shape
    fmt = QImage.Format.Format_Grayscale8 if c == 1 else QImage.Format.Format_RGB888
    return QImage(pixels.tobytes(), w, h, w * c, fmt).copy()


def pixmap(pixels, size: int) -> QPixmap:
    """The pixels as a picture of at most size × size, its proportions kept."""
    return QPixmap.fromImage(to_qimage(pixels)).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio)
