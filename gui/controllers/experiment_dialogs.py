"""The Experiments menu's dialogs: a learning curve's setting and values, a search's space,
budget and storage; and how a run is cleaned of its suspects."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
)

from engine.core.config import ConfigError, parse_literal
from engine.core.i18n import C_, N_, _, integer
from engine.experiments.plans import curve_plan

CURVE_CHOICES = {  # setting: (label, default values)
    "data.train_size": (N_("Training-set size (data)"), "100, 300, 1000, 3000, 10000"),
    "model.width": (N_("Width (capacity)"), "16, 64, 256, 1024"),
    "model.depth": (N_("Depth (capacity)"), "1, 2, 4, 8"),
    "data.label_noise": (N_("Label noise"), "0, 0.1, 0.3, 0.5"),
}


def _search_choice(value: str) -> str:
    """A search's objective, sampler or pruner as its combo box shows it (the item's data is the value)."""
    # i18n: tpe: Optuna's tree-structured Parzen estimator sampler
    words = {"tpe": C_("setting choice", "tpe"), "random": C_("setting choice", "random"),
             "grid": C_("setting choice", "grid"),
             "median": C_("setting choice", "median"), "halving": C_("setting choice", "halving"),
             "none": C_("setting choice", "none")}
    return words.get(value) or C_("setting choice", value)  # (val_loss…: as the settings' choices say it)


class CurveDialog(QDialog):
    """Which setting a learning curve varies, its values and how many seeds each."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(_("Learning curve"))
        form = QFormLayout(self)
        self.key = QComboBox()
        for key, (label, _values) in CURVE_CHOICES.items():
            self.key.addItem(_(label), key)
        self.key.setToolTip(_("The setting to vary; every other setting stays as in the panel"))
        self.values = QLineEdit(CURVE_CHOICES["data.train_size"][1])
        self.values.setMinimumWidth(260)
        self.values.setToolTip(_("Values separated by commas; nested subsets: each smaller training set "
                                 "is part of every larger one"))
        self.key.currentIndexChanged.connect(lambda _i: self.values.setText(
            CURVE_CHOICES.get(self.key.currentData(), (None, self.values.text()))[1]))
        self.seeds = QSpinBox()
        self.seeds.setRange(1, 10)
        self.seeds.setValue(3)
        self.seeds.setToolTip(_("Runs per value, with seeds base, base+1, …: the bands show their spread"))
        form.addRow(_("Vary"), self.key)
        form.addRow(_("Values"), self.values)
        form.addRow(_("Seeds per value"), self.seeds)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def offer(self, sweep: dict) -> None:
        """A preset's own sweep (its [curve] table): chosen, its values and seeds filled in."""
        key = sweep["over"]
        if self.key.findData(key) < 0:
            self.key.addItem(key, key)
        self.key.setCurrentIndex(self.key.findData(key))
        self.values.setText(", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in sweep["values"]))
        self.seeds.setValue(sweep["seeds"])
        self.setToolTip(_("The preset's own sweep is filled in (its [curve] table); change it at will."))

    def plan(self, base_seed: int) -> tuple[str, list, list[dict]]:
        key = self.key.currentData()
        values = [parse_literal(v.strip()) for v in self.values.text().split(",") if v.strip()]
        seeds = [base_seed + i for i in range(self.seeds.value())]
        return key, values, curve_plan(key, values, seeds)


class SearchDialog(QDialog):
    """A hyperparameter search of the panel's settings: which settings, the budget, how."""

    def __init__(self, parent=None, name: str = "search", studies: list[str] | None = None):
        from PySide6.QtWidgets import QCheckBox

        from engine.search.space import (
            OBJECTIVES,
            PRUNERS,
            SAMPLERS,
            choice_settings,
            default_space,
        )

        super().__init__(parent)
        self.setWindowTitle(_("Hyperparameter search"))
        form = QFormLayout(self)
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.addItem(name)
        for study in studies or []:  # studies of this runs folder: pick one to go on with it
            if study != name:
                self.name.addItem(study)
        self.name.setToolTip(_("The study's name: a study of this name goes on where it stopped (its finished "
                               "trials are kept), also after the window was closed mid-study"))
        self.trials = QSpinBox()
        self.trials.setRange(1, 1000)
        self.trials.setValue(20)
        self.objective, self.sampler, self.pruner = QComboBox(), QComboBox(), QComboBox()
        for box, items in ((self.objective, OBJECTIVES), (self.sampler, SAMPLERS), (self.pruner, PRUNERS)):
            for item in items:  # the value itself as the item's data: what the [search] table holds
                box.addItem(_search_choice(item), item)
        self.objective.setToolTip(_("Best validation accuracy (of any epoch) or lowest validation loss; the test "
                                    "split is never read by the search"))
        self.pruner.setToolTip(_("median: stop a trial whose validation metric is worse than the median of earlier "
                                 "trials at the same epoch; halving: successive halving"))
        self.storage = QLineEdit()
        self.storage.setPlaceholderText(_("none: a journal file in the study's folder"))
        self.storage.setToolTip(_("postgresql+psycopg://user:password@host/db to share the study with "
                                  "`main.py search-worker` on other machines"))
        form.addRow(_("Study"), self.name)
        self.params = {}
        self.ranges = {}
        self.space, self.choices = default_space(), choice_settings()  # as the settings declare them
        for key, (low, high, log) in self.space.items():
            box = QCheckBox(_("{key} (log scale)").format(key=key) if log else key)
            box.setChecked(True)
            self.params[key] = box
            rng = self.ranges[key] = QLineEdit(f"{low!r}, {high!r}")  # repr: the very numbers declared
            rng.setToolTip(_("low, high: inside the setting's allowed range"))
            form.addRow(box, rng)
        for key, choices in self.choices.items():  # categorical settings: which of their values to try
            box = QCheckBox(key)
            self.params[key] = box
            rng = self.ranges[key] = QLineEdit(", ".join(map(str, choices)))
            rng.setToolTip(_("the values to try, separated by commas"))
            form.addRow(box, rng)
        self.form, self.kwargs_row = form, form.rowCount()  # model.kwargs.NAME rows go here (fit_to)
        self.kwargs_log: dict[str, bool] = {}  # the model.kwargs rows that are ranges: log scale or not
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 10000)
        self.minutes.setSpecialValueText(_("no limit"))
        self.minutes.setToolTip(_("Start no new trial after this many minutes (0: no limit)"))
        self.trials.setToolTip(_("Trials of the study in all: going on with a study, its earlier trials count"))
        form.addRow(_("Trials (in all)"), self.trials)
        form.addRow(_("Minutes"), self.minutes)
        form.addRow(_("Objective"), self.objective)
        form.addRow(_("Sampler"), self.sampler)
        form.addRow(_("Pruner"), self.pruner)
        form.addRow(_("Storage"), self.storage)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        save = buttons.addButton(_("Save as settings file…"), QDialogButtonBox.ButtonRole.ActionRole)
        save.setToolTip(_("The panel's settings with this search as their [search] table (what `main.py search "
                          "--config FILE` and search workers on other machines read)"))
        save.clicked.connect(self._on_save_clicked)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.config = None  # the panel's settings, for Save

    def fit_to(self, config) -> None:
        """Check the settings the command line's default space searches for `config` (a
        backbone has no width); what else was checked or typed is kept."""
        from engine.search.space import default_params

        defaults = default_params(config)
        for key in self.space:  # the enabled state remembers whether the box was left out for a backbone
            box, applies = self.params[key], key in defaults
            if applies != box.isEnabled():
                box.setChecked(applies)
            box.setEnabled(applies)
            box.setToolTip("" if applies else _("Not searched: the backbone and its linear head replace it"))
        self._offer_kwargs(config)
        self.config = config

    def _offer_kwargs(self, config) -> None:
        """A row for each keyword argument of the [model.kwargs] table while model.file is set,
        unchecked (a range around its value: numbers above 0 on a log scale; else its value as
        the one choice). A row whose argument stays keeps what was typed in it."""
        from PySide6.QtWidgets import QCheckBox

        from engine.search.space import KWARGS

        wanted = {f"{KWARGS}{k}": v for k, v in config.model.kwargs.items()} if config.model.file else {}
        for key in [k for k in self.params if k.startswith(KWARGS) and k not in wanted]:
            self.form.removeRow(self.ranges.pop(key))  # (the row's check box goes with it)
            del self.params[key]
            self.kwargs_log.pop(key, None)
        for key, value in wanted.items():
            if key in self.params:
                continue
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if number and value > 0:
                self.kwargs_log[key] = True
                low, high = (max(1, value // 4), value * 4) if isinstance(value, int) else (value / 4, value * 4)
                text, tip = f"{low!r}, {high!r}", _("low, high (whole numbers where both ends are)")
            else:
                text = "true, false" if isinstance(value, bool) else str(value).lower() if number else str(value)
                tip = _("the values to try, separated by commas")
            box = self.params[key] = QCheckBox(_("{key} (log scale)").format(key=key) if number and value > 0 else key)
            box.setToolTip(_("A keyword argument of {file} (its [model.kwargs] table: {value} now)").format(
                file=config.model.file, value=repr(value)))
            rng = self.ranges[key] = QLineEdit(text)
            rng.setToolTip(tip)
            self.form.insertRow(self.kwargs_row, box, rng)

    def search_table(self) -> dict:
        """The [search] table of these choices (checked by engine.search.space.search_settings)."""
        params = {}
        for key, box in self.params.items():
            if not box.isChecked():
                continue
            parts = [parse_literal(v.strip()) for v in self.ranges[key].text().split(",") if v.strip()]
            if key in self.choices or (key not in self.space and key not in self.kwargs_log):
                params[key] = parts
                continue
            if len(parts) != 2:
                raise ConfigError(f"search.{key}", self.ranges[key].text(), _("low, high"))
            log = self.kwargs_log[key] if key in self.kwargs_log else self.space[key][2]
            params[key] = {"low": parts[0], "high": parts[1], "log": log}
        if not params:
            raise ConfigError("search.params", [], _("at least one setting to search"))
        raw = {"params": params, "trials": self.trials.value(), "objective": self.objective.currentData(),
               "sampler": self.sampler.currentData(), "pruner": self.pruner.currentData()}
        if self.minutes.value():
            raw["timeout_min"] = self.minutes.value()
        return raw

    def save(self, path) -> None:
        import tomli_w

        from engine.core.files import atomic_write_text

        table = self.search_table()
        self.settings()  # refused here, not when a worker reads the file
        atomic_write_text(path, self.config.dumps() + "\n" + tomli_w.dumps({"search": table}))

    def _on_save_clicked(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        path, _filter = QFileDialog.getSaveFileName(self, _("Save the settings and this search"), "search.toml",
                                                    _("Settings") + " (*.toml)")
        if path:
            try:
                self.save(path)
            except ConfigError as exc:
                QMessageBox.warning(self, _("Hyperparameter search"), str(exc))

    def settings(self):
        from engine.search.space import search_settings

        return search_settings(self.search_table(), self.config)


class CleanDialog(QDialog):
    """Train without the suspects…: how many, and removed or relabelled."""

    def __init__(self, parent, size: int, suggested: int, truth: int | None, score: str, run: str | None = None,
                 epochs: int = 0, edits: list | None = None, scoring_epochs: int = 0, auroc: float | None = None):
        """suggested: the count estimated from the run's dynamics; truth: how many labels the
        run corrupted on purpose (None where it did not) — shown beside the estimate, never
        used for it; edits: the run's live edits, made again in the twin; auroc: the
        ranking's against the labels corrupted on purpose, where known. A doubtful estimate or
        a weak ranking is said in red above the buttons (`warning`)."""
        from engine.experiments.cleaning import edits_text, estimate_doubt
        from engine.runs.scores import ranking_doubt

        super().__init__(parent)
        self.setWindowTitle(_("Train without the suspects"))
        form = QFormLayout(self)
        scored = _("over epochs 1–{epochs}").format(epochs=integer(epochs)) if epochs > 1 else _("over its first epoch")
        upto = integer(scoring_epochs or epochs)
        edits = list(edits or [])
        replayed = ""
        if edits:
            replayed = (" " + _("Its live edits are made again at the same point of the same epoch:") + "<br>"
                        + "<br>".join(edits_text(edits)))
        # i18n: {score} is the ranking score's name; {scored} is "over epochs 1–12" or "over its first epoch"
        about = QLabel(_("A twin of <b>{run}</b> — the same settings and seed — trained without the training "
                         "examples its own dynamics rank most suspect (by {score}, {scored}), or with them "
                         "relabelled to the class that beat their label most often over epochs 1–{upto}, before the "
                         "network memorized it. It is overlaid with the run in the Experiment tab.").format(
            run=run if run is not None else _("the run"), score=score, scored=scored, upto=upto) + replayed)
        about.setWordWrap(True)
        about.setMinimumWidth(420)
        about.setObjectName("clean_about")
        form.addRow(about)
        self.top = QSpinBox()
        self.top.setRange(1, max(1, size - 1))
        self.top.setValue(min(max(1, suggested), max(1, size - 1)))
        self.top.setSingleStep(10)
        estimate = _("Suggested: {count}, estimated from the run's dynamics — the examples never predicted as "
                     "their given label over epochs 1–{upto}, while the network learned the patterns").format(
            count=integer(suggested), upto=upto)
        # A parenthesis after the estimate: the labels the run corrupted on purpose, where it did.
        truth_said = "" if truth is None else " " + _("(truth: {count} corrupted on purpose)").format(count=integer(truth))
        self.top.setToolTip(_("The most suspect examples by {score} to take out (1 … {most} of {size}). "
                              "{estimate}. Set your own where you know better.").format(
            score=score, most=integer(size - 1), size=integer(size), estimate=estimate + truth_said))
        self.estimate = QLabel(_("estimated {count}").format(count=integer(suggested)) + truth_said)
        self.how = QComboBox()
        self.how.addItem(_("remove them"), False)
        self.how.addItem(_("relabel them to the class that beat their label"), True)
        self.how.setToolTip(_("Remove: the twin never sees them. Relabel: it trains on them with the class that beat "
                              "their label most often over epochs 1–{upto}, before the network memorized it; one "
                              "whose label led every time keeps it (only real changes are counted).").format(upto=upto))
        form.addRow(_("Most suspect"), self.top)
        form.addRow("", self.estimate)
        form.addRow("", self.how)
        doubts = [d for d in (estimate_doubt(size, suggested), ranking_doubt(score, auroc)) if d]
        self.warning = QLabel("<br>".join(_("⚠ {doubt}.").format(doubt=d) for d in doubts))
        self.warning.setObjectName("clean_warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b00020;")
        self.warning.setVisible(bool(doubts))
        form.addRow(self.warning)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Train the twin"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[int, bool]:
        return self.top.value(), bool(self.how.currentData())
