"""Overfit Lab: `python main.py` opens the window; `python main.py train ...` runs headless."""

from __future__ import annotations

import sys

CLI_COMMANDS = {"train", "presets"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in CLI_COMMANDS:
        from engine.cli import main as cli_main

        return cli_main(argv)
    from gui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
