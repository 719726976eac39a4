"""A lesson's step panel: the step's text, then at its epoch the question, then the reveal
with the run's figures; large enough to read on a projector from the back of a room. A shipped
lesson's texts are in the catalog and shown in the language; a user's own lesson as written."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import _, integer
from engine.core.lesson_figures import lesson_text

# Points, whatever the app's own size: a projected 1280 x 720 window's text stays readable.
TEXT_PT, TITLE_PT = 18, 22
WATCHING, ASKING, REVEALED, FINISHED = "watching", "asking", "revealed", "finished"
REVEAL_ON_LIGHT, REVEAL_ON_DARK = "#0b4f8a", "#8cc8ff"


class LessonPanel(QWidget):
    """Shows one step at a time; asks for the reveal, the next step and a reset."""

    reveal_requested = Signal()
    next_requested = Signal()
    reset_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lesson_panel")
        column = QVBoxLayout(self)
        # i18n: what a screen reader calls each text of the lesson's panel
        self.title = self._label("lesson_title", _("lesson's title"), TITLE_PT, bold=True)
        self.where = self._label("lesson_where", _("lesson's where"), TEXT_PT - 4)
        self.text = self._label("lesson_text", _("lesson's text"), TEXT_PT)
        self.question = self._label("lesson_question", _("lesson's question"), TEXT_PT, bold=True)
        self.reveal = self._label("lesson_reveal", _("lesson's reveal"), TEXT_PT)
        self._colour_reveal()
        # The texts wrap and scroll inside the panel's height, whatever the dock gives it; the
        # buttons below stay in view. Cut to one line each (German at Larger text x2), the
        # question and the reveal lost their ends with nothing to scroll. No size is set from
        # here: a panel height that followed its texts' wrapped height fed back through the
        # docks' layout (a scripted lesson hung).
        texts = QWidget()
        texts.setObjectName("lesson_texts")
        lines = QVBoxLayout(texts)
        lines.setContentsMargins(0, 0, 0, 0)
        for label in (self.title, self.where, self.text, self.question, self.reveal):
            lines.addWidget(label)
        lines.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("lesson_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # wrap, never sideways
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the texts themselves
        self.scroll.setWidget(texts)
        column.addWidget(self.scroll, 1)
        row = QHBoxLayout()
        self.reveal_button = self._button(_("Reveal"), _("Show what the run measured (F7)"), self.reveal_requested)
        self.next_button = self._button(_("Next step"), _("Go on to the next step: the run resumes (F8)"),
                                        self.next_requested)
        self.reset_button = self._button(_("Reset to the lesson's start"), _(
            "The lesson's settings, its first step, the plots cleared (a live run is stopped)"), self.reset_requested)
        for button in (self.reveal_button, self.next_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.reset_button)
        column.addLayout(row)
        self.row, self.second_row = row, QHBoxLayout()  # Reset alone below, when the panel is narrow
        column.addLayout(self.second_row)

    def set_narrow(self, narrow: bool) -> None:
        """Beside the plots (presentation, F5) Reset goes on a row of its own: on one row the
        three buttons set the panel's least width (660 px in German at 1280 x 720), and the
        plots left beside it cut their legends at the left edge."""
        if narrow == (self.second_row.indexOf(self.reset_button) >= 0):
            return
        (self.row if narrow else self.second_row).removeWidget(self.reset_button)
        if narrow:
            self.second_row.addStretch(1)
            self.second_row.addWidget(self.reset_button)
        else:
            while self.second_row.count():  # its stretch
                self.second_row.takeAt(0)
            self.row.addWidget(self.reset_button)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # View ▸ Light / Dark
            self._colour_reveal()

    def _colour_reveal(self) -> None:
        """The answer in blue, dark on a light panel (8.3:1 on white), light on a dark one (9.2:1
        on #202020): the light scheme's blue was 1.9:1 in Dark, unreadable from the back row."""
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self.reveal.setStyleSheet(f"color: {REVEAL_ON_DARK if dark else REVEAL_ON_LIGHT};")

    def _label(self, name: str, spoken: str, points: int, bold: bool = False) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        # Reached by Tab and read by keyboard (a screen reader's user cannot point at it).
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        label.setAccessibleName(spoken)
        font = label.font()
        font.setPointSizeF(points)
        font.setBold(bold)
        label.setFont(font)
        return label

    def _button(self, text: str, tip: str, signal) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        font = button.font()
        font.setPointSizeF(TEXT_PT - 4)
        button.setFont(font)
        button.clicked.connect(signal)
        return button

    def show_step(self, title: str, number: int, count: int, step, phase: str, reveal: str = "") -> None:
        """Step `number` of `count` (1-based) in `phase`: watching (its text), asking (and its
        question), revealed (and the reveal, filled in the language: fill_reveal), finished (the
        lesson is over)."""
        self.title.setText(lesson_text(title))
        if phase == FINISHED:
            self.where.setText(_("The lesson is over."))
        elif step.pause_at:
            self.where.setText(_("Step {number} of {count} · pauses at epoch {epoch}").format(
                number=integer(number), count=integer(count), epoch=integer(step.pause_at)))
        else:
            self.where.setText(_("Step {number} of {count} · at the end of the run").format(
                number=integer(number), count=integer(count)))
        self.text.setText(lesson_text(step.text))
        asking = phase in (ASKING, REVEALED, FINISHED)
        self.question.setText(lesson_text(step.question) if asking else "")
        self.question.setVisible(asking and bool(step.question))
        self.reveal.setText(reveal if phase in (REVEALED, FINISHED) else "")
        self.reveal.setVisible(phase in (REVEALED, FINISHED) and bool(reveal))
        self.reveal_button.setEnabled(phase == ASKING)
        self.next_button.setEnabled(phase == REVEALED or (phase == ASKING and not step.reveal))
        self.next_button.setText(_("Finish") if number == count else _("Next step"))
        newest = self.reveal if phase in (REVEALED, FINISHED) and reveal else \
            self.question if asking and step.question else None
        if newest is not None:  # the answer or the question just shown, in view once laid out
            QTimer.singleShot(0, self, lambda: self._scroll_to(newest))

    def _scroll_to(self, label: QLabel) -> None:
        """`label` whole in view; taller than the view, its first lines (centred, they were cut)."""
        if not label.isVisible():  # passed already (a scripted lesson reveals and goes on at once)
            return
        if label.height() > self.scroll.viewport().height():
            self.scroll.verticalScrollBar().setValue(label.y())
        else:
            self.scroll.ensureWidgetVisible(label, 0, 0)
