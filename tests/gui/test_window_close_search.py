"""Closing the window while the Search tab's read of a study is still on its way."""

import threading


def test_closing_waits_for_a_study_read_in_flight_without_blocking_and_reads_no_more(qtbot, window):
    release, calls = threading.Event(), []

    def slow_storage():  # a database that takes its time to answer
        calls.append(1)
        release.wait(30)
        raise ConnectionError("no database here")

    window.search_view.attach("a-study", slow_storage)
    try:
        qtbot.waitUntil(lambda: bool(calls), timeout=10_000)
        window.close()
        assert window.isVisible()  # not yet: the read is in flight; the GUI thread is free meanwhile
        assert not window.search_view.timer.isActive()  # and no new read will start
    finally:
        release.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert calls == [1]
