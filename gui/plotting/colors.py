"""The plots' colours: train and validation, one colour per earlier run, and a colour at
an alpha (earlier runs faded behind the current one)."""

from __future__ import annotations

from PySide6.QtGui import QColor

TRAIN = "#1f77b4"
VAL = "#ff7f0e"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]


def with_alpha(hex_color: str, alpha: int) -> QColor:
    c = QColor(hex_color)
    c.setAlpha(alpha)
    return c
