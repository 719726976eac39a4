"""View ▸ Presentation (F5) at a projector's 1280 × 720, and View ▸ Light / Dark / As the system
(issue 30, item 2), measured on the real window after a real run."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QPen
from PySide6.QtWidgets import QApplication, QDockWidget

from gui.plotting import colors as c
from gui.window.presentation import line_items
from tests.gui.colour_vision import contrast, lines_of, measure, texts_of
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config


def _px(pt: float, widget) -> float:
    return pt * widget.logicalDpiY() / 72


def _trained(qtbot, window, epochs: int = 4):
    window.resize(1280, 720)
    window.settings_panel.set_config(tiny_config({"optim.epochs": epochs, "data.label_noise": 0.3}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    qtbot.waitUntil(lambda: not window.plots.pending(), timeout=10_000)


def _press_f5(qtbot, window):
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.wait(150)  # titles and legends are fitted in the next event-loop turns


def _shown(window):
    return {name: plot for name, plot in window.plots.plots.items() if plot.isVisible()}


def _pen_widths(plot) -> list[float]:
    widths = []
    for item in line_items(plot):
        pen = item.pen if hasattr(item, "pen") and isinstance(item.pen, QPen) else item.opts.get("pen")
        if isinstance(pen, QPen) and pen.style() != Qt.PenStyle.NoPen:
            widths.append(pen.widthF())
    return widths


def test_f5_at_1280x720_makes_text_a_fiftieth_of_the_height_lines_3px_and_folds_the_side_panels(qtbot, window):
    """Before: no such mode. At 1280 × 720 tick and legend text were 12 px (9 pt), the curves
    2 px and the per-step loss and marker lines 1 px, and the settings dock took 30 % of the width."""
    _trained(qtbot, window)
    assert window.dock.isVisible()
    widths_before = {name: _pen_widths(plot) for name, plot in _shown(window).items()}
    in_front = [d.objectName() for d in (window.dock, window.runs_dock.dock) if not d.visibleRegion().isEmpty()]
    _press_f5(qtbot, window)
    assert window.menu_actions["Presentation"].isChecked()
    assert not window.dock.isVisible() and not window.runs_dock.dock.isVisible()
    assert not window.findChild(QDockWidget, "lesson_dock").isVisible()  # no lesson open: none shown
    least = window.height() / 50
    assert least >= 14.4 - 0.5  # the window is the projector's
    shown = _shown(window)
    assert {"loss", "accuracy", "gap", "noise"} <= set(shown)
    measured = []
    for name, plot in shown.items():
        item = plot.getPlotItem()
        for side in ("left", "bottom"):
            tick = _px(item.getAxis(side).style["tickFont"].pointSizeF(), plot)
            assert tick >= least, (name, side, tick)
            measured.append(tick)
        legend = item.legend
        if legend.items:
            px = _px(legend.shown_pt, plot)
            assert px >= least, (name, px, least)
            measured.append(px)
            box, view = legend.sceneBoundingRect(), item.vb.sceneBoundingRect()
            assert view.left() <= box.left() and box.right() <= view.right(), (name, box, view)  # not clipped
            assert view.top() <= box.top() and box.bottom() <= view.bottom() + 1, (name, box, view)
        title = item.titleLabel
        assert title.item.boundingRect().width() <= item.vb.width() + 2, (name, title.text)  # whole
        assert _px(float(title.opts["size"].removesuffix("pt")), plot) >= least, (name, title.opts["size"])
        widths = _pen_widths(plot)
        assert widths and min(widths) >= 3, (name, widths)
    print(f"presentation at {window.width()} x {window.height()}: smallest text {min(measured):.1f} px "
          f"(wanted {least:.1f}), thinnest line {min(min(_pen_widths(p)) for p in shown.values()):.1f} px")

    _press_f5(qtbot, window)  # and back
    assert not window.menu_actions["Presentation"].isChecked()
    assert window.dock.isVisible() and window.plots.text_scale == 1.0
    assert window.plots.plots["norms"].isVisible() and window.menu_actions[
        "Layer plots (weight and gradient norms)"].isChecked()
    assert window.plots.series["train_loss"].curve.opts["pen"].widthF() == 2  # its own width again
    # Every line, the marker lines too (the text scale leaves them alone: they stayed 3 px before).
    assert {name: _pen_widths(window.plots.plots[name]) for name in widths_before} == widths_before
    assert [d.objectName() for d in (window.dock, window.runs_dock.dock)
            if not d.visibleRegion().isEmpty()] == in_front == ["settings_dock"]  # Settings in front, as it was


def test_a_lessons_step_panel_stays_in_view_beside_the_plots_and_goes_back_below(qtbot, window):
    """Lessons ▸ Memorizing, a short run, F5: the step panel stays (moved beside the plots: below
    them it left each plot 165 px and the loss and accuracy legends shrank to 12.3 px)."""
    window.resize(1280, 720)
    window.menu_actions["Memorizing"].trigger()
    lesson = window.findChild(QDockWidget, "lesson_dock")
    qtbot.waitUntil(lesson.isVisible, timeout=5000)
    area = window.dockWidgetArea(lesson)
    _trained(qtbot, window, epochs=3)
    _press_f5(qtbot, window)
    assert lesson.isVisible() and not window.dock.isVisible()
    least = window.height() / 50
    for name in ("loss", "accuracy", "noise"):
        plot = window.plots.plots[name]
        item = plot.getPlotItem()
        assert _px(item.getAxis("left").style["tickFont"].pointSizeF(), plot) >= least, name
        assert _px(item.legend.shown_pt, plot) >= least, (name, _px(item.legend.shown_pt, plot))
        box, view = item.legend.sceneBoundingRect(), item.vb.sceneBoundingRect()
        assert view.left() <= box.left() and box.right() <= view.right(), name
    assert window.dockWidgetArea(lesson) == Qt.DockWidgetArea.RightDockWidgetArea
    _press_f5(qtbot, window)
    assert window.dockWidgetArea(lesson) == area and lesson.isVisible() and window.dock.isVisible()


def test_f5_is_presentations_key_alone(qtbot, window):
    keys = {}
    for action in window.findChildren(type(window.menu_actions["Presentation"])):
        for key in action.shortcuts():
            keys.setdefault(key.toString(), []).append(action.text())
    assert keys[QKeySequence(Qt.Key.Key_F5).toString()] == ["Presentation"]
    assert all(len(texts) == 1 for texts in keys.values()), {k: t for k, t in keys.items() if len(t) > 1}


def _background(plot):
    color = plot.backgroundBrush().color()
    return (color.redF(), color.greenF(), color.blueF())


def test_dark_chosen_in_the_app_turns_the_widgets_and_every_plot_and_keeps_lines_3_to_1(qtbot, window):
    """Before: the scheme was the OS's alone; plots stayed white. Dark: lines at least 3:1 and
    text at least 4.5:1 on the dark plots (black curves turned white), series still apart
    for every eye; As the system: the light colours back."""
    _trained(qtbot, window)
    _press_f5(qtbot, window)
    window.menu_actions["Dark"].trigger()
    qtbot.wait(100)
    assert [window.menu_actions[t].isChecked() for t in ("Light", "Dark", "As the system")] == [False, True, False]
    app = QApplication.instance()
    assert app.palette().window().color().lightnessF() < 0.25  # the widgets follow, where the OS does not
    panel = window.plots
    same = {id(panel.step_loss.curve): "train", id(panel.step_loss.tail): "train"}
    shown = _shown(window)
    lines = {name: lines_of(plot, same) for name, plot in shown.items()}
    backgrounds = {name: _background(plot) for name, plot in shown.items()}
    assert all(sum(bg) < 0.5 for bg in backgrounds.values()), backgrounds
    m = measure(lines, backgrounds, 20.0, 3.0)
    print(f"dark: lowest line contrast {m.lowest_contrast[0]:.2f}:1 ({m.lowest_contrast[2]}); smallest ΔE "
          + ", ".join(f"{v} {d:.1f}" for v, (d, _) in m.smallest_delta_e.items()))
    assert not m.low_contrast, m.low_contrast
    assert not m.too_close, m.too_close
    low = [(name, what, round(contrast(rgb, backgrounds[name]), 2)) for name, plot in shown.items()
           for what, rgb in texts_of(plot) if contrast(rgb, backgrounds[name]) < 4.5]
    assert not low, low
    assert panel.series["acc_gap"].curve.opts["pen"].color() == QColor("#ffffff")  # black on black, before

    window.menu_actions["As the system"].trigger()
    qtbot.wait(100)
    assert all(_background(p) == (1.0, 1.0, 1.0) for p in _shown(window).values())
    assert panel.series["acc_gap"].curve.opts["pen"].color() == QColor(c.BLACK)
    assert panel.series["train_acc"].curve.opts["pen"].color() == QColor(c.TRAIN)
    assert min(_pen_widths(panel.plots["accuracy"])) >= 3  # still presenting


def test_a_new_run_in_dark_presentation_is_drawn_dark_and_wide(qtbot, window):
    """Curves made after the switch (a new run's layers, the last run kept for comparison)."""
    _trained(qtbot, window, epochs=2)
    _press_f5(qtbot, window)
    window.menu_actions["Dark"].trigger()
    window.settings_panel.set_config(tiny_config({"optim.epochs": 2, "model.depth": 3}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    qtbot.waitUntil(lambda: not window.plots.pending(), timeout=10_000)
    for name, plot in _shown(window).items():
        lines = lines_of(plot)
        bg = _background(plot)
        assert all(contrast(line.rgb, bg) >= 3 for line in lines), (name, [str(x) for x in lines])
        assert min(_pen_widths(plot)) >= 3, name
    window.menu_actions["As the system"].trigger()  # the application's palette back for the next test


def test_quitting_while_presenting_keeps_the_users_own_view_for_the_next_launch(qtbot, tmp_path):
    """Before: closed in presentation, the next launch opened without the settings dock, its text
    1.21 × as large and no layer plots (what the room was shown)."""
    from PySide6.QtCore import QSettings

    from gui.window.main_window import MainWindow

    def launch():
        w = MainWindow(tiny_config(), runs_dir=tmp_path / "runs", restore=True)
        qtbot.addWidget(w)
        w.show()
        return w

    first = launch()
    first.resize(1280, 720)
    first.menu_actions["Presentation"].trigger()
    assert first.presentation.on and not first.dock.isVisible()
    first.close()
    assert float(QSettings().value("view/text_scale")) == 1.0
    again = launch()
    qtbot.wait(50)
    assert again.dock.isVisible() and again.plots.text_scale == 1.0 and again.plots.grid.layers
    assert not again.presentation.on


def test_the_scheme_chosen_is_the_next_launchs(qtbot, tmp_path):
    from gui.window.main_window import MainWindow

    def launch():
        w = MainWindow(tiny_config(), runs_dir=tmp_path / "runs", restore=True)
        qtbot.addWidget(w)
        w.show()
        qtbot.wait(50)
        return w

    first = launch()
    first.menu_actions["Dark"].trigger()
    first.close()
    again = launch()
    assert again.presentation.scheme == "Dark" and again.menu_actions["Dark"].isChecked()
    assert all(sum(_background(p)) < 0.5 for p in again.plots.plots.values())
    again.menu_actions["As the system"].trigger()  # and the application's palette as it was
    assert QApplication.instance().palette().window().color().lightnessF() > 0.5


def test_a_german_lessons_panel_beside_the_plots_puts_reset_below_and_leaves_every_legend_whole(qapp, qtbot,
                                                                                              request):
    """In German the step panel's three buttons on one row were 660 px: beside the plots (F5) the
    panel took 718 px of 1280, and the Gap and by-label plots left cut their legends at the left
    edge ("auigkeitslücke (Pkt.)"). Beside them Reset goes on a row of its own."""
    from gui.window import language

    assert language.install(qapp, "de") == "de"
    window = request.getfixturevalue("window")
    window.resize(1280, 720)
    window.menu_actions["Memorizing"].trigger()
    lesson = window.findChild(QDockWidget, "lesson_dock")
    qtbot.waitUntil(lesson.isVisible, timeout=5000)
    _trained(qtbot, window, epochs=3)
    panel = window.lessons.view

    def one_row():
        return abs(panel.reset_button.y() - panel.next_button.y()) < 5

    assert one_row()
    _press_f5(qtbot, window)
    assert window.dockWidgetArea(lesson) == Qt.DockWidgetArea.RightDockWidgetArea
    qtbot.waitUntil(lambda: panel.reset_button.y() >= panel.next_button.geometry().bottom(), timeout=5000)
    assert lesson.width() < 0.4 * window.width(), lesson.width()
    for name in ("loss", "accuracy", "gap", "noise"):
        item = window.plots.plots[name].getPlotItem()

        def whole(item=item):
            box, view = item.legend.sceneBoundingRect(), item.vb.sceneBoundingRect()
            return view.left() <= box.left() and box.right() <= view.right()

        qtbot.waitUntil(whole, timeout=5000)
    _press_f5(qtbot, window)
    assert window.dockWidgetArea(lesson) == Qt.DockWidgetArea.BottomDockWidgetArea
    qtbot.waitUntil(one_row, timeout=5000)
