"""The dialog that asks which TensorBoard tags are one curve, where their names do not say
(`Loss/val` and `Loss/test`, logged as often: which one is the validation loss?)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from engine.core.i18n import C_, _


class PairDialog(QDialog):
    """One row per ambiguous curve of each run: its train tag and its validation tag, each
    picked from the tags that could be it. OK: chosen() gives {train tag: validation tag}."""

    def __init__(self, parent, logdir, pairings: dict):
        super().__init__(parent)
        self.setObjectName("tensorboard_pairs")
        self.setWindowTitle(_("Which tags are one curve?"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        form = QFormLayout(self)
        form.addRow(QLabel(_("In {folder}, more than one tag could be the same curve. Pick the train and "
                             "validation tags of each; a curve not picked is left out (the others are "
                             "imported).").format(folder=logdir)))
        self.rows: dict[tuple[str, str], tuple[QComboBox, QComboBox]] = {}
        for run, pairing in pairings.items():
            for metric, sides in pairing.ambiguous.items():
                row, combos = QWidget(), []
                line = QHBoxLayout(row)
                line.setContentsMargins(0, 0, 0, 0)
                for index, side in enumerate(("train", "val")):
                    fixed = pairing.pairs.get(metric, (None, None))[index]
                    combo = QComboBox()
                    combo.setObjectName(f"{side}_tag")
                    combo.addItems(sides.get(side) or ([fixed] if fixed else []))
                    combo.setToolTip(_("train tag") if side == "train" else _("validation tag"))
                    line.addWidget(QLabel(C_("split", "train") if side == "train" else C_("split", "validation")))
                    line.addWidget(combo, 1)
                    combos.append(combo)
                form.addRow(f"{run}: {metric}", row)
                self.rows[(run, metric)] = tuple(combos)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Import with these pairs"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Import without them"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        form.addRow(buttons)

    def chosen(self) -> dict[str, str]:
        return {train.currentText(): val.currentText() for train, val in self.rows.values()
                if train.currentText() and val.currentText()}
