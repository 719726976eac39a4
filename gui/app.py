"""Starts the window: it appears first, the engine (torch) is imported in the background."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from engine import native
from engine.config import Config, ConfigError, load_preset, preset_names
from engine.logs import setup_logging
from gui import desktop, preload

log = logging.getLogger("overfit_lab")

TIMING_ENV = "OVERFIT_LAB_TIMING"  # when set, print startup timestamps (used by the benchmark)


def _mark(what: str) -> None:
    if os.environ.get(TIMING_ENV):
        print(f"timing {what} {time.time():.4f}", file=sys.stderr, flush=True)


class EngineLoader(QObject):
    """Imports the training engine (and with it torch) on a background thread."""

    loaded = Signal()
    failed = Signal(str)
    warmed = Signal()

    def start(self) -> None:
        threading.Thread(target=self._wait, name="engine-wait", daemon=True).start()

    def _wait(self) -> None:
        try:
            preload.wait()
        except Exception as exc:  # a broken install: say so in the window
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.loaded.emit()
        preload.wait_warm()
        self.warmed.emit()


class CrashReporter(QObject):
    """Unhandled exceptions, on any thread: to the log file and to a dialog in the window."""

    reported = Signal(str, str)  # summary, traceback

    def __init__(self, window, log_path):
        super().__init__(window)
        self.window, self.log_path = window, log_path
        self.dialogs: list[QMessageBox] = []
        self.reported.connect(self._on_reported)  # queued when emitted off the GUI thread

    def install(self) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook

    def _excepthook(self, exc_type, exc, tb) -> None:
        self._report(exc_type, exc, tb, "")

    def _thread_excepthook(self, args) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        self._report(args.exc_type, args.exc_value, args.exc_traceback, f" in thread {name}")

    def _report(self, exc_type, exc, tb, where: str) -> None:
        import traceback

        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unhandled exception%s:\n%s", where, text)
        if sys.stderr is not None:
            print(text, file=sys.stderr)
        self.reported.emit(f"{exc_type.__name__}: {exc}{where}", text)

    @Slot(str, str)
    def _on_reported(self, summary: str, details: str) -> None:
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Overfit Lab: unexpected error")
        where = f"\n\nThe details are also in the log: {self.log_path}" if self.log_path else ""
        box.setText(f"Something went wrong inside Overfit Lab. Your runs so far are saved.\n\n{summary}{where}")
        box.setDetailedText(details)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialogs.append(box)
        box.open()


class ScreenshotDriver(QObject):
    """--run-epochs N --screenshot PATH: train, save a PNG of the whole window, quit."""

    def __init__(self, window, path: str, app: QApplication):
        super().__init__(window)
        self.window, self.path, self.app = window, path, app
        self.exit_code = 1
        window.run_ended.connect(self._on_window_run_ended)

    @Slot()
    def start(self) -> None:
        if not self.window.start_run():
            print("error: could not start the run", file=sys.stderr)
            self.app.exit(1)

    @Slot(object)
    def _on_window_run_ended(self, result) -> None:
        QTimer.singleShot(200, lambda: self._grab(result))

    def _grab(self, result) -> None:
        self.window.plots.refresh()
        ok = self.window.grab().save(self.path)
        print(f"{result.reason}: {result.message}\n{self.path}")
        self.exit_code = 0 if ok and result.reason != "failed" else 1
        if not ok:
            print(f"error: could not write {self.path}", file=sys.stderr)
        self.window.close()
        QTimer.singleShot(0, lambda: self.app.exit(self.exit_code))


def _close_on_signals(window) -> None:
    """Ctrl-C in the terminal or a SIGTERM closes the window as the close button would (the
    live run stops and its folder is flushed). Python handles signals only between bytecodes,
    so a timer lets the interpreter run now and then while Qt's loop waits."""

    def close(signum, frame):
        window.close()

    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), close)
    timer = QTimer(window)
    timer.setInterval(200)
    timer.timeout.connect(_noop)
    timer.start()


def _noop() -> None:
    pass


class Startup(QObject):
    """Reacts, on the GUI thread, to the engine having been imported."""

    def __init__(self, window, driver: ScreenshotDriver | None):
        super().__init__(window)
        self.window, self.driver = window, driver

    @Slot()
    def _on_loader_loaded(self) -> None:
        self.window.set_engine_ready()
        _mark("engine-ready")
        if self.driver is not None:
            self.driver.start()

    @Slot()
    def _on_loader_warmed(self) -> None:
        self.window.engine_warmed()

    @Slot(str)
    def _on_loader_failed(self, message: str) -> None:
        self.window.status_label.setText(f"the training engine could not be loaded: {message}")
        if self.driver is not None:
            self.driver.app.exit(1)


def _start_animation_clock() -> None:
    """Run one (1 ms) animation now, before libtorch starts loading on another thread.

    The first animation in a thread creates Qt's per-thread animation timer, and registering
    its thread-exit destructor takes the dynamic loader's lock, which the loading thread
    holds until libtorch is loaded: the window's first show(), which starts a widget
    animation while its layout first activates, waited up to 0.35 s for it. With the
    timer created here, before that thread starts, the window shows at once.
    """
    from PySide6.QtCore import QVariantAnimation

    animation = QVariantAnimation()
    animation.setStartValue(0.0)
    animation.setEndValue(1.0)
    animation.setDuration(1)
    animation.start()
    animation.stop()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="overfit-lab", description="Overfit Lab: watch a network overfit, "
                                "and watch regularization fix it. Subcommands: train, presets (headless).")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--config", metavar="FILE", help="open with this settings file (.toml / .json)")
    src.add_argument("--preset", metavar="NAME", help=f"open with a preset: {', '.join(preset_names())}")
    p.add_argument("--runs-dir", metavar="DIR", help="where run folders go (default: the user data dir)")
    p.add_argument("--run-epochs", type=int, metavar="N", help="train N epochs at once (with --screenshot)")
    p.add_argument("--screenshot", metavar="PATH", help="after the run, save a PNG of the window and exit")
    entry = p.add_mutually_exclusive_group()
    entry.add_argument("--install-desktop-entry", action="store_true",
                       help="add Overfit Lab, with its icon, to your applications menu, then exit")
    entry.add_argument("--uninstall-desktop-entry", action="store_true",
                       help="remove what --install-desktop-entry added, then exit")
    return p


def main(argv: list[str]) -> int:
    _mark("start")
    args = build_parser().parse_args(argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return desktop.main("install" if args.install_desktop_entry else "uninstall")
    log_path = setup_logging()
    log.info("Overfit Lab starting: %s", " ".join(argv) or "(no arguments)")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("OverfitLab")
    app.setApplicationName("Overfit Lab")
    app.setDesktopFileName(desktop.APP_ID)
    app.setWindowIcon(QIcon(str(desktop.icons_dir() / "overfit-lab.png")))
    try:
        config = preset = None
        if args.config:
            config = Config.load(args.config)
        elif args.preset:
            config, preset = load_preset(args.preset), args.preset
        if args.run_epochs is not None:
            config = (config or load_preset("overfit")).with_updates({"optim.epochs": args.run_epochs})
            preset = preset or "overfit"
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from gui.main_window import MainWindow

    # libtorch's C++ loading (~0.4 s of `import torch`, which needs no GIL) runs on the
    # other core while the window is built.
    _start_animation_clock()
    native.preload_in_background()
    window = MainWindow(config, preset, runs_dir=args.runs_dir, restore=args.screenshot is None)
    window.log_path = log_path
    crashes = CrashReporter(window, log_path)
    crashes.install()
    window.crash_reporter = crashes
    window.show()
    app.processEvents()  # the first frame is painted now
    _mark("window-visible")
    # torch loads once the window is painted: importing it alongside Qt would slow both
    # (one GIL), and the window would appear later.
    preload.start()
    driver = ScreenshotDriver(window, args.screenshot, app) if args.screenshot else None

    startup = Startup(window, driver)
    loader = EngineLoader(window)
    # Slots of GUI-thread objects: the loader emits from its own thread, so these are queued.
    loader.loaded.connect(startup._on_loader_loaded)
    loader.failed.connect(startup._on_loader_failed)
    loader.warmed.connect(startup._on_loader_warmed)
    window.engine_loader = loader
    loader.start()
    _close_on_signals(window)
    code = app.exec()
    return driver.exit_code if driver is not None and code == 0 else code
