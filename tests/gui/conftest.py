from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QLocale, QSettings, QThread
from PySide6.QtGui import QPalette


@pytest.fixture(autouse=True)
def isolated_settings(qapp, tmp_path):
    """QSettings go to a temp folder: tests never read or write the user's settings."""
    qapp.setOrganizationName("OverfitLabTests")
    qapp.setApplicationName("Overfit Lab Tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    font = qapp.font()  # View ▸ Larger text changes the application's font: the next test starts as usual
    palette = QPalette(qapp.palette())  # View ▸ Dark changes the application's palette: likewise
    locale = QLocale()  # a test in another language leaves the next one in English
    yield
    qapp.setFont(font)
    qapp.setPalette(palette)
    from engine.core import i18n
    from gui.window import language

    if i18n.language() != i18n.ENGLISH or QLocale().name() != locale.name():
        language.install(qapp, i18n.ENGLISH)
        QLocale.setDefault(locale)
        i18n.set_number_formatter(None)
    if hasattr(qapp.styleHints(), "unsetColorScheme"):
        qapp.styleHints().unsetColorScheme()


@pytest.fixture(autouse=True)
def no_dangling_threads(qtbot):
    """Fail any test that leaves a QThread running."""
    yield

    def running():
        found = []
        for t in gc.get_objects():
            try:
                if isinstance(t, QThread) and t.isRunning() and t is not QThread.currentThread():
                    found.append(t)
            except RuntimeError:  # a wrapper whose C++ thread object is already gone
                continue
        return found

    try:
        qtbot.waitUntil(lambda: not running(), timeout=10000)
    except AssertionError:
        names = [t.objectName() for t in running()]
        for t in running():
            t.quit()
            t.wait(5000)
        pytest.fail(f"test left QThreads running: {names}")


RUN_TIMEOUT = 120_000


def wait_for_step(qtbot, window, steps=1):
    """Until the window has shown `steps` step-metrics events of the current run."""
    qtbot.waitUntil(lambda: window.plots.step_loss.n >= steps, timeout=RUN_TIMEOUT)


@pytest.fixture
def long_run(qtbot, window):
    """The window training a 500-epoch run, its first steps already on screen."""
    window.settings_panel.set_config(tiny_config_for_long_run())
    assert window.start_run()
    wait_for_step(qtbot, window)
    yield window


def tiny_config_for_long_run():
    from tests.helpers import tiny_config

    return tiny_config({"optim.epochs": 500})


@pytest.fixture
def window(qtbot, tmp_path):
    from gui.window.main_window import MainWindow
    from gui.window.run_state import IDLE
    from tests.helpers import tiny_config

    w = MainWindow(tiny_config(), runs_dir=tmp_path / "runs", restore=False)

    def end_a_live_run(window):
        """pytest-qt closes the window before this fixture's teardown: a run a failed test left
        live (or paused) is stopped first, or closing would wait on a real "Quit?" box forever."""
        if window.handle is not None and window.state != IDLE:
            window.handle.shutdown()
            qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)

    qtbot.addWidget(w, before_close_func=end_a_live_run)
    w.show()
    from engine.training import trainer  # noqa: F401  (the app imports it in the background)

    w.set_engine_ready()
    yield w
    if w.any_thread_running():
        from gui import dialogs

        ask, dialogs.confirm = dialogs.confirm, lambda *a: True  # a run left live: quit without a question
        try:
            w.close()
        finally:
            dialogs.confirm = ask
        qtbot.waitUntil(lambda: not w.any_thread_running(), timeout=10000)


def trained_with_larger_text(qtbot, window, presses: int = 2):
    """A 1280 x 720 window after one run, View ▸ Larger text pressed `presses` times (a projector)."""
    window.resize(1280, 720)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    for _ in range(presses):
        window.menu_actions["Larger text"].trigger()
