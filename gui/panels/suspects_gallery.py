"""The suspects gallery: the training examples most likely mislabeled, most suspect first,
a page at a time (More for the next), each captioned given → the class that beat its label
(the one Relabel gives it; "—" where its label led every scoring epoch). Rebuilt when the
ranking's first page changes (the default ranking stops changing once validation loss has
turned upwards)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import _, integer, n_
from engine.runs.scores import NO_OTHER
from gui.panels.example_detail import pixmap
from gui.panels.shown_names import class_names, score_name
from gui.plotting.colors import TEXT_RED

PAGE = 24
ICON = 56


class SuspectsGallery(QWidget):
    example_chosen = Signal(int)  # the example number (row of the tally) clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tally = None
        self.images = None
        self.score = "aum"
        self._order: np.ndarray | None = None
        self._captioned: np.ndarray | None = None  # the other classes the captions on screen say
        self._shown = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.title = QLabel(_("Suspects"))
        self.title.setWordWrap(True)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.more = QPushButton(_("More"))
        self.more.setEnabled(False)
        self.more.clicked.connect(self._next_page)
        row.addWidget(self.title, 1)
        row.addWidget(self.more)
        layout.addLayout(row)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setWrapping(True)
        self.list.setWordWrap(True)
        self.list.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.list.setToolTip(_("The training examples the ranking finds most suspect, first: given label → the class "
                               "that beat it most often over the scoring epochs (the class Relabel gives it; — where "
                               "the given label always led). Red: corrupted on purpose. Click one to see it."))
        self.list.itemClicked.connect(lambda item: self.example_chosen.emit(item.data(Qt.ItemDataRole.UserRole)))
        layout.addWidget(self.list, 1)
        self.text_scale = 1.0

    def start(self, tally, images) -> None:
        """A new run's examples (None: nothing to show)."""
        self.tally, self.images, self._order, self._captioned, self._shown = tally, images, None, None, 0
        self.list.clear()
        self.more.setEnabled(False)
        self.title.setText(_("Suspects: after the first epoch") if tally is not None else _("Suspects"))

    def refresh(self, score: str, force: bool = False) -> None:
        t = self.tally
        if t is None or not t.epochs:
            return
        self.score = score
        order = t.order(score)
        first = order[:max(self._shown, PAGE)]
        other = t.other_class(first)
        if (not force and self._order is not None and np.array_equal(first, self._order[:len(first)])
                and np.array_equal(other, self._captioned)):
            self._order = order
            return  # the page on screen is still the most suspect, and as captioned: nothing to redraw
        self._order, self._captioned = order, other
        pages = max(1, -(-self._shown // PAGE)) if not force else 1  # keep the pages More opened, but a new score starts at the top
        self.list.clear()
        self._shown = 0
        for _page in range(pages):
            self._next_page()
        if force:
            self.list.scrollToTop()

    def _next_page(self) -> None:
        t, order = self.tally, self._order
        if t is None or order is None:
            return
        names = class_names(t.class_names)
        page = order[self._shown:self._shown + PAGE]
        other = t.other_class(page)
        fm = self.list.fontMetrics()
        width = max([fm.horizontalAdvance(f"→ {n}") for n in names] + [ICON]) + 12
        icon = ICON if self.images is not None else 0  # points: captions only
        self.list.setGridSize(QSize(width, icon + 3 * fm.lineSpacing() + 12))
        for rank, (i, o) in enumerate(zip(page, other, strict=True), self._shown + 1):
            given, beat = names[t.given[i]], (names[o] if o != NO_OTHER else "—")
            item = QListWidgetItem(f"{rank}. {given}\n→ {beat}")
            if self.images is not None:
                item.setIcon(QIcon(pixmap(self.images[i], ICON)))
            item.setData(Qt.ItemDataRole.UserRole, int(i))
            # i18n: {example}: the example's position in the training split; {given}, {beat}: class names
            tip = (_("example {example}: given {given}; {beat} beat it most often over the scoring epochs "
                     "(Relabel gives it {beat})") if o != NO_OTHER
                   else _("example {example}: given {given}; its given label led at every scoring epoch")).format(
                example=t.positions[i], given=given, beat=beat)
            if t.corrupted_on_purpose:
                tip += "; " + (_("true label {label} (corrupted on purpose)") if t.corrupted[i]
                               else _("true label {label}")).format(label=names[t.true[i]])
                if t.corrupted[i]:
                    item.setForeground(QColor(TEXT_RED))  # 6.5:1
            if t.files:
                tip += f"\n{t.files[i]}"
            item.setToolTip(tip)
            self.list.addItem(item)
        self._shown += len(page)
        self.more.setEnabled(self._shown < t.size)
        # i18n: {score}: the score's name as in the "ranked by" box (aum, forgetting…)
        title = _("Suspects by {score}, most suspect first: {shown} of {total}").format(
            score=score_name(self.score), shown=integer(self._shown), total=integer(t.size))
        if t.corrupted_on_purpose:
            hits = int(t.corrupted[order[:self._shown]].sum())
            title += "; " + n_("{hits} of these {count} was corrupted on purpose",
                               "{hits} of these {count} were corrupted on purpose", self._shown).format(
                hits=integer(hits), count=integer(self._shown))
        self.title.setText(title)

    def scale_text(self, scale: float) -> None:
        self.text_scale = scale

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.FontChange and self._order is not None:  # cells sized for the new text
            shown = self._shown
            self.list.clear()
            self._shown = 0
            while self._shown < shown:
                self._next_page()

