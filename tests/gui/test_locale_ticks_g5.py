"""The plots' tick labels in the language's number format (QLocale's default, which the
window sets from its language before it is built)."""

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QImage, QPainter

from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


@pytest.fixture
def german():
    """QLocale's default is German while the test runs (the window below is built in it);
    the previous default comes back afterwards, also when the test fails."""
    before = QLocale()
    QLocale.setDefault(QLocale("de"))
    try:
        yield
    finally:
        QLocale.setDefault(before)


def drawn_ticks(plot, side: str = "left") -> list[str]:
    """The tick labels the axis draws now (what its paint lays out)."""
    axis = plot.getPlotItem().getAxis(side)
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in texts]


def in_english(plot, side: str = "left") -> list[str]:
    german = QLocale()
    QLocale.setDefault(QLocale("en"))
    try:
        return drawn_ticks(plot, side)
    finally:
        QLocale.setDefault(german)


def test_a_german_windows_loss_and_log_ticks_have_a_decimal_comma(german, qtbot, window):
    window.resize(1280, 900)
    # Two classes: the loss starts near 0.69, on an axis of 0 … 1 whose ticks need decimals.
    window.settings_panel.set_config(tiny_config({"data.dataset": "moons", "data.train_size": 64,
                                                  "data.val_size": 64, "optim.batch_size": 16}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    window.plots.refresh()
    loss = window.plots.plots["loss"]
    shown = drawn_ticks(loss)
    english = in_english(loss)
    assert any("." in s for s in english), english  # the loss axis's range needs decimals ("0.5")
    assert all("," not in s for s in english), english  # English ticks as pyqtgraph writes them
    assert any("," in s for s in shown) and all("." not in s for s in shown), shown  # "0,5", never "0.5"
    assert shown == [s.replace(".", ",") for s in english]

    grads = window.plots.plots["grads"]  # a log axis: 10⁻⁶ … 10, decades written 10⁻⁵ and 0.001
    grads.getPlotItem().setYRange(-6, 1, padding=0)
    shown, english = drawn_ticks(grads), in_english(grads)
    assert any(s.startswith("10⁻") for s in english) and any("." in s for s in english), english
    assert any(s.startswith("10⁻") for s in shown), shown  # the power of ten keeps its form
    assert shown == [s.replace(".", ",") for s in english], (shown, english)
