"""The Experiment and Search tabs with something in them, in the pseudo-locale "qps" (every
message accented and bracketed ⟦…⟧): a word outside the brackets is one no translator reaches.

tests/gui/test_pseudo_locale.py walks both tabs empty. Here, at 1280 x 720, a user
cross-validates the panel's settings (Experiments ▸ Cross-validate…: the bands), starts a twin
of a fold from the Runs dock with a changed setting (the runs overlaid: how each ended, the
settings that differ, the takeaway), draws a learning curve of two sizes (Experiments ▸
Learning curve…, its dialog) and runs a two-trial search (Experiments ▸ Hyperparameter
search…, its dialog filled and accepted: the plots and the trials' table); each tab is walked
as it shows them (labels, tooltips, legends, plot titles and axis labels, headers, cells)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QInputDialog

from gui.window.run_state import IDLE
from tests.gui import visible_texts as vt
from tests.gui.conftest import RUN_TIMEOUT
from tests.gui.test_pseudo_locale import pseudo_window, unmarked_words  # noqa: F401  (a fixture, by name)
from tests.gui.test_runs_browser import select
from tests.helpers import tiny_config

TOY = {"data.dataset": "moons", "data.train_size": 64, "data.val_size": 32, "data.test_size": 32,
       "optim.epochs": 3, "optim.batch_size": 16, "model.width": 16}


def _idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)


def _texts(qtbot, window, tab) -> list[vt.Shown]:
    """What the tab shows once it is on screen, and what the status line says of what ended."""
    window.tabs.setCurrentWidget(tab)
    qtbot.wait(50)
    QApplication.processEvents()
    texts = vt.window_texts(tab) + [vt.Shown("status bar", "status line", window.status_label.text())]
    for plot in vt.plot_views(tab):  # the parameters' names along the search's axes, say
        if isinstance(plot, pg.PlotWidget):
            texts += vt.tick_texts(plot)
    return texts


def _answer(qtbot, window, menu_entry: str, fill) -> None:
    """Trigger the Experiments menu's entry; `fill` its dialog as it opens, then press OK."""
    tries = [0]

    def answer():
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog is window:
            tries[0] += 1
            if tries[0] < 500:  # (a window that refuses opens no dialog: the test's wait fails)
                QTimer.singleShot(20, answer)
            return
        fill(dialog)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(20, answer)
    window.menu_actions[menu_entry].trigger()


def _search(dialog) -> None:
    """Two trials of the learning rate and dropout, the study named by the test."""
    dialog.name.setEditText("qps-search")
    dialog.trials.setValue(2)
    for key, box in dialog.params.items():
        box.setChecked(key in ("optim.lr", "regularization.dropout"))


def _curve(dialog) -> None:
    """Two training-set sizes, one seed each."""
    dialog.key.setCurrentIndex(dialog.key.findData("data.train_size"))
    dialog.values.setText("32, 64")
    dialog.seeds.setValue(1)


def test_the_experiment_and_search_tabs_with_their_figures_show_only_translated_words(qtbot, request, monkeypatch):
    window = request.getfixturevalue("pseudo_window")
    window.settings_panel.set_config(tiny_config(TOY))
    texts: list[vt.Shown] = []

    # (a) Cross-validation, two folds: the mean's band, each fold's best epoch, the folds' table.
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (2, True))
    window.menu_actions["Cross-validate the panel's settings…"].trigger()
    _idle(qtbot, window)
    view = window.experiment_view
    view.tick()
    qtbot.waitUntil(lambda: view.mode == "cv" and view.table.rowCount() >= 3, timeout=RUN_TIMEOUT)
    view.per_fold.setChecked(True)
    texts += _texts(qtbot, window, view)

    # A twin of the first fold with dropout, from the Runs dock: the runs overlaid.
    fold = sorted(r.path for r in view.runs)[0]
    window.settings_panel.set_config(tiny_config({**TOY, "regularization.dropout": 0.3}))
    browser = window.runs_dock.browser
    browser.actions_by_name["refresh"].trigger()
    select(browser, fold)
    browser.actions_by_name["twin"].trigger()
    _idle(qtbot, window)
    qtbot.waitUntil(lambda: view.mode == "overlay" and len(view.runs) == 2
                    and all(r.tail.finished for r in (view.tick() or view.runs)), timeout=RUN_TIMEOUT)
    view.tick()
    assert view.diff.rowCount() >= 1 and view.table.rowCount() == 2
    texts += _texts(qtbot, window, view)

    # A learning curve over two training-set sizes (Experiments ▸ Learning curve…, its dialog).
    _answer(qtbot, window, "Learning curve…", _curve)
    qtbot.waitUntil(lambda: window.state != IDLE, timeout=RUN_TIMEOUT)
    _idle(qtbot, window)
    view.tick()
    qtbot.waitUntil(lambda: view.mode == "curve" and view.cell(1, 0) == "64", timeout=RUN_TIMEOUT)
    texts += _texts(qtbot, window, view)

    # (b) A search of two trials, its journal in the runs folder (tmp).
    _answer(qtbot, window, "Hyperparameter search of the panel's settings…", _search)
    qtbot.waitUntil(lambda: window.state != IDLE, timeout=RUN_TIMEOUT)
    _idle(qtbot, window)
    search = window.search_view
    qtbot.waitUntil(lambda: (search.refresh() or True) and search.table.rowCount() == 2
                    and len(search.plots["curves"].getPlotItem().listDataItems()) == 2, timeout=RUN_TIMEOUT)
    assert (window.runs_dir / "qps-search" / "study.journal").is_file()
    texts += _texts(qtbot, window, search)

    # The study's and the runs' names are the user's (typed, or made from a name they typed).
    names = {"qps-search"} | {p.name for p in window.runs_dir.iterdir()}
    # The search's table and axes name each searched setting by its key's last part (lr for
    # optim.lr): a key, as the settings files and the command line write it.
    keys = {"lr", "dropout"}
    texts = [t for t in texts if not (t.text in keys and (t.kind == "header" or t.kind.startswith("tick")))]
    unmarked = sorted({f"{shown} -> {words}" for shown in texts if shown.kind not in vt.USER_KINDS
                       and (words := unmarked_words(shown.text, shown.kind, names))})
    assert not unmarked, f"{len(unmarked)} texts with words no catalog translates:\n" + "\n".join(unmarked)
