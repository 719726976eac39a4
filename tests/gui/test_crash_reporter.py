"""Unhandled exceptions go to the log and to a dialog, from any thread."""

import logging
import sys
import threading
from pathlib import Path

from gui.app.crash import CrashReporter
from gui.window.main_window import MainWindow
from tests.helpers import tiny_config


def make_reporter(qtbot, monkeypatch):
    w = MainWindow(tiny_config(), restore=False)
    qtbot.addWidget(w)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # both restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    reporter = CrashReporter(w, Path("/var/log/overfit-lab.log"))
    reporter.install()
    return reporter


def test_exception_in_a_thread_is_logged_and_shown(qtbot, monkeypatch, caplog):
    reporter = make_reporter(qtbot, monkeypatch)

    def boom():
        raise ValueError("bad value in a helper thread")

    with caplog.at_level(logging.ERROR, logger="overfit_lab"):
        t = threading.Thread(target=boom, name="helper")
        t.start()
        t.join()
        qtbot.waitUntil(lambda: len(reporter.dialogs) == 1, timeout=5000)
    box = reporter.dialogs[0]
    assert "ValueError: bad value in a helper thread in thread helper" in box.text()
    assert "/var/log/overfit-lab.log" in box.text()
    assert "Traceback" in box.detailedText() and "boom" in box.detailedText()
    assert any("unhandled exception in thread helper" in r.getMessage() for r in caplog.records)
    box.close()


def test_exception_on_the_gui_thread_is_logged_and_shown(qtbot, monkeypatch, caplog):
    reporter = make_reporter(qtbot, monkeypatch)
    try:
        raise KeyError("missing")
    except KeyError:
        with caplog.at_level(logging.ERROR, logger="overfit_lab"):
            sys.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: len(reporter.dialogs) == 1, timeout=5000)
    assert "KeyError" in reporter.dialogs[0].text()
    assert any("unhandled exception" in r.getMessage() for r in caplog.records)
    reporter.dialogs[0].close()
