"""The one evaluation on the locked test split: accuracy and per-class precision / recall / F1."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from engine.events import Evaluated


class TestResultsDialog(QDialog):
    def __init__(self, result: Evaluated, run_label: str, parent=None, dataset_has_test_split=True):
        super().__init__(parent)
        self.setWindowTitle(f"Test set — {run_label}")
        layout = QVBoxLayout(self)
        official = "the dataset's own test split, used whole" if dataset_has_test_split else \
            "the test split cut from your data (data.test_size)"
        summary = QLabel(
            f"<b>Test accuracy {result.accuracy:.2%}</b> &nbsp; loss {result.loss:.4f} &nbsp; "
            f"macro F1 {result.macro_f1:.3f} &nbsp; calibration error (ECE) "
            f"{'–' if result.ece is None else f'{result.ece:.3f}'}<br>"
            f"{result.examples:,} examples ({official}), never "
            f"seen during training or early stopping; {result.weights} weights.<br>Evaluated once: "
            "evaluating again and tuning on the result would turn the test set into a validation set.")
        summary.setWordWrap(True)
        layout.addWidget(summary)
        self.table = QTableWidget(len(result.class_names), 4)
        self.table.setHorizontalHeaderLabels(["precision", "recall", "F1", "support"])
        self.table.setVerticalHeaderLabels(result.class_names)
        for row, values in enumerate(zip(result.precision, result.recall, result.f1, result.support,
                                         strict=True)):
            for col, v in enumerate(values):
                item = QTableWidgetItem(f"{v:,}" if col == 3 else f"{v:.3f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, col, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Precision: of the examples predicted as this class, the share that are.\n"
                              "Recall: of the examples of this class, the share found.\n"
                              "F1: their harmonic mean.")
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(520, 470)
