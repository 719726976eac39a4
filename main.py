"""Overfit Lab: `python main.py` opens the window; `python main.py train ...` runs headless."""

from __future__ import annotations

import sys

from engine.core.arguments import COMMANDS

CLI_COMMANDS = set(COMMANDS)  # declared once, with what each does (the window's --help lists them)


def _ensure_streams() -> None:
    """A windowed build (no console) starts with sys.stdout / sys.stderr set to None; a
    redirected stream in a non-UTF-8 locale cannot print the tables' symbols."""
    import os

    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
        elif (getattr(stream, "encoding", "utf-8") or "").lower().replace("-", "") != "utf8" and \
                hasattr(stream, "reconfigure") and not stream.isatty():
            # Windows writes a redirected stream in its ANSI code page, which has no "Δ" or
            # "≤": a file or a pipe gets UTF-8 instead of an UnicodeEncodeError.
            stream.reconfigure(encoding="utf-8", errors=stream.errors)


def main(argv: list[str] | None = None) -> int:
    _ensure_streams()
    argv = sys.argv[1:] if argv is None else argv
    if "--version" in argv and not (argv and argv[0] in CLI_COMMANDS):
        from engine.core.files import version_line

        print(version_line())
        return 0
    if argv and argv[0] in CLI_COMMANDS:
        from engine.cli.main import main as cli_main

        return cli_main(argv)
    import gc

    # The window collects garbage on its GUI thread once the engine is imported (see
    # gui.worker); until then nothing is collected: Qt's, pyqtgraph's and torch's objects
    # are not garbage, and collecting them slowed the start by ~50 ms before the window
    # appeared.
    gc.disable()
    from gui.app.start import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen build must not re-run the app in a child
    sys.exit(main())
