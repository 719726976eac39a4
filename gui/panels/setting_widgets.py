"""The settings panel's binder: one widget per setting, made from the field's metadata
(its type, choices, range, help text)."""

from __future__ import annotations

import ast
import dataclasses

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.core.i18n import C_, N_, _
from gui.panels.number_fields import SaidDoubleSpinBox, SaidSpinBox, SaysWhatItChanged

# A few fields read better with their own labels (the others: the name, "_" as spaces).
LABELS = {"lr": N_("learning rate"), "l1": N_("L1 strength"), "weight_decay": N_("L2 strength"),
          "weight_decay_mode": N_("L2 mode"), "hflip": N_("flip"), "augment_hflip": N_("augment: flip"),
          "augment_rotate": N_("augment: rotate"), "augment_translate": N_("augment: shift"),
          "augment_noise": N_("augment: noise"), "augment_erase": N_("augment: erase")}
# Fields with a "…" button: (placeholder, the button's tooltip).
PICKERS = {"data.path": (N_("folder (image_folder, torchvision) or .npz / .safetensors file (arrays)"),
                         N_("Choose the data folder, or the arrays file")),
           "model.file": (N_("PATH/my_net.py:NAME — your own network"), N_("Choose the Python file of your network")),
           "data.file": (N_("PATH/my_data.py:NAME — your own datasets"), N_("Choose the Python file of your datasets"))}
# An exclusive bound's nearest allowed value is this far inside it (lr > 0: 0.000001).
BOUND_STEP = {"lr": 1e-6}


def label_source(key: str) -> str:
    """A field's name in English, as the catalog holds it ("train size", "learning rate")."""
    name = key.split(".")[-1]
    return LABELS.get(name, name.replace("_", " "))


def field_label(key: str) -> str:
    """The name a field goes by on screen (and in what is said about it), translated."""
    return _(label_source(key))


def shown_help(f: dataclasses.Field) -> str:
    """A field's help text (engine.core.config), translated: its tooltip."""
    return _(f.metadata["help"])


class FieldMessage(QLabel):
    """The message under a field: word-wrapped and as tall as its wrapped text at the width it
    is given. (The panel's form sits in a scroll area, which lays it out by size hints that
    assume one long line: a four-line message kept the height of two and was cut at both ends.)"""

    def __init__(self, key: str):
        super().__init__()
        self.setObjectName(f"error:{key}")
        palette = self.palette()  # (a style sheet would keep it at the old size under Larger text)
        palette.setColor(QPalette.ColorRole.WindowText, QColor("#c0392b"))
        self.setPalette(palette)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:  # Larger text: the same words take more lines
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def _fit(self) -> None:
        height = self.heightForWidth(max(self.width(), 1))
        if height > 0 and height != self.minimumHeight():
            self.setMinimumHeight(height)


def make_widget(panel, key: str, f: dataclasses.Field) -> QWidget:
    """The widget of one setting, bound to `panel` (its _emit, browse and commit slots, its
    wheel filter): the range, steps and tooltip come from the field's metadata."""
    meta = f.metadata
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    tip = shown_help(f)
    if kind == "bool":
        w = QCheckBox()
        w.toggled.connect(lambda _=None, k=key: panel._emit(k))
    elif meta.get("choices"):
        w = QComboBox()
        for choice in meta["choices"]:  # the word shown, the value as the item's data (read by data)
            w.addItem(C_("setting choice", choice), choice)
        w.currentIndexChanged.connect(lambda _=None, k=key: panel._emit(k))
    elif kind == "int":
        w = SaidSpinBox()
        w.setRange(int(meta["min"]) if meta["min"] is not None else -2**31 + 1,
                   int(meta["max"]) if meta["max"] is not None else 2**31 - 1)
        w.setKeyboardTracking(False)
        w.setGroupSeparatorShown(True)
        w.valueChanged.connect(lambda _=None, k=key: panel._emit(k))
    elif kind == "float":
        w = SaidDoubleSpinBox()
        lo = meta["min"] if meta["min"] is not None else -1e9
        hi = meta["max"] if meta["max"] is not None else 1e9
        step = BOUND_STEP.get(f.name, 1e-3)
        if meta.get("min_exclusive"):
            lo += step
        if meta.get("max_exclusive"):
            hi -= step
        w.setRange(lo, hi)
        w.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        w.setKeyboardTracking(False)
        w.valueChanged.connect(lambda _=None, k=key: panel._emit(k))
    elif key in PICKERS:  # a path typed, or chosen with "…"
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        edit = QLineEdit()
        edit.setPlaceholderText(_(PICKERS[key][0]))
        edit.editingFinished.connect(lambda k=key: panel._emit(k))
        browse = QPushButton("…")
        browse.setObjectName(f"{key}.browse")
        browse.setToolTip(_(PICKERS[key][1]))
        browse.clicked.connect(lambda _=False, k=key: panel._on_browse_clicked(k))
        row.addWidget(edit, 1)
        row.addWidget(browse)
        w.line_edit = edit
    else:
        w = QLineEdit()
        w.editingFinished.connect(lambda k=key: panel._emit(k))
    w.setObjectName(key)
    if isinstance(w, SaysWhatItChanged):
        w.label = label_source(key)  # named in what it says (translated there)
        w.editingFinished.connect(lambda k=key: panel._on_number_committed(k))
    if isinstance(w, (QSpinBox, QDoubleSpinBox, QComboBox)):
        w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no focus, and no change, by wheel
        w.installEventFilter(panel)
    w.setToolTip(tip)
    w.setProperty("help", tip)
    return w


def with_entry_point(path: str) -> str:
    """"PATH:NAME" for a chosen Python file: NAME its last top-level class or function, read
    from the file's syntax tree (nothing in it runs); "PATH:" where it has none or cannot be
    parsed (the run then names what is wrong)."""
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return f"{path}:"
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_")]
    return f"{path}:{names[-1]}" if names else f"{path}:"
