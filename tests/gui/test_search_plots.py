"""The Search tab's plots at 1280 x 720, as a new user read them: whole trial numbers on the
optimization history, each trial's validation curve in its own colour, the best trial
standing out in the parallel coordinates."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QImage, QPainter

from engine.search.space import search_settings


def _study(folder, values):
    """A journal study with one complete trial per value, each with a 3-epoch curve."""
    from engine.search.space import suggest
    from engine.search.storage import open_storage, open_study

    folder.mkdir(parents=True)
    settings = search_settings(None)
    study = open_study(folder.name, settings, open_storage(None, folder))
    for value in values:
        trial = study.ask()
        suggest(trial, settings.space)
        for epoch in range(1, 4):
            trial.report(value - 0.01 * (3 - epoch), epoch)
        study.tell(trial, value)


def _attach(qtbot, window, monkeypatch, folder, trials):
    from PySide6.QtWidgets import QInputDialog

    window.resize(1280, 720)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (str(folder), True))
    window.experiments.searches.attach_study()  # Experiments ▸ Attach to a study…
    view = window.search_view
    window.tabs.setCurrentWidget(view)
    history = view.plots["history"].getPlotItem()
    qtbot.waitUntil(lambda: view.table.rowCount() == trials and bool(history.listDataItems()), timeout=30000)
    return view


def _drawn_ticks(axis) -> list[str]:
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        painter.setFont(axis.style["tickFont"])
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in texts]


def _curves(plot):
    return [i for i in plot.getPlotItem().items if isinstance(i, pg.PlotCurveItem) and i.getData()[0] is not None and len(i.getData()[0])]


def test_one_trials_history_has_whole_trial_numbers_and_a_range_around_it(qtbot, window, monkeypatch, tmp_path):
    _study(tmp_path / "one", [0.7])
    view = _attach(qtbot, window, monkeypatch, tmp_path / "one", 1)
    item = view.plots["history"].getPlotItem()
    axis = item.getAxis("bottom")
    lo, hi = item.viewRange()[0]
    assert -0.6 <= lo <= -0.4 and 0.4 <= hi <= 0.6  # was −400..400
    assert "0.001" not in axis.labelString() and "trial" in axis.labelString()
    ticks = _drawn_ticks(axis)
    assert ticks and all(float(t) == int(float(t)) for t in ticks), ticks  # no tick at 0.5


def test_each_trials_curve_has_its_own_colour_and_the_best_stands_out(qtbot, window, monkeypatch, tmp_path):
    _study(tmp_path / "three", [0.6, 0.8, 0.79])
    view = _attach(qtbot, window, monkeypatch, tmp_path / "three", 3)
    curves = _curves(view.plots["curves"])
    assert len(curves) == 3
    assert len({c.opts["pen"].color().name() for c in curves}) == 3  # were all the COMPLETE green
    assert "best" in view.key.text()  # what colours mean (a line above the plots: cut in an axis label)
    lines = _curves(view.plots["parallel"])
    assert len(lines) == 3
    widest = max(lines, key=lambda c: c.opts["pen"].widthF())
    others = [c for c in lines if c is not widest]
    assert all(widest.opts["pen"].widthF() > 1.5 * c.opts["pen"].widthF() for c in others)
    assert all(widest.zValue() > c.zValue() for c in others)
    # the widest is the best trial's (0.8), the yellowest colour; the second (0.79) is not
    assert widest.opts["pen"].color().name() == max((c.opts["pen"].color() for c in lines),
                                                    key=lambda q: q.red() + q.green()).name()
