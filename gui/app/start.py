"""Starts the window: it appears first, the engine (torch) is imported in the background."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from engine.core import i18n
from engine.core.arguments import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    add_settings_arguments,
    commands_help,
    refuse,
)
from engine.core.config import ConfigError, resolve
from engine.core.i18n import _
from engine.core.logs import setup_logging
from gui.app import desktop, system_libraries
from gui.window import language

log = logging.getLogger("overfit_lab")

TIMING_ENV = "OVERFIT_LAB_TIMING"  # when set, print startup timestamps (used by the benchmark)


def _mark(what: str) -> None:
    if os.environ.get(TIMING_ENV):
        print(f"timing {what} {time.time():.4f}", file=sys.stderr, flush=True)


class Startup(QObject):
    """Reacts, on the GUI thread, to the engine having been imported."""

    def __init__(self, window, driver=None):
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
        self.window.status.say(_("the training engine could not be loaded: {message}").format(message=message))
        if self.driver is not None:
            self.driver.app.exit(1)


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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="overfit-lab", description="Overfit Lab: watch a network overfit, "
                                "and watch regularization fix it. Without a subcommand it opens the window, in the "
                                "language of --language or View ▸ Language; the subcommands (and this help) speak English.",
                                epilog=commands_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    add_settings_arguments(p, default_preset=False, config_help="open with this settings file (.toml / .json)",
                           set_help="override one setting (repeatable), as in the train command", out="--runs-dir")
    p.add_argument("--lesson", metavar="FILE", help="open with this lesson: its settings, locks and steps (the "
                   "Lessons menu has the shipped ones)")
    p.add_argument("file", nargs="?", metavar="FILE", help="a lesson (opened as one) or a settings file: what a "
                   "double-click on a .toml file opens")
    p.add_argument("--language", metavar="CODE", help="the window's language: "
                   + ", ".join(f"{code} ({name})" for code, name in i18n.LANGUAGES.items())
                   + " (default: the one picked in View ▸ Language, else the system's). The headless commands "
                   "below speak English")
    p.add_argument("--version", action="store_true", help="print the version (a bundle's: with its commit) and exit")
    p.add_argument("--run-epochs", type=int, metavar="N", help="train N epochs at once (with --screenshot)")
    p.add_argument("--screenshot", metavar="PATH", help="after the run, save a PNG of the window and exit")
    p.add_argument("--size", metavar="WxH", help="window size, e.g. 1280x720 (default: 1400x900, or the screen)")
    entry = p.add_mutually_exclusive_group()
    entry.add_argument("--install-desktop-entry", action="store_true",
                       help="add Overfit Lab, with its icon, to your applications menu, then exit")
    entry.add_argument("--uninstall-desktop-entry", action="store_true",
                       help="remove what --install-desktop-entry added, then exit")
    return p


def opened_file(args):
    """The lesson that --lesson FILE or a double-clicked FILE names (None: FILE is a settings file)."""
    from engine.core.lessons import is_lesson, read_lesson

    if (args.file or args.lesson) and (args.config or args.preset or (args.file and args.lesson)):
        raise ConfigError("--lesson" if args.lesson else "FILE", args.lesson or args.file,
                          "alone: a lesson or settings file brings its own settings (not with --config or --preset)")
    path = args.lesson or args.file
    return read_lesson(path) if args.lesson or is_lesson(path) else None


def main(argv: list[str]) -> int:
    _mark("start")
    args = build_parser().parse_args(argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return desktop.main("install" if args.install_desktop_entry else "uninstall")
    log_path = setup_logging()
    log.info("Overfit Lab starting: %s", " ".join(argv) or "(no arguments)")
    if args.screenshot and not system_libraries.has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen
    problem = system_libraries.why_no_window()
    if problem:  # Qt would abort, and name the wrong library
        print(f"error: {problem}", file=sys.stderr)
        log.error("%s", problem)
        return EXIT_FAILED
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("OverfitLab")
    app.setApplicationName("Overfit Lab")
    app.setDesktopFileName(desktop.APP_ID)
    app.setWindowIcon(QIcon(str(desktop.icons_dir() / "overfit-lab.png")))
    scripted = args.screenshot is not None or args.run_epochs is not None
    # Before any widget (or message) is made: everything is built once in its language.
    code, language_warning = language.choose(args.language)
    if language_warning:
        print(f"warning: {language_warning}", file=sys.stderr)
        log.warning("%s", language_warning)
    language.install(app, code)
    config = preset = lesson = None
    try:
        if args.file or args.lesson:  # a lesson (its locks hold against --set), or a settings file
            lesson, args.config = opened_file(args), args.file or args.lesson
        if args.config or args.preset or args.set or scripted:
            config = resolve(args.config, args.preset, args.set or [])
            preset = None if args.config else (args.preset or "overfit")
        if args.run_epochs is not None:
            config = config.with_updates({"optim.epochs": args.run_epochs})
    except ConfigError as exc:
        return refuse(exc)

    from gui.window.main_window import MainWindow

    # A scripted launch (a screenshot) neither reads nor writes the user's stored settings.
    window = MainWindow(config, preset, runs_dir=args.runs_dir, restore=not scripted)
    window.launch_arguments = args  # View ▸ Language ▸ Restart now keeps the window's own (--runs-dir, --size)
    if lesson is not None:
        window.lessons.show(lesson, config)
    if language_warning:
        window.status.warn(language_warning)
    window.log_path = log_path
    if args.size:
        try:
            width, height = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            print(f"error: --size {args.size!r} is not allowed: WIDTHxHEIGHT, e.g. 1280x720", file=sys.stderr)
            return EXIT_BAD_INPUT
        window.resize(width, height)
    from gui.app.crash import CrashReporter

    crashes = CrashReporter(window, log_path)
    crashes.install()
    window.crash_reporter = crashes
    window.show()
    app.processEvents()  # the first frame is painted now
    _mark("window-visible")
    driver = None
    if args.screenshot:
        from gui.app.screenshot import ScreenshotDriver

        driver = ScreenshotDriver(window, args.screenshot, app)
    from gui.app.engine_loader import EngineLoader

    # torch loads once the window is painted: importing it alongside Qt would slow both
    # (one GIL), and the window would appear later.
    loader = EngineLoader(window)
    started = Startup(window, driver)
    # Slots of GUI-thread objects: the loader emits from its own thread, so these are queued.
    loader.loaded.connect(started._on_loader_loaded)
    loader.failed.connect(started._on_loader_failed)
    loader.warmed.connect(started._on_loader_warmed)
    window.engine_loader = loader
    loader.start()
    _close_on_signals(window)
    code = app.exec()
    from gui.window.language_menu import restart_if_asked

    restart_if_asked(window)
    return driver.exit_code if driver is not None and code == 0 else code
