"""An evaluation's report beside the plots: the headline figures, a sortable per-class
table, the confusion matrix (counts, or each row as recall) with the most confused pairs,
and the reliability diagram of the network's confidence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.core.events import Evaluated
from engine.core.i18n import C_, N_, _, integer, n_, number
from gui.panels.example_detail import to_qimage
from gui.panels.number_item import NumberItem
from gui.panels.shown_names import class_names
from gui.plotting.axes import make_plot
from gui.plotting.cell_texts import CellTexts
from gui.plotting.colors import BLUE, REFERENCE, matrix_lookup_table, series_pen, text_on

COLUMNS = [("precision", N_("Of the examples predicted as this class, the share that are.")),
           ("recall", N_("Of the examples of this class, the share found.")),
           ("F1", N_("The harmonic mean of precision and recall.")),
           ("support", N_("Examples of this class in the split."))]
SPLITS = {"test": N_("the locked test split"), "val": N_("the validation split")}
# Which weights a report is of, in every headline: the two can differ by many points.
WEIGHTS = {"best": N_("best weights (saved at the epoch the monitored validation metric was best)"),
           "last": N_("last weights (where the run ended: after its last epoch, or where it was stopped)")}


MIN_CHART_PX = 260  # the sub-tabs' plots and the matrix: a readable height, the panel scrolls for it
MAX_CELL_TEXTS, MAX_TICKS, MAX_PR_LEGEND = 20, 20, 10  # classes beyond which the matrix / PR plot thin out
PR_TIP = N_("One curve per class: lowering the threshold on its probability finds more of "
            "the class (recall, right) at the cost of more wrong picks (precision, down).")
GALLERY_PAGE = 24  # thumbnails fetched at a time: only what is on screen is decoded


class EvaluationPanel(QWidget):
    thumbnails_wanted = Signal(str, list)  # split, indices of the examples to show

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        self.table = QTableWidget(0, len(COLUMNS) + 1)
        self.table.setHorizontalHeaderLabels([C_("column", "class"), C_("column", "precision"), C_("column", "recall"),
                                              C_("column", "F1"), C_("column", "support")])  # COLUMNS' names
        for col, (_name, tip) in enumerate(COLUMNS, start=1):
            self.table.horizontalHeaderItem(col).setToolTip(_(tip))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setMinimumWidth(380)
        grid = QGridLayout()
        # i18n: "true": the axis of the confusion matrix's rows, the examples' true class
        self.matrix_plot = make_plot(_("Confusion matrix (rows: true class)"), _("true"), _("predicted class (number)"))
        self.matrix_plot.getPlotItem().invertY(True)
        self.matrix_plot.getPlotItem().setMouseEnabled(False, False)
        self.matrix_image = pg.ImageItem()
        self.matrix_plot.addItem(self.matrix_image)
        self.cell_texts = CellTexts()  # the counts (or recalls) on the cells
        self.matrix_plot.addItem(self.cell_texts)
        self.as_recall = QCheckBox(_("rows as recall"))
        self.as_recall.setToolTip(_("Each row as recall, the share of its true class. Off: how many examples "
                                    "of each true class were predicted as each class. On: each row divided "
                                    "by its total, so the diagonal is recall."))
        self.as_recall.toggled.connect(self._on_as_recall_toggled)
        self.confused = QLabel()
        self.confused.setWordWrap(True)
        self.confused.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reliability = make_plot(_("Reliability: accuracy per confidence"), _("accuracy"), _("confidence"))
        self.reliability.getPlotItem().setXRange(0, 1, padding=0.02)
        self.reliability.getPlotItem().setYRange(0, 1, padding=0.02)
        self.reliability.plot([0, 1], [0, 1], pen=pg.mkPen(REFERENCE, style=Qt.PenStyle.DashLine))
        self.reliability_points = self.reliability.plot(pen=pg.mkPen(BLUE, width=2), symbol="o",
                                                        symbolSize=6, symbolBrush=BLUE)
        self.reliability.setToolTip(_("Each point: examples the network gave about that confidence, and "
                                      "how many of them it got right. On the dashed line it is calibrated; "
                                      "below it, over-confident."))
        # Left: the per-class table over the reliability diagram; right: the matrix.
        self.pr = make_plot(_("Precision–recall per class"), _("precision"), _("recall"), legend_columns=2)
        self.pr.getPlotItem().legend.setOffset((10, -10))  # bottom-left: the curves fall at the right
        self.pr.getPlotItem().setXRange(0, 1, padding=0.02)
        self.pr.getPlotItem().setYRange(0, 1, padding=0.02)
        self.pr.setToolTip(_(PR_TIP))
        self.pr_curves: list[pg.PlotDataItem] = []
        self.charts = QTabWidget()
        # Every sub-tab's name in view, cut at its end where the column is narrow (Larger text):
        # scroll arrows hid the first and the last ("bility | Precision–recall | Miscla◂▸").
        self.charts.setUsesScrollButtons(False)
        self.charts.setElideMode(Qt.TextElideMode.ElideRight)
        self.charts.addTab(self.reliability, _("Reliability"))
        self.charts.addTab(self.pr, _("Precision–recall"))
        grid.addWidget(self.table, 0, 0)
        grid.addWidget(self.charts, 1, 0, 2, 1)
        self.gallery_title = QLabel()
        self.gallery_title.setWordWrap(True)
        self.gallery_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(56, 56))
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.setWrapping(True)
        self.gallery.setWordWrap(True)  # captions in whole words on their lines (see gallery_cell)
        # As wide as the layout gives it: a wrapping list would otherwise ask for all its icons' width.
        self.gallery.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.gallery.setToolTip(_("Misclassified examples, the most confident first: true → predicted (confidence). "
                                  "Click a cell of the confusion matrix to see those examples."))
        self.all_errors = QPushButton(_("All misclassified"))
        self.all_errors.clicked.connect(self._on_all_errors_clicked)
        self.more = QPushButton(_("More"))
        self.more.clicked.connect(self._on_more_clicked)
        gallery_row = QHBoxLayout()
        gallery_row.addWidget(self.gallery_title, 1)
        gallery_row.addWidget(self.all_errors)
        gallery_row.addWidget(self.more)
        self.gallery_box = QWidget()
        box = QVBoxLayout(self.gallery_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(gallery_row)
        box.addWidget(self.gallery, 1)
        self.charts.addTab(self.gallery_box, _("Misclassified"))
        self.matrix_image.mouseClickEvent = self._on_matrix_clicked
        self.matrix_image.hoverEvent = self._on_matrix_hovered
        self._selection: list[list] = []  # the errors the gallery shows, most confident first
        self._shown = 0
        self._pending: set[int] = set()  # the indices of the page asked for, until it comes
        grid.addWidget(self.matrix_plot, 0, 1, 2, 1)
        grid.addWidget(self.as_recall, 2, 1)
        grid.addWidget(self.confused, 3, 0, 1, 2)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        grid.setRowStretch(1, 1)
        # The report scrolls when the window cannot give it its readable height (Larger text on a
        # projector's 720 px): with the grid in the panel, its minimum grew the window past the
        # screen's bottom edge and the precision-recall plot was squeezed to ~50 px.
        body = QWidget()
        body.setLayout(grid)
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(body)
        layout.addWidget(self.scroll, 1)
        self.charts.setMinimumHeight(MIN_CHART_PX)
        self.matrix_plot.setMinimumHeight(MIN_CHART_PX)
        self.report: Evaluated | None = None

    def show_report(self, report: Evaluated, run_label: str, dataset_has_test_split: bool | None = None) -> None:
        """dataset_has_test_split: None where the run's dataset is not known here."""
        # Its class names as the window shows them (Fashion-MNIST's translated); the record keeps its own.
        report = self.report = dataclasses.replace(report, class_names=class_names(report.class_names))
        where = _(SPLITS[report.split]) if report.split in SPLITS else report.split
        if report.split == "test" and dataset_has_test_split is not None:
            where = (_("{split} (the dataset's own, used whole)") if dataset_has_test_split
                     else _("{split} (cut from your data: data.test_size)")).format(split=where)
        ece = (_("none (an MSE run)") if report.calibration_note else "–") if report.ece is None else number(report.ece, 3)
        weights = (_(WEIGHTS[report.weights]) if report.weights in WEIGHTS
                   else _("{weights} weights").format(weights=report.weights))
        lines = [
            # i18n: {accuracy} is a percentage's number (the % follows it); {ece}: the calibration error
            _("<b>{run}: accuracy {accuracy}%</b> &nbsp; loss {loss} &nbsp; macro F1 {f1} &nbsp; "
              "calibration error {ece}").format(run=run_label, accuracy=number(100 * report.accuracy, 2),
                                                 loss=number(report.loss, 4), f1=number(report.macro_f1, 3), ece=ece),
            # i18n: {split}: the split evaluated ("the locked test split"); {weights}: which weights ("best weights (…)")
            n_("{count} example of {split}; the {weights}.", "{count} examples of {split}; the {weights}.",
               report.examples).format(count=integer(report.examples), split=where, weights=weights)]
        if report.split == "test":
            lines.append(_("Evaluated once: evaluating again and tuning on the result would turn the test "
                           "set into a validation set."))
        self.headline.setText("<br>".join(lines))
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(report.class_names))
        for row, values in enumerate(zip(report.class_names, report.precision, report.recall, report.f1,
                                         report.support, strict=True)):
            self.table.setItem(row, 0, QTableWidgetItem(values[0]))
            for col, v in enumerate(values[1:], start=1):
                self.table.setItem(row, col, NumberItem(v, integer(v) if col == 4 else number(v, 3)))
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # class order
        self.table.setSortingEnabled(True)  # a click on a header sorts by it
        self.gallery.setGridSize(gallery_cell(self.gallery, report.class_names))
        rows = len(report.class_names)  # every class in view, no scrolling
        self.table.setFixedHeight(self.table.horizontalHeader().height() + 22 * min(rows, 12) + 4)
        names = report.class_names
        # Rows named with their number; columns by number alone (names would overlap there).
        # Every class labelled up to MAX_TICKS of them, then every n-th (97 labels overprinted).
        every = -(-len(names) // MAX_TICKS)
        shown = range(0, len(names), every)
        self.matrix_plot.getPlotItem().getAxis("left").setTicks([[(i + 0.5, f"{names[i]} {i}") for i in shown]])
        self.matrix_plot.getPlotItem().getAxis("bottom").setTicks([[(i + 0.5, str(i)) for i in shown]])
        self._draw_matrix()
        # i18n: {true} and {predicted} are class names; {count}: how many examples of {true} were predicted {predicted}
        pairs = [_("{true} taken for {predicted} ({count}×)").format(true=a, predicted=b, count=integer(n))
                 for a, b, n in report.most_confused(5)]
        self.confused.setText(_("Most confused: {pairs}").format(pairs="; ".join(pairs)) if pairs
                              else _("No example was taken for another class."))
        points = np.asarray(report.reliability or [[0, 0, 0]], dtype=float)
        self.reliability_points.setData(points[:, 0], points[:, 1])
        self._show_calibration(report.calibration_note)
        # The precision-recall curves in the event loop's next turn: the report and the tab's
        # first paint in this one, so neither turn stalls the window long.
        QTimer.singleShot(0, self, lambda: self._draw_pr(report) if self.report is report else None)
        self.select_errors(None, None)

    def _show_calibration(self, note: str) -> None:
        """An MSE run has no reliability diagram: its tab is disabled and says why (by object,
        not position, as the tabs may change)."""
        index = self.charts.indexOf(self.reliability)
        self.charts.setTabEnabled(index, not note)
        self.charts.setTabToolTip(index, note[:1].upper() + note[1:] + "." if note else "")
        self.headline.setToolTip(note[:1].upper() + note[1:] + "." if note else "")
        if note and self.charts.currentWidget() is self.reliability:
            self.charts.setCurrentWidget(self.pr)

    def _draw_pr(self, report: Evaluated) -> None:
        # Curves are made once per class count and then only given new data: adding a plot
        # item costs milliseconds, and a report drawn from scratch stalled the window.
        k = len(report.class_names)
        if len(self.pr_curves) != k or [c.class_name for c in self.pr_curves] != list(report.class_names):
            for curve in self.pr_curves:
                self.pr.getPlotItem().legend.removeItem(curve)
                self.pr.removeItem(curve)
            # A legend beyond MAX_PR_LEGEND classes covered the plot (97 entries): the read-out
            # under the mouse names the class instead.
            named = k <= MAX_PR_LEGEND
            self.pr_curves = [self.pr.plot([], [], name=name if named else None,
                                           pen=series_pen(i, width=1.5))  # 3 colours x dash patterns
                              for i, name in enumerate(report.class_names)]
            for curve, name in zip(self.pr_curves, report.class_names, strict=True):
                curve.class_name = name
                curve.curve.setToolTip(name)  # under the mouse, the curve says its class
            self.pr.setToolTip(_(PR_TIP) if named else _(PR_TIP) + " " + _("Too many classes for a legend: point at a "
                                                                             "curve to read its class."))
        for curve, (precision, recall) in zip(self.pr_curves, report.pr_curves, strict=False):
            curve.setData(recall, precision)

    def matrix(self) -> np.ndarray:
        """The matrix as drawn: counts, or each row divided by its total."""
        m = np.asarray(self.report.confusion_matrix, dtype=float)
        if self.as_recall.isChecked():
            m = m / np.maximum(m.sum(1, keepdims=True), 1)
        return m

    def _draw_matrix(self) -> None:
        m = self.matrix()
        k = len(m)
        self.matrix_image.setImage(m.T, levels=(0, m.max() or 1))  # ImageItem's first axis is x
        lut = matrix_lookup_table()
        self.matrix_image.setLookupTable(lut)
        self.matrix_image.setRect(0, 0, k, k)
        top = m.max() or 1
        values = m.reshape(-1)
        if k > MAX_CELL_TEXTS:  # colour alone: the cells are too small for a number (9,409 zeros read black)
            self.cell_texts.set_cells([], [], 0)
            return
        self.cell_texts.set_cells(
            [number(v, 2) if self.as_recall.isChecked() else integer(v) for v in values],
            [text_on(lut[min(len(lut) - 1, int(v / top * (len(lut) - 1)))]) for v in values], k)

    @Slot(bool)
    def _on_as_recall_toggled(self, _on: bool) -> None:
        if self.report is not None:
            self._draw_matrix()

    # ---- the gallery ------------------------------------------------------------------------
    def select_errors(self, true: int | None, predicted: int | None) -> None:
        """Show the misclassified examples of one cell (all of them with None, None)."""
        errors = self.report.errors if self.report is not None else []
        self._selection = [e for e in errors if (true is None or e[1] == true)
                           and (predicted is None or e[2] == predicted)]
        names = self.report.class_names if self.report is not None else []
        what = (_("all misclassified") if true is None else
                _("{true} taken for {predicted}").format(true=names[true], predicted=names[predicted]))
        m = self.report.confusion_matrix if self.report is not None else []
        total = (sum(c for i, row in enumerate(m) for j, c in enumerate(row) if i != j) if true is None
                 else m[true][predicted])
        # i18n: {what}: which errors ("all misclassified", "owl taken for cat"); {count}: how many are shown
        title = (_("{what}: {count}, most confident first") if len(self._selection) == total else
                 _("{what}: {count} of {total} (the report keeps the most confident), most confident first"))
        self.gallery_title.setText(title.format(what=what, count=integer(len(self._selection)), total=integer(total)))
        self.gallery.clear()
        self._shown = 0
        self._pending = set()
        self._next_page()

    def _next_page(self) -> None:
        if self._pending:
            return  # a page is on its way: asking again would fetch (and show) it twice
        page = self._selection[self._shown:self._shown + GALLERY_PAGE]
        self.more.setEnabled(False)
        if self.report is not None and not self.report.image_data:
            # i18n: {title}: the gallery's title ("all misclassified: 12, most confident first")
            self.gallery_title.setText(_("{title}. 2-D points, not images: on the Training tab's decision boundary, "
                                         "the misclassified ones are ringed.").format(title=self.gallery_title.text()))
            return
        if page and self.report is not None:
            self._pending = {e[0] for e in page}  # More is off until they arrive
            self.thumbnails_wanted.emit(self.report.split, [e[0] for e in page])

    def show_thumbnails(self, t) -> None:
        """A page of pixels arrived (engine.core.events.Thumbnails): one icon each, captioned."""
        if not self._pending.intersection(t.indices):
            return  # a page of an earlier selection, or one already shown
        by_index = {e[0]: e for e in self._selection}
        names = self.report.class_names
        h, w, c = t.shape
        for index, pixels in zip(t.indices, t.pixels, strict=True):
            error = by_index.get(index)
            if error is None:
                continue
            image = to_qimage(np.frombuffer(pixels, np.uint8).reshape(h, w, c))  # (any channel count)
            item = QListWidgetItem(QIcon(QPixmap.fromImage(image).scaled(56, 56)), caption(names, error))
            item.setData(Qt.ItemDataRole.UserRole, index)
            # i18n: {index}: the example's position in its split; {confidence} is a percentage's number
            item.setToolTip(_("example {index}: truly {true}, predicted {predicted} with {confidence}% confidence").format(
                index=index, true=names[error[1]], predicted=names[error[2]], confidence=number(100 * error[3], 1)))
            self.gallery.addItem(item)
            self._shown += 1
        self._pending = set()  # the page has come: More may ask for the next
        self.more.setEnabled(self._shown < len(self._selection))

    def _on_matrix_clicked(self, event) -> None:
        pos = event.pos()  # in the image's pixels: x the predicted class, y the true class
        col, row = int(pos.x()), int(pos.y())
        k = len(self.report.class_names) if self.report is not None else 0
        if 0 <= row < k and 0 <= col < k and row != col:
            self.select_errors(row, col)
            self.charts.setCurrentWidget(self.gallery_box)
        event.accept()

    def _on_matrix_hovered(self, event) -> None:
        """The cell under the mouse in words: the count where the cells are too small for it."""
        k = len(self.report.class_names) if self.report is not None else 0
        if event.isExit() or not k:
            self.matrix_plot.setToolTip("")
            return
        col, row = int(event.pos().x()), int(event.pos().y())
        if 0 <= row < k and 0 <= col < k:
            names, m = self.report.class_names, self.report.confusion_matrix
            # i18n: class names with their numbers in parentheses, then how many examples the cell holds
            self.matrix_plot.setToolTip(_("true {true} ({row}), predicted {predicted} ({column}): {count}").format(
                true=names[row], row=row, predicted=names[col], column=col, count=integer(m[row][col])))

    @Slot()
    def _on_all_errors_clicked(self) -> None:
        self.select_errors(None, None)

    @Slot()
    def _on_more_clicked(self) -> None:
        self._next_page()


def caption(names: list[str], error: list) -> str:
    """An error's caption in full: "Ankle boot → Sneaker" (wrapped at its spaces) and the confidence."""
    # i18n: a percentage's number and its sign, under an example's thumbnail
    return f"{names[error[1]]} → {names[error[2]]}\n" + _("{confidence}%").format(confidence=number(100 * error[3], 0))


def gallery_cell(gallery: QListWidget, names: list[str]) -> QSize:
    """A cell wide enough for the longest class name on a line of its own (cut at 9 letters,
    "Ankle boot" read "Ankle boo") and tall enough for the icon and three lines of caption."""
    fm = gallery.fontMetrics()
    widest = max([fm.horizontalAdvance(f"→ {n}") for n in names] + [fm.horizontalAdvance("100%")])
    width = max(gallery.iconSize().width(), min(widest, 12 * fm.averageCharWidth() * 2)) + 12
    return QSize(width, gallery.iconSize().height() + 3 * fm.lineSpacing() + 12)
