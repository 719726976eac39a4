"""The Examples tab: which training examples the network memorized.

  data map      every training example as a point: confidence (the mean probability of its
                given label) against variability (its spread over the epochs), Dataset
                Cartography's map; coloured clean / corrupted where the labels were corrupted
                on purpose, else by how often the example was predicted right. Redrawn each
                epoch. Click a point: the example below.
  detector      where the labels were corrupted on purpose: how well the suspects ranking
                finds them, per epoch (AUROC, precision at k), with the epoch of lowest
                validation loss marked: the network knew which labels were wrong, then
                memorized them.
  the example   its image, given label → the class that beat it (what Relabel gives it), true and
                predicted label and its margin over the epochs; an
                image folder's file, its full path selectable and copied by Copy path.
  suspects      the gallery, most suspect first, paged (gui.panels.suspects_gallery).

The panel shows an engine.runs.tally.ExampleTally; the controller (gui.controllers.examples)
feeds it. Its content scrolls where the window cannot hold it: with Larger text at 1280 x 720 its
minimum height made the window grow past the screen."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import N_, _, integer, n_, number
from engine.runs.scores import MIN_SCORED, NO_OTHER, SCORE_HELP, SCORES, auroc, precision_at_k
from gui.panels.example_detail import ExampleDetail
from gui.panels.shown_names import class_names, score_name
from gui.panels.signed_number import signed
from gui.panels.suspects_gallery import SuspectsGallery
from gui.plotting.axes import apply_text_scale, make_plot
from gui.plotting.colors import BLACK, BLUE, VERMILLION
from gui.plotting.point_cloud import PointCloud, fitted_top

# The series colours every eye tells apart (gui.plotting.colors), ≥ 3.9:1 on white.
CLEAN, CORRUPTED = BLUE, VERMILLION
BY_CORRECTNESS = (VERMILLION, BLACK, BLUE)  # right in ≤ 1/3, ≤ 2/3, more of the epochs
MAP_TIP = N_("Dataset Cartography (Swayamdipta et al. 2020): each training example at its confidence (the mean "
           "probability the network gave its label over the epochs) and variability (how much that probability "
             "moved). Easy examples sit top left, ambiguous ones to the right, and wrong labels bottom left — "
             "until the network memorizes them and they climb. Click a point to see the example. The axes fit the "
             "points: an MSE run's confidence is its output for the label (clipped to 0–1), far below 1.")
QUALITY_TIP = N_("How well the suspects ranking finds the labels corrupted on purpose, after each epoch. AUROC 1: "
                 "every wrong label ranked above every right one; 0.5: chance. Precision at k: the share of wrong "
                 "labels among the k most suspect (k = the number corrupted). The ranking is AUM up to the lowest "
                 "validation loss; a single epoch's margin (thin) loses the wrong labels as the network memorizes them.")
TRAIN_TIP = N_("A twin of this run (same settings and seed) trained without its most suspect examples, or with them "
               "relabelled to the class that beat their label most often: overlaid with this run in the Experiment tab.")


class ExamplesView(QWidget):
    clean_wanted = Signal()  # Train without the suspects…
    open_wanted = Signal()  # Open a run's examples…
    score_changed = Signal(str)
    ranking_shown = Signal(bool)  # whether a run's examples are on the tab (File ▸ Export the suspects)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tally = None
        self.images = None  # uint8 [N, H, W, C] of the training examples, where the window has them
        self.selected: int | None = None
        self.points = False
        self.run_label = "run"
        self.run_folder = None  # the folder of the run shown, where it has one (Export the suspects saves beside it)
        self.text_scale = 1.0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea()  # the tab's minimum height never sets the window's
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(self.scroll)
        content = _Content()
        self.scroll.setWidget(content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.summary = QLabel(_("Train a run: each training example's dynamics appear here as it trains."))
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.score_box = QComboBox()
        for name in SCORES:  # the scores' own names, as the command line's --score takes them
            self.score_box.addItem(score_name(name), name)  # shown in the language; its name as the data
            self.score_box.setItemData(self.score_box.count() - 1, _(SCORE_HELP[name]), Qt.ItemDataRole.ToolTipRole)
        self._score_tip("aum")
        self.score_box.currentIndexChanged.connect(self._on_score_changed)
        self.train_button = QPushButton(_("Train without the suspects…"))
        self.train_button.setToolTip(_(TRAIN_TIP))
        self.train_button.setEnabled(False)
        self.train_button.clicked.connect(self.clean_wanted)
        layout.addWidget(self.summary)  # a row of its own: the buttons beside it squeezed it at larger text
        top.addStretch(1)
        top.addWidget(QLabel(_("ranked by")))
        top.addWidget(self.score_box)
        top.addWidget(self.train_button)
        self.open_button = QPushButton(_("Open a run…"))
        self.open_button.setToolTip(_("Show the examples of any run folder: a headless run, another machine's, "
                                      "one still training. The next run you start here replaces it."))
        self.open_button.clicked.connect(self.open_wanted)
        top.addWidget(self.open_button)
        layout.addLayout(top)

        self.map_plot = make_plot(_("Data map"), _("confidence"), _("variability"))
        self.map_plot.setToolTip(_(MAP_TIP))
        for side in ("left", "bottom"):  # 0 … 0.5, not "× 0.001"
            self.map_plot.getPlotItem().getAxis(side).enableAutoSIPrefix(False)
        self.cloud = PointCloud()
        self.cloud.set_extent(-0.05, -0.05, 0.6, 1.1)  # the map's axes and a margin: what a paint may cover
        self.map_plot.addItem(self.cloud)
        self.map_plot.getPlotItem().vb.setMouseEnabled(False, False)
        self.map_plot.setXRange(0, 0.5, padding=0.02)  # a probability's spread is at most 0.5
        self.map_plot.setYRange(0, 1, padding=0.02)
        self.map_plot.getPlotItem().vb.disableAutoRange()
        self.map_plot.setMinimumHeight(150)
        self.map_plot.scene().sigMouseClicked.connect(self._on_map_clicked)
        self.map_key = QLabel()  # what the colours mean, under the map (a legend inside would cover points)
        self.map_key.setWordWrap(True)
        self.quality_plot = make_plot(_("Finding the wrong labels"), _("AUROC / precision"), legend_below=True)
        self.quality_plot.setToolTip(_(QUALITY_TIP))
        self.quality_plot.setYRange(0.3, 1.0, padding=0.02)
        self.quality_plot.getPlotItem().vb.enableAutoRange(x=True, y=False)
        q = self.quality_plot
        self.curves = {"ranking_auroc": q.plot(pen=pg.mkPen(BLUE, width=2.5), name=_("AUROC of the default ranking (AUM)")),
                       "ranking_precision": q.plot(pen=pg.mkPen(VERMILLION, width=2.5, style=Qt.PenStyle.DashLine),
                                                   name=_("its precision at k")),
                       "epoch_auroc": q.plot(pen=pg.mkPen(BLACK, width=1.2, style=Qt.PenStyle.DashDotLine),
                                             name=_("AUROC of the epoch's margin"))}
        self.turn_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#555", width=1, style=Qt.PenStyle.DotLine),
                                         label=_("lowest val loss"), labelOpts={"position": 0.1, "color": "#555"})
        self.turn_line.hide()
        q.addItem(self.turn_line, ignoreBounds=True)
        self.quality_note = QLabel()
        self.quality_note.setWordWrap(True)

        detail_box = self.example = ExampleDetail()
        box = detail_box  # (its parts by the names the tab has always given them)
        self.image, self.detail, self.margin_plot, self.margin_curve = box.image, box.text, box.margin_plot, \
            box.margin_curve
        self.path_field, self.copy_path = box.path_field, box.copy_path

        self.gallery = SuspectsGallery()
        self.gallery.example_chosen.connect(self.select)
        quality_box = QWidget()
        qb = QVBoxLayout(quality_box)
        qb.setContentsMargins(0, 0, 0, 0)
        qb.addWidget(self.quality_plot, 1)
        qb.addWidget(self.quality_note)
        columns = QHBoxLayout()
        map_box = QWidget()
        mb = QVBoxLayout(map_box)
        mb.setContentsMargins(0, 0, 0, 0)
        mb.addWidget(self.map_plot, 1)
        mb.addWidget(self.map_key)
        for upper, lower, stretches in ((map_box, detail_box, (3, 2)), (quality_box, self.gallery, (2, 3))):
            column = QVBoxLayout()
            column.addWidget(upper, stretches[0])
            column.addWidget(lower, stretches[1])
            lower.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
            columns.addLayout(column, 1)
        grid = columns
        layout.addLayout(grid, 1)
        self._fix_heights()

    # ---- what the controller calls ------------------------------------------------------
    def clear(self, text: str) -> None:
        """Nothing to show (a run starting, one that records no dynamics, Reset): `text` says why."""
        self.tally, self.images, self.selected, self.run_folder = None, None, None, None
        self.cloud.set_points(np.zeros(0), np.zeros(0), np.zeros(0, int), [])
        self.cloud.highlight(None)
        for c in self.curves.values():
            c.setData([], [])
        self.margin_plot.getPlotItem().enableAutoRange()
        self.turn_line.hide()
        self.example.clear("")
        self.summary.setText(text)
        self.map_key.setText("")
        self.train_button.setEnabled(False)
        self.gallery.start(None, None)
        self.ranking_shown.emit(False)

    def start(self, tally, images, label: str, points: bool = False, folder=None) -> None:
        """A new run's examples (no epoch yet). `points`: a 2-D toy set (no images to show);
        `folder`: the run's folder, where it has one."""
        self.tally, self.images, self.selected = tally, images, None
        self.run_label, self.points, self.run_folder = label, points, folder
        self.cloud.set_points(np.zeros(0), np.zeros(0), np.zeros(0, int), [])
        self.cloud.highlight(None)
        for c in self.curves.values():
            c.setData([], [])
        self.turn_line.hide()
        self.example.clear(_("Click a point of the data map or a suspect to see it here."))
        self.train_button.setEnabled(False)
        self._legend(tally)
        self.quality_plot.setVisible(tally.corrupted_on_purpose)
        self.quality_note.setText("" if tally.corrupted_on_purpose else _(
            "No labels were corrupted on purpose, so the suspects cannot be checked against the truth here: "
            "look at them in the gallery (with data.label_noise > 0 this plot shows how well they are found)."))
        self.gallery.start(tally, images)
        self._summary()
        self.ranking_shown.emit(True)  # (ranked from its first epoch on)

    def refresh(self) -> None:
        """The tally gained an epoch: redraw what shows it."""
        t = self.tally
        if t is None or not t.epochs:
            return
        if t.corrupted_on_purpose:
            groups = t.corrupted.astype(int)
            colors = [CLEAN, CORRUPTED]
        else:
            c = t.correctness
            groups = np.where(c <= 1 / 3, 0, np.where(c <= 2 / 3, 1, 2))
            colors = list(BY_CORRECTNESS)
        self.cloud.set_points(t.variability, t.confidence, groups, colors)
        # The axes fitted to the points (an MSE run's confidences all lie below 0.2).
        self.map_plot.setRange(xRange=(0, fitted_top(t.variability, 0.5, 0.1)),
                               yRange=(0, fitted_top(t.confidence, 1.0, 0.2)), padding=0.02)
        if self.selected is not None:
            self.cloud.highlight((t.variability[self.selected], t.confidence[self.selected]))
        if t.corrupted_on_purpose:
            q = t.quality
            for key, curve in self.curves.items():
                curve.setData(q["epoch"], [np.nan if v is None else v for v in q[key]])
            if t.turn is not None:
                self.turn_line.setPos(t.turn)
                self.turn_line.show()
        self.gallery.refresh(self.score_box.currentData())
        if self.selected is not None:
            self.select(self.selected)
        self._summary()

    def set_images(self, images) -> None:
        """The training images arrived (a run folder's, fetched by the engine thread)."""
        self.images = images
        self.gallery.images = images
        self.gallery.refresh(self.score_box.currentData(), force=True)
        if self.selected is not None:
            self.select(self.selected)

    def finished(self, can_clean: bool, why: str = "") -> None:
        """The run ended: whether a cleaned twin can be trained from it, and if not, why (said
        in the button's tooltip)."""
        self.train_button.setEnabled(can_clean)
        off = "" if can_clean or not why else "\n\n" + _("Off: {why}.").format(why=why)  # why it cannot
        self.train_button.setToolTip(_(TRAIN_TIP) + off)

    def truth_unknown(self, whose: str) -> None:
        """A run the app did not train (`whose`: a script's, an import): whether its labels are
        right is unknown to the app, so the suspects are not checked against a truth."""
        if self.tally is not None and not self.tally.corrupted_on_purpose:
            # i18n: {whose}: who made the run ("a script's", "imported")
            self.quality_note.setText(_("Which labels are wrong is unknown to the app (this run was {whose}): "
                                        "the suspects are ranked, not checked against a truth; look at them in "
                                        "the gallery.").format(whose=whose))

    def _fix_heights(self) -> None:
        """The texts that change every epoch keep their height (two lines of summary across the tab,
        six of detail, which scrolls): a label growing by a line would lay the whole tab out again, plots
        and all. At 1280 x 720 with Larger text twice the tab fits without scrolling."""
        line = self.fontMetrics().lineSpacing()
        self.summary.setFixedHeight(2 * line + 4)
        self.example.fix_heights(line)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:  # View ▸ Larger text
            self._fix_heights()

    def scale_text(self, scale: float) -> None:
        self.text_scale = scale
        apply_text_scale([self.map_plot, self.quality_plot, self.margin_plot], scale)
        self.gallery.scale_text(scale)

    # ---- the example ----------------------------------------------------------------------
    def select(self, example: int) -> None:
        t = self.tally
        if t is None or not 0 <= example < t.size:
            return
        self.selected = example
        names = class_names(t.class_names)
        given, true = t.given[example], t.true[example]
        other = int(t.other_class([example])[0]) if t.epochs else None
        # i18n: {label}, {other}: class names
        given_line = (_("given label: <b>{label}</b>") if other is None else _(
            "given label: <b>{label}</b> → <b>{other}</b>, the class that beat it most often over the scoring "
            "epochs (what Relabel gives it)") if other != NO_OTHER else _(
            "given label: <b>{label}</b> — it led at every scoring epoch (Relabel leaves it as it is)"))
        # i18n: {example}: the example's position in the training split
        lines = [_("<b>example {example}</b> (its position in the training split)").format(example=t.positions[example]),
                 given_line.format(label=names[given], other=names[other] if other not in (None, NO_OTHER) else "")]
        if t.corrupted_on_purpose:
            lines.append((_("true label: {label} — <b>corrupted on purpose</b>") if given != true
                          else _("true label: {label}")).format(label=names[true]))
        if t.epochs:
            predicted = t.predicted_at_turn()[example]
            lines.append(_("predicted at epoch {scored} (the last scoring epoch: the lowest validation loss, "
                           "at least epoch {least}): {then}; at epoch {last}: {now}").format(
                scored=integer(t.scored_epochs), least=integer(MIN_SCORED), then=names[predicted],
                last=integer(t.epochs[-1]), now=names[t.predicted[-1][example]]))
            rank = int(np.flatnonzero(t.order(self.score_box.currentData()) == example)[0]) + 1
            # i18n: AUM: area under the margin (a score's name); {aum} carries its sign (+0.12, -0.40)
            lines.append(_("confidence {confidence} · variability {variability} · AUM {aum} · suspect no. {rank} "
                           "of {total}").format(confidence=number(t.confidence[example], 2),
                                                variability=number(t.variability[example], 2),
                                                aum=signed(-t.score("aum")[example], 2), rank=integer(rank),
                                                total=integer(t.size)))
            self.margin_curve.setData(t.epochs, t.margin_history(example))
            self.cloud.highlight((t.variability[example], t.confidence[example]))
        self.example.show_path(t.files[example] if t.files else None)
        self.detail.setText("<br>".join(lines))
        self.example.show_image(None if self.images is None else self.images[example],
                                _("not an\nimage") if self.points else _("no image\nheld"))

    def _on_map_clicked(self, event) -> None:
        vb = self.map_plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        (x0, x1), (y0, y1) = vb.viewRange()
        width, height = max(vb.width(), 1), max(vb.height(), 1)
        hit = self.cloud.nearest(p.x(), p.y(), (x1 - x0) / width, (y1 - y0) / height)
        if hit is not None:
            self.select(hit)

    def _on_score_changed(self, _index: int) -> None:
        name = self.score_box.currentData()
        self._score_tip(name)
        self.gallery.refresh(name, force=True)
        self._summary()
        if self.selected is not None:
            self.select(self.selected)  # its rank by the new score
        self.score_changed.emit(name)

    # ---- words ----------------------------------------------------------------------------------
    def _score_tip(self, name: str) -> None:
        help_text = _(SCORE_HELP[name]) if name in SCORE_HELP else ""
        self.score_box.setToolTip(_("Which score ranks the suspects.") + " " + help_text)

    def _legend(self, tally) -> None:
        if tally.corrupted_on_purpose:
            entries = [(CLEAN, _("label as it was")), (CORRUPTED, _("label corrupted on purpose"))]
        else:
            # i18n: the data map's key: "predicted right in most epochs", then "in some", "in a third or fewer"
            entries = [(BY_CORRECTNESS[2], _("predicted right in most epochs")), (BY_CORRECTNESS[1], _("in some")),
                       (BY_CORRECTNESS[0], _("in a third or fewer"))]
        self.map_key.setText("&nbsp;&nbsp;".join(f'<span style="color:{c}">●</span> {name}' for c, name in entries))

    def _summary(self) -> None:
        t = self.tally
        if t is None:
            return
        name = self.score_box.currentData()
        text = n_("<b>{run}</b>: {count} training example", "<b>{run}</b>: {count} training examples",
                  t.size).format(run=self.run_label, count=integer(t.size))
        if t.corrupted_on_purpose:
            bad = int(t.corrupted.sum())
            text += ", " + n_("{count} of their labels corrupted on purpose", "{count} of their labels corrupted on purpose",
                              bad).format(count=integer(bad))
        if t.epochs:
            # i18n: {score}: the score's name as in the "ranked by" box (aum, forgetting…)
            by = (_("suspects by {score}") if name != "aum" else _("suspects by {score} over epochs 1–{last}")
                  if t.turn is None else _("suspects by {score} over epochs 1–{last} (lowest val loss at epoch {turn})"))
            text += " · " + _("epoch {epoch}").format(epoch=integer(t.epochs[-1])) + " · " + by.format(
                score=score_name(name), last=integer(t.scored_epochs), turn=integer(t.turn) if t.turn is not None else "")
            if t.corrupted_on_purpose:
                k, q = int(t.corrupted.sum()), t.quality
                if name == "aum" and q["epoch"]:  # the tally's own figures of its last epoch: two sorts of
                    found, share = q["ranking_auroc"][-1], q["ranking_precision"][-1]  # 60,000 saved a redraw
                else:
                    score = t.score(name)
                    found, share = auroc(score, t.corrupted), precision_at_k(score, t.corrupted, k)
                # i18n: after "suspects by aum…: "; {share} is a percentage's number, {top}: how many suspects
                text += ": " + (_("AUROC <b>{auroc}</b> against the wrong labels, which are <b>{share}%</b> of the "
                                  "top {top}").format(auroc=number(found, 3), share=number(100 * share, 0), top=integer(k))
                                if found is not None
                                else _("every label was corrupted, so there is no right one to tell them from"))
        self.summary.setText(text)


class _Content(QWidget):
    """The tab's content in its scroll area: filling the area down to its minimum height. (Its
    wrapped labels' height-for-width, from preferred heights, made it scroll while it fitted.)"""

    def heightForWidth(self, _width: int) -> int:
        return -1  # the scroll area then sizes it by its minimum height alone
