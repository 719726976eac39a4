"""Python's cyclic garbage collector, on the GUI thread only.

The collector runs on whichever thread happens to allocate, and the engine thread
allocates the most: left alone, it frees the window's discarded plot items on the engine
thread, which crashed and deadlocked Qt here. The window therefore turns automatic
collection off and collects on a GUI-thread timer (pyqtgraph's GarbageCollector)."""

from __future__ import annotations

_collector = None


def collect_on_the_gui_thread() -> None:
    """Once per process, from the GUI thread: cyclic garbage is collected only there.

    Automatic collection stops now; the GUI-thread timer starts with the first
    `freeze_startup_objects`, once the engine is imported. Collecting while torch's
    ~300,000 objects are being created would stall the window and slow the import, and
    none of them is garbage."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=0.5)
        _collector.timer.stop()


def collector():
    return _collector


def freeze_startup_objects() -> None:
    """Once the engine (torch) is imported: move its long-lived objects out of the
    collector's sight (gc.freeze), so a full collection takes ~0 ms instead of ~100, then
    collect on the GUI thread's timer from here on."""
    import gc

    gc.freeze()
    if _collector is not None and not _collector.timer.isActive():
        _collector.timer.start()
