"""`main.py import-tensorboard LOGDIR [--out DIR] [--pair TRAIN_TAG=VAL_TAG]`: TensorBoard event
files become run folders the window shows (engine.runs.tensorboard_import)."""

from __future__ import annotations

from engine.core.arguments import COMMANDS, EXIT_BAD_INPUT


def cmd_import_tensorboard(args) -> int:
    print("error: not yet", flush=True)
    return EXIT_BAD_INPUT


def add_commands(sub) -> None:
    p = sub.add_parser("import-tensorboard", help=COMMANDS["import-tensorboard"])
    p.add_argument("logdir", metavar="LOGDIR", help="a TensorBoard log folder")
    p.set_defaults(func=cmd_import_tensorboard)
