"""Settings panel: one widget per config field, bound by one binder from the field metadata.

Help texts become tooltips, constraints become widget ranges, and fields marked `live`
stay editable while a run is live; the others are disabled with a tooltip saying why.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QEvent, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.core.applicability import not_applicable
from engine.core.config import (
    HIDDEN_KEYS,
    SECTIONS,
    Config,
    ConfigError,
    load_preset,
    preset_description,
    preset_names,
)
from engine.core.i18n import C_, N_, _, integer, n_
from gui.panels.discard_question import ask_discard, changed_settings
from gui.panels.lesson_locks import LessonLocks
from gui.panels.setting_widgets import (
    FieldMessage,
    field_label,
    make_widget,
    shown_help,
    with_entry_point,
)

SECTION_TITLES = {"data": N_("Data"), "model": N_("Model"), "regularization": N_("Regularization"),
                  "optim": N_("Optimizer"), "run": N_("Run")}
PRESET_TIP = N_("Start from a prepared experiment: 'overfit' memorizes; the others "
                "add one remedy each to the same data, model and seed.")
PRESET_LOCKED_TIP = N_("Locked while a run or an experiment is live: a preset replaces the data and the network "
                       "it trains. Stop it (or let it end) to pick another.")
LOCKED_TIP = N_("Cannot change while a run is live: it defines the data or the network. Stop or reset to change it.")
CUSTOM = N_("(custom)")


def preset_shown(name: str) -> str:
    """A preset's name as the picker shows it (the name itself is the item's data)."""
    return C_("preset", name)


class SettingsPanel(QWidget):
    """Edits a Config. Emits `setting_changed(key, value)` on every user edit."""

    setting_changed = Signal(str, object)
    preset_chosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.widgets: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.fields: dict[str, dataclasses.Field] = {}
        self._loading = False
        self._hidden: dict = {}  # settings kept from the config shown but not on screen (HIDDEN_KEYS)
        self._live = False
        self.lesson = LessonLocks(self)  # a lesson's hidden and locked settings (none until one opens)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel(_("Preset")))
        self.preset_box = QComboBox()
        self.preset_box.addItem(_(CUSTOM), None)
        for name in preset_names():  # shown translated, found by its name (the item's data)
            self.preset_box.addItem(preset_shown(name), name)
        self.preset_box.setToolTip(_(PRESET_TIP))
        self.preset_box.activated.connect(self._on_preset_box_activated)
        preset_row.addWidget(self.preset_box, 1)
        outer.addLayout(preset_row)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("preset_description")
        self.description.setStyleSheet("color: #444; padding: 2px 2px 6px 2px;")
        outer.addWidget(self.description)
        # A cleaned twin's settings take examples out (data.remove / data.relabel, not fields on
        # screen): said here, with a way back to every example.
        cleaned_row = QHBoxLayout()
        self.cleaned_note = QLabel()
        self.cleaned_note.setWordWrap(True)
        self.cleaned_note.setStyleSheet("color: #8a4b00; padding: 2px;")
        self.keep_all = QPushButton(_("Keep every example"))
        self.keep_all.setToolTip(_("Train on the whole training split again: forget the examples these settings "
                                   "take out or relabel"))
        self.keep_all.clicked.connect(self._on_keep_all_clicked)
        cleaned_row.addWidget(self.cleaned_note, 1)
        cleaned_row.addWidget(self.keep_all)
        outer.addLayout(cleaned_row)
        self._preset: str | None = None  # the preset the settings started from
        self._preset_config: Config | None = None
        self._applied: dict = {}  # every setting as the last whole config put them (set_config)

        scroll = self.scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        column = QVBoxLayout(inner)
        for section, cls in SECTIONS.items():
            box = QGroupBox(_(SECTION_TITLES[section]))
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            # A name and its field side by side only where both fit (Larger text: the field goes
            # under its name, instead of the panel scrolling sideways and cutting every message).
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            for f in dataclasses.fields(cls):
                key = f"{section}.{f.name}"
                if f.metadata.get("hidden"):
                    continue  # kept from the config shown, not on screen (a cleaned twin's examples)
                self.fields[key] = f
                widget = make_widget(self, key, f)
                error = FieldMessage(key)
                self.widgets[key], self.errors[key] = widget, error
                holder = QWidget()
                lay = QVBoxLayout(holder)
                lay.setContentsMargins(0, 0, 0, 0)
                lay.setSpacing(1)
                lay.addWidget(widget)
                lay.addWidget(error)
                label = QLabel(field_label(key), wordWrap=True)  # a long name wraps at Larger text, not the panel
                label.setToolTip(shown_help(f))
                form.addRow(label, holder)
            column.addWidget(box)
        column.addStretch(1)
        scroll.setWidget(inner)
        outer.addWidget(scroll, 1)
        self.set_config(Config())

    # ---- the binder -------------------------------------------------------------------
    def _on_number_committed(self, key: str) -> None:
        w = self.widgets[key]
        if w.said:  # shown beside the field until its next edit
            self.errors[key].setText(w.said)
            self.errors[key].show()
            w.said = ""

    def commit_edits(self) -> None:
        """Take what is typed in a number field that still has the focus (such fields
        otherwise commit on Enter or when the focus leaves)."""
        for w in self.widgets.values():
            if isinstance(w, (QSpinBox, QDoubleSpinBox)) and w.hasFocus():
                w.interpretText()

    def eventFilter(self, obj, event) -> bool:
        """The mouse wheel scrolls the panel; it changes a field only once the field has
        been clicked (a wheel turn over a field while scrolling changed depth 2 -> 1)."""
        if event.type() == QEvent.Type.Wheel and not obj.hasFocus():
            QApplication.sendEvent(self.scroll.verticalScrollBar(), event)  # scroll instead
            return True
        return False

    def value(self, key: str):
        w = self.widgets[key]
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):  # a choice's value, whatever word shows it
            return w.currentData() if w.currentIndex() >= 0 else w.currentText()
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        if hasattr(w, "line_edit"):
            return w.line_edit.text()
        return w.text()

    def set_value(self, key: str, value) -> None:
        w = self.widgets[key]
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            index = w.findData(str(value))
            if index >= 0:
                w.setCurrentIndex(index)
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        elif hasattr(w, "line_edit"):
            w.line_edit.setText(str(value))
        else:
            w.setText(str(value))

    def _emit(self, key: str) -> None:
        if self._loading or self.lesson.refuse_edit(self, key):  # a locked setting stays as the lesson has it
            return
        self.clear_error(key)
        if key in ("data.dataset", "model.arch", "model.backbone", "model.transfer", "model.file"):
            self._update_applicable()
        self._show_preset()
        self.setting_changed.emit(key, self.value(key))

    # ---- whole configs ----------------------------------------------------------------
    def set_config(self, cfg: Config, preset: str | None = None) -> bool:
        """Show `cfg`; `preset` names the preset it started from (it may differ from it). False:
        refused, for it changes a setting the open lesson locks (nothing on screen changes)."""
        if not self.lesson.accepts(cfg):
            return False
        self._loading = True
        self._hidden = {key: cfg.get(key) for key in HIDDEN_KEYS}
        try:
            for key in self.widgets:
                self.set_value(key, cfg.get(key))
                self.clear_error(key)
            self._preset, self._preset_config = None, None
            if preset in preset_names():
                self._preset, self._preset_config = preset, load_preset(preset)
        finally:
            self._loading = False
        self._update_applicable()
        self._show_preset()
        self._show_cleaned()
        self._applied = self._values()
        return True

    def _values(self) -> dict:
        return {**self._hidden, **{k: self.value(k) for k in self.widgets}}

    def may_replace(self, action: str) -> bool:
        """Before `action` replaces the settings: True when none was changed since they were
        put there (a preset, a file, a run), or the user chose to discard the changes."""
        changes = changed_settings(self._applied, self._values())
        what = (_("the “{preset}” settings").format(preset=preset_shown(self._preset)) if self._preset
                else _("the settings"))
        return not changes or ask_discard(self, what, action, changes)

    def _show_cleaned(self, error: str = "") -> None:
        removed, relabelled = self._hidden.get("data.remove") or [], self._hidden.get("data.relabel") or []
        parts = ([n_("{count} training example taken out", "{count} training examples taken out",
                     len(removed)).format(count=integer(len(removed)))] if removed else []) + (
            [n_("{count} relabelled", "{count} relabelled", len(relabelled)).format(
                count=integer(len(relabelled)))] if relabelled else [])
        # i18n: {parts} lists what is changed, e.g. "3 training examples taken out, 2 relabelled"
        text = (_("These settings clean the training split: {parts} (positions of the split these "
                  "data settings build).").format(parts=", ".join(parts)) if parts else "")
        self.cleaned_note.setText(f"{text} {error}".strip())
        self.cleaned_note.setVisible(bool(parts or error))
        self.keep_all.setVisible(bool(parts))

    def _on_keep_all_clicked(self) -> None:
        self._hidden = {key: Config().get(key) for key in HIDDEN_KEYS}  # (empty lists, an empty split_of)
        self._show_cleaned()
        self._show_preset()

    def _raw(self) -> dict:
        raw = {s: {} for s in SECTIONS}
        for key, value in self._values().items():
            section, name = key.split(".", 1)
            raw[section][name] = value
        return raw

    def _on_screen(self) -> Config | None:
        try:
            return Config.from_dict(self._raw())
        except ConfigError:
            return None

    def is_modified(self) -> bool:
        return self._preset is not None and self._on_screen() != self._preset_config

    def _show_preset(self) -> None:
        """The picker names the preset, '(modified)' when the settings differ from it."""
        box = self.preset_box
        if self._preset is None:
            box.setItemText(0, _(CUSTOM))
            box.setCurrentIndex(0)
            self.description.setText(_("Your own settings."))
            return
        self.description.setText(_(preset_description(self._preset)))
        if self.is_modified():
            box.setItemText(0, _("{preset} (modified)").format(preset=preset_shown(self._preset)))
            box.setCurrentIndex(0)
        else:
            box.setItemText(0, _(CUSTOM))
            box.setCurrentIndex(box.findData(self._preset))

    def _update_applicable(self) -> None:
        """Settings that do not apply to the others on screen are greyed out, saying why."""
        for key, reason in self._not_applicable().items():
            w = self.widgets[key]
            live_ok = not self._live or self.fields[key].metadata.get("live")
            w.setEnabled(reason is None and bool(live_ok))
            # (the engine's reason, translated there; _() again finds a translation left untranslated)
            why = _(reason) if reason else (None if live_ok else _(LOCKED_TIP))
            help_text = w.property("help")
            w.setToolTip(f"{help_text}\n\n{why}" if why else help_text)
        self.lesson.apply(self)

    def _not_applicable(self) -> dict[str, str | None]:
        """The engine's own rule (engine.core.applicability), for the fields on screen."""
        return {key: why for key, why in not_applicable(self.value).items() if key in self.widgets}

    def show_followed(self, text: str) -> None:
        """A run shown that the app did not train (a script's, an import): the description says
        whose it is, not the preset's; the preset's again once the panel's settings change or train."""
        self.description.setText(text)

    def config(self) -> Config:
        """The settings on screen as a Config that may train; errors are shown beside their field."""
        self._show_preset()  # (a followed script's run no longer described: these settings train)
        try:
            return self.lesson.refuse(Config.from_dict(self._raw()).check_trainable())
        except ConfigError as exc:
            self.show_error(exc)
            raise

    def show_error(self, exc: ConfigError) -> None:
        if exc.key in HIDDEN_KEYS:  # not a field on screen: said with the note about them
            # i18n: {setting} names a setting (its name on the panel, or its key: data.remove); {why} what is wrong
            self._show_cleaned(_("{setting}: {why}").format(setting=exc.key, why=exc.allowed))
            return
        label = self.errors.get(exc.key)
        if label is not None:
            # named: the form may be scrolled
            label.setText(_("{setting}: {why}").format(setting=field_label(exc.key), why=exc.allowed))
            label.show()
            self.widgets[exc.key].setFocus()

    def clear_error(self, key: str) -> None:
        self.errors[key].hide()

    def current_preset(self) -> str | None:
        """The preset shown unchanged, or None (custom or modified settings)."""
        return None if self._preset is None or self.is_modified() else self._preset

    def preset_name(self) -> str | None:
        """The preset the settings started from, modified or not."""
        return self._preset

    def preset_label(self) -> str | None:
        """How a run of these settings is named on the plots: 'dropout', 'dropout*' when modified."""
        if self._preset is None:
            return None
        return f"{self._preset}*" if self.is_modified() else self._preset

    # ---- run state ----------------------------------------------------------------------
    def set_live(self, live: bool) -> None:
        """While live, only fields that can change mid-run stay enabled."""
        self._live = live
        self.preset_box.setEnabled(not live)
        self.preset_box.setToolTip(f"{_(PRESET_TIP)}\n\n{_(PRESET_LOCKED_TIP)}" if live else _(PRESET_TIP))
        for key, w in self.widgets.items():
            can_change = self.fields[key].metadata.get("live", False)
            w.setEnabled(can_change or not live)
            help_text = w.property("help")
            w.setToolTip(help_text if (can_change or not live) else f"{help_text}\n\n{_(LOCKED_TIP)}")
        self._update_applicable()  # live or not: a live setting that does not apply stays off

    @Slot(int)
    def _on_preset_box_activated(self, index: int) -> None:
        if index > 0:
            name = self.preset_box.itemData(index)
            if self.may_replace(_("Switching to the preset “{preset}”").format(preset=preset_shown(name))):
                self.preset_chosen.emit(name)
            else:
                self._show_preset()  # the picker shows what is still on screen
        elif self._preset is not None and not self.is_modified():
            # "(custom)" picked over an unchanged preset: these are the user's settings now.
            self._preset, self._preset_config = None, None
            self._show_preset()

    @Slot()
    def _on_browse_clicked(self, key: str = "data.path") -> None:
        if key == "data.path" and self.value("data.dataset") != "arrays":
            chosen = QFileDialog.getExistingDirectory(self, _("Data folder"))
        elif key == "data.path":
            chosen, _kind = QFileDialog.getOpenFileName(self, _("Arrays file"), "", _("Arrays") + " (*.npz *.safetensors)")
        else:  # model.file / data.file: the file, and its last class or function (the user may edit it)
            # i18n: the name of a file dialog's filter: Python source files
            python = _("Python")
            path, _kind = QFileDialog.getOpenFileName(self, _("Python file"), "", python + " (*.py)")
            chosen = with_entry_point(path) if path else ""
        if chosen:
            self.widgets[key].line_edit.setText(chosen)
            self._emit(key)

