"""Every text of the window goes through the catalog: in the pseudo-locale "qps" (every
message accented, 40 % longer and bracketed ⟦Ŝţåŗţ··⟧, made from what the code marks now) a
word outside the brackets is one no translator can reach, a label too narrow for the longer
text is cut in every real language too, and a pattern whose fields do not fit raises.

The window is used as a user uses it: a run trained to its end, evaluated on validation and
on the test set by the toolbar, then every tab, menu, toolbar button and the dialogs they open
walked (tests/gui/visible_texts.py reads what is shown)."""

from __future__ import annotations

import logging
import re

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMenu, QToolBar, QWidget

from engine.core import i18n
from tests.gui import visible_texts as vt
from tests.gui.conftest import RUN_TIMEOUT

catalogs = vt.catalogs()

# Words that are the same in every language: the product, data sets, libraries, methods.
PROPER_NAMES = ["Overfit Lab", "Fashion-MNIST", "MNIST-1D", "TensorBoard", "Optuna", "PyTorch", "CUDA", "CPU",
                "GPU", "SGD", "AdamW", "Adam", "MLP", "CNN", "ResNet", "PostgreSQL", "AUROC", "L1", "L2"]
UNITS = r"(?:%|pts|ms|s|px|MB|×)"
NUMBER = r"[-−+]?(?:\d[\d,.\u00a0\u202f]*)(?:[eE][-−+]?\d+)?(?:\s*" + UNITS + r"(?![^\W\d_]))?"
ALLOWED = [
    re.compile("|".join(re.escape(name) for name in PROPER_NAMES)),
    re.compile(r"[^\s⟦⟧]*[/\\][^\s⟦⟧]*"),  # a path (a run folder, a log file, a settings file)
    re.compile(r"[\w.-]+\.(?:png|svg|csv|json|jsonl|toml|txt|log|ini|py|safetensors|journal|db|pot?|mo)\b"),
    re.compile(r"\b[\w.-]*[_-][0-9a-f]{8}\b"),  # a run folder's name: data set, model, the settings' hash
    re.compile(r"\b[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+\b"),  # a setting's key: optim.lr
    re.compile(r"‖∇?W‖"),
    # A key as Qt names it in a tooltip ("Stop now (Esc)"): Qt's catalog translates its names.
    re.compile(r"\b(?:(?:Ctrl|Shift|Alt|Meta)\+)*(?:Space|Esc|Return|Enter|Del|Tab|Backspace|F\d{1,2}|[A-Z0-9])\b(?=\))"),
    re.compile(NUMBER),
]
# A file dialog's filter: the formats' names and the patterns are the same in every language;
# "All Files (*)" with no filter of ours is Qt's own (its catalog translates it).
FILTER = re.compile(r"\((?:\*(?:\.\w+)?\s*)+\)|\b(?:CSV|JSON|SVG|PNG|TOML)\b")
QT_DEFAULT_FILTER = "All Files (*)"
# The pseudo-locale's brackets, innermost first; one a text was cut in (a tooltip's first
# clause as an accessible name) runs to the end of that text.
BRACKETED = re.compile(r"⟦[^⟦⟧]*(?:⟧|$)")
WORD = re.compile(r"[^\W\d_]+")
# Every letter of the pseudo-locale is accented: an unaccented word inside the brackets came
# from a field filled with text no catalog translated (a lesson's title, a class's name).
ENGLISH_WORD = re.compile(r"[A-Za-z]+")


# Menu entries not triggered, and why.
SKIPPED = {
    "Quit": "closes the window the test walks",
    "Transfer comparison (scratch, random frozen, frozen, fine-tune)": "starts four runs at once, no question asked",
}
# The Runs dock's buttons not clicked (its other buttons are, with the run selected).
SKIPPED_RUNS_DOCK = {"twin": "starts a run at once, a twin of the selected one"}
# Toolbar actions not triggered (Pause and Stop are disabled with no run live: a trigger is nothing).
SKIPPED_TOOLBAR = {
    "start": "starts a run: the one the test trains was started by a click already",
    "reset": "clears the plots the walk reads: triggered last, after every other walk",
}


def unmarked_words(text: str, kind: str = "", names: set[str] = frozenset()) -> list[str]:
    """The words of `text` outside the pseudo-locale's brackets (innermost first), and the
    unaccented words inside them, that are not a number, a unit, a path or file name, a
    setting's key, a proper name or one of `names`."""
    if kind == "file filter":
        if text == QT_DEFAULT_FILTER:
            return []
        text = FILTER.sub(" ", text)
    if names:
        text = re.sub("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in sorted(names, key=len, reverse=True)),
                      " ", text)
    for allowed in ALLOWED:
        text = allowed.sub(" ", text)
    found = ENGLISH_WORD.findall(text)
    before = None
    while before != text:
        before, text = text, BRACKETED.sub(" ", text)
    return found + [w for w in WORD.findall(text) if not ENGLISH_WORD.fullmatch(w)]


def test_unmarked_words_are_found_outside_the_brackets_and_unaccented_inside():
    assert unmarked_words("⟦Ŝţåŗţ··⟧") == []
    assert unmarked_words("⟦Ţŗåîñéð {x}··⟧".replace("{x}", "⟦ṽåļîðåţîöñ⟧ 0.5 %")) == []
    assert unmarked_words("⟦Ŝţåŗţ··⟧ now") == ["now"]
    assert unmarked_words("⟦ļéššöñ “Is it”⟧") == ["Is", "it"]
    assert unmarked_words("⟦Ĥöŵ éåçĥ") == []  # a translation cut short
    assert unmarked_words("Fashion-MNIST, optim.lr = 1e-3, 12 ms, runs/a word best.safetensors") == ["word"]
    assert unmarked_words("fashion_mnist-mlp-00790598") == []
    assert unmarked_words("Loss") == ["Loss"]
    assert unmarked_words("Ţŗåîñ") == ["Ţŗåîñ"]
    assert unmarked_words("CSV (*.csv)", "file filter") == []
    assert unmarked_words("CSV files (*.csv)", "file filter") == ["files"]
    assert unmarked_words("⟦Šţöþ··⟧ (Esc)") == [] and unmarked_words("⟦Šţåŗţ··⟧ (Ctrl+Return)") == []
    assert unmarked_words("⟦šþéåķ Português (Brasil)⟧", names={"Português (Brasil)"}) == []


def test_a_label_or_button_narrower_than_its_text_is_found_clipped_and_a_wrapping_one_is_not(qtbot):
    from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout

    box = QWidget()
    qtbot.addWidget(box)
    layout = QVBoxLayout(box)
    cut, wraps = QLabel("a label far longer than the box it sits in"), QLabel("a label far longer than its box")
    wraps.setWordWrap(True)
    button = QPushButton("a button far longer than its box")
    for w in (cut, wraps, button):
        layout.addWidget(w)
    box.setFixedWidth(80)
    box.show()
    qtbot.waitExposed(box)
    found = {s.text for s in vt.clipped(box)}
    assert found == {cut.text(), button.text()}, found


@pytest.fixture
def pseudo_window(request, qapp, tmp_path, monkeypatch):
    """A window built in the pseudo-locale made from what the code marks now (not the .pot on
    disk, which may be older than the code)."""
    monkeypatch.setattr(catalogs, "TEMPLATE", tmp_path / "no.pot")  # pseudo() extracts the code's messages
    catalogs.pseudo(tmp_path / "locale")
    monkeypatch.setenv(i18n.EXTRA_LOCALES_ENV, str(tmp_path / "locale"))
    from gui.window import language

    assert language.install(qapp, catalogs.PSEUDO) == catalogs.PSEUDO
    window = request.getfixturevalue("window")  # built as the `window` fixture does, after the language
    window.resize(1280, 720)
    return window


class Walk:
    """Collects what is shown: the window as it is, the dialogs a trigger opens (each walked
    and closed with Escape, as a user dismisses it), windows that open beside it."""

    def __init__(self, qtbot, window):
        self.qtbot, self.window = qtbot, window
        self.texts: list[vt.Shown] = []
        self.clipped: list[vt.Shown] = []
        self.dialogs: list[QWidget] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self.close_dialog)
        self.timer.start()

    def look(self, clip: bool = True) -> None:
        QApplication.processEvents()
        self.texts += vt.window_texts(self.window) + [vt.Shown("status bar", "status line", self.window.status_label.text())]
        if clip:
            self.clipped += vt.clipped(self.window)

    def close_dialog(self) -> None:
        box = QApplication.activeModalWidget()
        if box is None or box is self.window:
            return
        if not any(box is seen for seen in self.dialogs):
            self.dialogs.append(box)
            self.texts += vt.window_texts(box)
            if not isinstance(box, QFileDialog):
                self.clipped += vt.clipped(box)
        QTest.keyClick(box, Qt.Key.Key_Escape)
        if box.isVisible():
            box.reject()

    def trigger(self, action, name: str) -> None:
        before = {w for w in QApplication.topLevelWidgets() if w.isVisible()}
        action.trigger()
        self.qtbot.wait(60)
        self.qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=10_000)
        for w in QApplication.topLevelWidgets():  # a window opened beside the main one
            if w.isVisible() and w not in before and not isinstance(w, QMenu) and w is not self.window:
                self.texts += vt.window_texts(w)
                w.close()
        self.texts.append(vt.Shown(f"status bar after {name!r}", "status line", self.window.status_label.text()))
        for dock in self.window.findChildren(QDockWidget):  # what it changed there: a lesson's panel, its locks
            if dock.isVisible():
                self.texts += vt.window_texts(dock)
                if self.window.plots.text_scale == 1.0:  # (Larger text at 1280 x 720: tests/gui/test_larger_text.py)
                    self.clipped += vt.clipped(dock)

    def stop(self) -> None:
        self.timer.stop()


def click(qtbot, window, action) -> None:
    bar = window.findChild(QToolBar, "run_toolbar")
    qtbot.mouseClick(bar.widgetForAction(action), Qt.MouseButton.LeftButton)


def test_every_text_the_window_shows_in_the_pseudo_locale_is_translated_and_fits(qtbot, pseudo_window, caplog):
    caplog.set_level(logging.WARNING, logger="engine.core.i18n")
    window = pseudo_window
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        click(qtbot, window, window.actions["start"])
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT):
        click(qtbot, window, window.actions["validate"])
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT):
        click(qtbot, window, window.actions["test"])
    layers = {".".join(n.split(".")[:i]) for n in window.started_event.layer_names for i in range(1, n.count(".") + 2)}
    walk = Walk(qtbot, window)
    try:
        walk.look()
        for _view in vt.each_view(qtbot, window):
            walk.look()
        walk.texts += vt.menu_texts(window)
        for name, action in window.actions.items():
            if name not in SKIPPED_TOOLBAR and action.isEnabled():
                walk.trigger(action, name)
        tree = window.runs_dock.browser.tree
        tree.setCurrentIndex(tree.model().index(0, 0))  # the run just trained
        for name, action in window.runs_dock.browser.actions_by_name.items():
            if name not in SKIPPED_RUNS_DOCK and action.isEnabled():
                walk.trigger(action, name)
        for text, action in window.menu_actions.items():
            if text in SKIPPED or action.menu() is not None or not action.isEnabled():
                continue
            walk.trigger(action, text)
            if action.isCheckable() and text in ("Presentation", "Layer plots (weight and gradient norms)"):
                walk.look(clip=False)  # (the window as the toggle shows it)
                walk.trigger(action, text)  # and back
        walk.look(clip=False)  # after the lessons, the text sizes, the schemes
        walk.trigger(window.actions["reset"], "reset")
        walk.look(clip=False)
    finally:
        walk.stop()

    # Names that are no words: the languages in their own names (View ▸ Language and what it
    # says), the network's layers as its code names them (the layer plots' legends).
    languages = {name for name in i18n.available().values()} | set(i18n.LANGUAGES.values())
    unmarked = sorted({f"{shown} -> {words}" for shown in walk.texts if shown.kind not in vt.USER_KINDS
                       and (words := unmarked_words(shown.text, shown.kind, languages | layers))})
    clipped = sorted({str(shown) for shown in walk.clipped})
    ignored = [r.getMessage() for r in caplog.get_records("setup") + caplog.records  # (the catalog loads in setup)
               if r.name == "engine.core.i18n" and "is not used" in r.getMessage()]
    assert len(walk.dialogs) >= 10, [d.windowTitle() for d in walk.dialogs]  # the walk reached the dialogs
    assert not unmarked and not clipped and not ignored, (
        f"{len(unmarked)} texts with words no catalog translates:\n" + "\n".join(unmarked)
        + f"\n\n{len(clipped)} labels or buttons too narrow for their text:\n" + "\n".join(clipped)
        + "\n\ntranslations not used:\n" + "\n".join(ignored))
