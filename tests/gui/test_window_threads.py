"""The window and the engine thread: events flooding across threads, start / stop cycles,
garbage collected on the GUI thread only."""

import threading

from engine.core import events as ev
from gui.window.run_state import IDLE
from tests.gui.conftest import RUN_TIMEOUT, wait_for_step
from tests.helpers import tiny_config


def test_ten_thousand_cross_thread_events(qtbot, long_run):
    """The worker's signal, emitted from another thread 10,000 times for the live run (paused,
    so that only these arrive), reaches the plots every time without a crash."""
    window = long_run
    window.actions["pause"].trigger()
    qtbot.waitUntil(lambda: "paused at step" in window.status_label.text(), timeout=10_000)
    number, shown = window.handle.number, window.plots.step_loss.n

    def flood():
        for i in range(10_000):
            window.engine.worker.event_emitted.emit(number, ev.StepMetrics(
                step=10**6 + i, epoch=i // 100 + 1, train_loss=1.0, samples_per_sec=1.0, lr=0.1,
                epoch_fraction=(i + 1) / 100))

    sender = threading.Thread(target=flood)
    sender.start()
    qtbot.waitUntil(lambda: window.plots.step_loss.n == shown + 10_000, timeout=60_000)
    sender.join()
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["stop"].trigger()


def test_hundred_start_stop_cycles(qtbot, window):
    window.settings_panel.set_config(tiny_config({"data.dataset": "moons", "data.train_size": 64,
                                                  "data.val_size": 32, "data.test_size": 32,
                                                  "optim.epochs": 1000}))
    reasons = []
    for _ in range(100):
        with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT) as sig:
            assert window.start_run()
            window.actions["stop"].trigger()
        reasons.append(sig.args[0].reason)
    assert set(reasons) == {ev.USER_STOPPED}
    assert window.engine.is_running()  # one engine thread served all hundred runs


def test_cyclic_garbage_is_freed_only_on_the_gui_thread(qtbot, window):
    """The engine thread allocates the most; left to itself, Python's collector would free
    the window's discarded Qt objects there (a crash or a deadlock)."""
    freed_on = []

    class Cycle:
        def __init__(self):
            self.me = self

        def __del__(self):
            freed_on.append(threading.current_thread() is threading.main_thread())

    window.settings_panel.set_config(tiny_config({"optim.epochs": 500}))
    window.start_run()
    wait_for_step(qtbot, window)
    for _ in range(2000):
        Cycle()
        qtbot.wait(0) if _ % 100 == 0 else None
    qtbot.waitUntil(lambda: len(freed_on) == 2000, timeout=30_000)
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    assert all(freed_on)


def test_garbage_is_collected_on_the_gui_thread_only_once_the_engine_is_imported(qtbot, monkeypatch):
    """While torch is imported nothing is collected: its objects are not garbage, and
    collecting them on the GUI thread would stall the window and slow the import."""
    import gc

    from gui import garbage

    monkeypatch.setattr(garbage, "_collector", None)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the suite's own objects stay collectable
    was_enabled = gc.isenabled()
    try:
        garbage.collect_on_the_gui_thread()
        collector = garbage.collector()
        assert not gc.isenabled() and not collector.timer.isActive()
        garbage.freeze_startup_objects()
        assert collector.timer.isActive() and not gc.isenabled()
        garbage.collect_on_the_gui_thread()  # once per process
        assert garbage.collector() is collector
    finally:
        garbage.collector().timer.stop()
        if was_enabled:
            gc.enable()
