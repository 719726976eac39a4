"""What every command line of Overfit Lab shares, declared once: the subcommands, the
settings arguments (--config / --preset / --set, and where runs go), the exit codes and
the refusal of bad input. The window's start-up and the headless commands both use it
(the window may not import engine.cli), so nothing here imports torch."""

from __future__ import annotations

import argparse
import logging
import sys

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_DIVERGED = 0, 1, 2, 3

# Every headless subcommand, in the order `--help` lists them: name -> what it does.
COMMANDS = {
    "train": "train one run and write its run folder",
    "evaluate": "evaluate a run folder on the validation or test split",
    "export": "a run folder's metrics as CSV or TensorBoard event files",
    "presets": "list the built-in presets",
    "cv": "stratified k-fold cross-validation of a preset or settings file",
    "curve": "a learning curve: train over several values of one setting",
    "tour": "the remedy tour: overfit, then each remedy as its twin, and their effects",
    "compare-transfer": "from scratch, random frozen, frozen and fine-tuned: twins on the same few examples",
    "resume": "go on with an interrupted experiment (finished runs are kept), or a paused run",
    "suspects": "a run's training examples, most likely mislabeled first (from their training dynamics)",
    "clean": "train a run's twin without its most suspect examples (or with them relabelled)",
    "search": "a hyperparameter search (Optuna): trials are normal runs",
    "search-worker": "take trials of an existing study (any machine)",
    "runs": "list the run folders of a runs folder with their status (also runs another process writes)",
    "stop": "stop a running run from another process, as the window's Stop does (best weights kept)",
    "pause": "pause a running run from another process (resume RUN_DIR goes on)",
    "import-tensorboard": "TensorBoard event files as run folders (train/val pairs matched by their tags)",
    "lesson": "a lesson file: its outline, or --check: run it headless and check each step's claim",
}


def commands_help() -> str:
    """The subcommands, one a line, for the window's `--help`."""
    width = max(map(len, COMMANDS))
    from engine.core.files import command_hint

    return f"headless subcommands ({command_hint()} COMMAND --help for each):\n" + "\n".join(
        f"  {name:<{width}}  {what}" for name, what in COMMANDS.items())


def add_settings_arguments(parser: argparse.ArgumentParser, *, required: bool = False, default_preset: bool = True,
                           config_help: str = "settings file (.toml or .json)",
                           set_help: str = "override one setting (repeatable), e.g. --set regularization.dropout=0.5",
                           out: str | None = "--out", source: bool = True) -> None:
    """--config FILE or --preset NAME (one of them `required`, or neither: the preset
    overfit where `default_preset`), --set SECTION.KEY=VALUE, and the runs folder (`out`:
    its option, None for none). `source` False: --set and the runs folder only."""
    from engine.core.config import preset_names

    if source:
        group = parser.add_mutually_exclusive_group(required=required)
        group.add_argument("--config", metavar="FILE", help=config_help)
        default = " (default overfit)" if default_preset and not required else ""
        group.add_argument("--preset", metavar="NAME", help=f"a built-in preset{default}: {', '.join(preset_names())}")
    parser.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help=set_help)
    if out is not None:
        parser.add_argument(out, metavar="DIR", help="runs folder (default: the user data dir)")


def refuse(exc: Exception) -> int:
    """Bad input, said plainly (the message names the setting, file or path) and logged."""
    print(f"error: {exc}", file=sys.stderr)
    logging.getLogger("overfit_lab").error("bad input: %s", exc)
    return EXIT_BAD_INPUT
