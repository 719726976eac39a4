"""Where the plots sit: loss and accuracy on top, then the gap (or the decision boundary
of a toy run), the layer plots and the plots that only some runs need."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QVBoxLayout, QWidget

from engine.core.i18n import _

MIN_PLOT_PX = 150


class PlotGrid(QGridLayout):
    def __init__(self, plots: dict[str, pg.PlotWidget]):
        super().__init__()
        self.plots = plots
        self.toy = self.noise = False
        self.layers = True  # weight and gradient norms shown (View menu)
        self._arranged: tuple | None = None
        self.norms_holder = QWidget()  # the weight-norm plot with its log-scale box
        lay = QVBoxLayout(self.norms_holder)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(plots["norms"], 1)
        self.log_norms = QCheckBox(_("log scale"))
        self.log_norms.setToolTip(_("Show weight norms on a logarithmic axis, to compare layers of very different size."))
        lay.addWidget(self.log_norms, 0, Qt.AlignmentFlag.AlignRight)
        self.gap_holder = QWidget()  # the gap plot with its calibration box
        lay = QVBoxLayout(self.gap_holder)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(plots["gap"], 1)
        self.calibration = QCheckBox(_("calibration error"))
        self.calibration.setToolTip(_(
            "Also plot the validation expected calibration error: how far the network's confidence "
            "is from its accuracy. An overfitting network grows over-confident as validation loss rises."))
        lay.addWidget(self.calibration, 0, Qt.AlignmentFlag.AlignRight)
        for col in (0, 1):  # two columns of equal width, whatever each plot would like
            self.setColumnStretch(col, 1)
        self.set_text_scale(1.0)

    def set_text_scale(self, scale: float) -> None:
        """Each plot at least MIN_PLOT_PX tall, more with larger text (its title, axis labels
        and ticks take more of it). With Larger text twice at 1280 x 720 the six plots were
        95-140 px tall and their tick labels overlapped; the panel scrolls instead."""
        for plot in self.plots.values():
            plot.setMinimumHeight(round(MIN_PLOT_PX * max(1.0, scale) ** 0.5))

    def arrange(self, toy: bool | None = None, noise: bool | None = None, layers: bool | None = None) -> None:
        """Place the plots for a toy run, label noise, and the layer plots on or off."""
        self.toy = self.toy if toy is None else toy
        self.noise = self.noise if noise is None else noise
        self.layers = self.layers if layers is None else layers
        key = (self.toy, self.noise, self.layers)
        if key == self._arranged:
            return  # laying the grid out again costs a frame (~30 ms here): only on a change
        self._arranged = key
        p = self.plots
        gap = self.gap_holder
        first = p["boundary"] if self.toy else gap
        extras = [w for w, on in ((gap, self.toy), (p["noise"], self.noise and not self.toy)) if on]
        layout = [(p["loss"], 0, 0, 1), (p["accuracy"], 0, 1, 1)]
        if self.layers:
            layout += [(first, 1, 0, 1), (self.norms_holder, 1, 1, 1)]
            layout += [(p["grads"], 2, 0, 1 if extras else 2)] + [(w, 2, 1, 1) for w in extras[:1]]
        else:
            layout += [(first, 1, 0, 1 if extras else 2)] + [(w, 1, 1, 1) for w in extras[:1]]
        for name, w in (*p.items(), ("holders", self.norms_holder), ("holders", self.gap_holder)):
            if name not in ("norms", "gap"):  # those live inside their holders
                self.removeWidget(w)
                w.hide()
        for w, row, col, span in layout:
            self.addWidget(w, row, col, 1, span)
            w.show()
        for row, stretch in enumerate((3, 3, 2 if self.layers else 0)):  # room for a log axis
            self.setRowStretch(row, stretch)
