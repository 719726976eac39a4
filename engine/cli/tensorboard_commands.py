"""`main.py import-tensorboard LOGDIR [--out DIR] [--pair TRAIN_TAG=VAL_TAG]`: the runs of a
TensorBoard log folder become run folders the window shows (engine.runs.tensorboard_import).
Run it again on a folder still being written: the epochs written since are appended."""

from __future__ import annotations

import sys

from engine.core.arguments import COMMANDS, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK


def parse_pairs(texts: list[str]) -> dict[str, str]:
    """--pair TRAIN_TAG=VAL_TAG (repeatable) -> {train tag: validation tag}."""
    pairs = {}
    for text in texts:
        train, sep, val = text.partition("=")
        if not sep or not train.strip() or not val.strip():
            raise ValueError(f"--pair {text!r}: write it as TRAIN_TAG=VAL_TAG, e.g. --pair Loss/train=Loss/val")
        pairs[train.strip()] = val.strip()
    return pairs


def cmd_import_tensorboard(args) -> int:
    from engine.core.arguments import refuse
    from engine.runs.reader import INCOMPLETE, default_runs_dir
    from engine.runs.tensorboard_import import TensorBoardImport, TensorBoardMissing

    try:
        importer = TensorBoardImport(args.logdir, args.out or default_runs_dir(), parse_pairs(args.pair or []))
        importer.preview()
        importer.check_chosen()  # a --pair naming a tag the folder lacks is refused, nothing written
        results = importer.update()
    except TensorBoardMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (ValueError, OSError) as exc:  # no such folder, no event files, a run folder not ours
        return refuse(exc)
    for run in results:
        for problem in run.problems:
            print(f"note: {problem}", file=sys.stderr)
        if run.folder is not None:
            pairs = ", ".join(f"{t or '–'} / {v or '–'}" for t, v in run.pairing.pairs.values())
            print(f"{run.name}: {run.epochs} epochs ({run.added} new) from {pairs}"
                  + (" — incomplete: an event file is cut off (its writer may still be writing it)"
                     if run.status == INCOMPLETE else ""))
            print(run.folder)
    imported = [r for r in results if r.folder is not None]
    if not imported:
        print(f"error: {args.logdir}: no run with a train or validation curve to import", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def add_commands(sub) -> None:
    p = sub.add_parser("import-tensorboard", help=COMMANDS["import-tensorboard"])
    p.add_argument("logdir", metavar="LOGDIR", help="a TensorBoard log folder (each folder of event files in it "
                   "is a run; Keras's train/ and validation/ folders are one)")
    p.add_argument("--out", metavar="DIR", help="runs folder (default: the user data dir)")
    p.add_argument("--pair", action="append", metavar="TRAIN_TAG=VAL_TAG",
                   help="which train and validation tags are one curve, where the tags' names do not say "
                        "(repeatable; kept for the next import of the folder)")
    p.set_defaults(func=cmd_import_tensorboard)
