"""Overfit Lab: `python main.py` opens the window; `python main.py train ...` runs headless."""

from __future__ import annotations

import sys

CLI_COMMANDS = {"train", "presets"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in CLI_COMMANDS:
        from engine.cli import main as cli_main

        return cli_main(argv)
    if argv and argv[0] in ("-h", "--help"):
        from engine.cli import build_parser

        build_parser().print_help()
        return 0
    # The window arrives with the GUI; until then the overfit preset runs headless.
    from engine.cli import main as cli_main

    return cli_main(["train", "--preset", "overfit", *argv])


if __name__ == "__main__":
    sys.exit(main())
