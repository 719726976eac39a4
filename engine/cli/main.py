"""Headless commands: `python main.py train ...`, `python main.py presets`."""

from __future__ import annotations

import argparse
import logging
import sys

from engine.cli.console import EXIT_CODES, ConsoleProgress, format_report
from engine.core import events as ev
from engine.core.arguments import (
    COMMANDS,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    add_settings_arguments,
    refuse,
)
from engine.core.config import Config, ConfigError, preset_description, preset_names, resolve


def build_config(args) -> Config:
    from engine.core.naming import named_for_its_data

    return named_for_its_data(resolve(args.config, args.preset, args.set or []))


def cmd_train(args) -> int:
    from engine.core.control import RunControl, stop_on_sigint
    from engine.experiments.experiment import run_single
    from engine.runs.reader import default_runs_dir

    try:
        cfg = build_config(args)
    except ConfigError as exc:
        return refuse(exc)
    with stop_on_sigint(RunControl()) as control:
        trial = run_single(cfg, control=control, subscribers=[ConsoleProgress()],
                           runs_dir=args.out or default_runs_dir())
    result = trial.result
    if result.reason in ev.USABLE and args.evaluate_test:
        trial.trainer.evaluate_test()
    if result.bad_input:
        print(f"error: {result.message}", file=sys.stderr)
        logging.getLogger("overfit_lab").error("bad input: %s", result.message)
        return EXIT_BAD_INPUT
    if result.reason == ev.FAILED:
        print(f"error: {result.message}", file=sys.stderr)
        if result.traceback:
            print(result.traceback, file=sys.stderr)
    elif result.reason == ev.DIVERGED:
        print(f"diverged: {result.message}", file=sys.stderr)
    else:
        print(f"{result.reason}: {result.message}")
    print(trial.run_dir)
    return EXIT_CODES[result.reason]


def cmd_evaluate(args) -> int:
    """Evaluate a run folder on the validation or the locked test split (the test split
    once per run: asking again prints the recorded result and says so)."""
    import json

    from engine.runs.checked import UnreadableRun
    from engine.runs.stored import evaluate_folder
    from engine.runs.weights import WeightsError

    try:
        report, new = evaluate_folder(args.run_dir, args.split, args.weights)
    except (FileNotFoundError, UnreadableRun, ConfigError, WeightsError) as exc:
        return refuse(exc)
    if args.json:
        print(json.dumps({**ev.to_record(report), "recorded_before": not new}, indent=2))
        return EXIT_OK
    if not new:
        print(f"{args.run_dir}: the test split was evaluated for this run already; this is that "
              "result, not a new look (evaluating it again would turn it into a validation set)")
    sys.stdout.write(format_report(report))
    return EXIT_OK


def cmd_export(args) -> int:
    """A run folder's epoch metrics as CSV, and / or as TensorBoard event files."""
    from engine.runs.export import ExtraMissing, write_csv, write_tensorboard
    from engine.runs.reader import read_run

    if not args.csv and not args.tensorboard:
        print("error: say what to write: --csv FILE and / or --tensorboard DIR", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        run = read_run(args.run_dir)
        if args.csv:
            print(write_csv(run, args.csv))
        if args.tensorboard:
            print(write_tensorboard(run, args.tensorboard))
    except ExtraMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # not a run folder, an unwritable or non-empty destination: named
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_presets(args) -> int:
    for name in preset_names():
        print(f"{name:<16} {preset_description(name)}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="overfit-lab", description="Overfit Lab, headless. The command line "
                                     "speaks English; the window speaks the language of View ▸ Language or --language.")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=COMMANDS[name])

    train = command("train")
    add_settings_arguments(train, required=True)
    train.add_argument("--evaluate-test", action="store_true",
                       help="after training, evaluate once on the locked test split")
    train.set_defaults(func=cmd_train)
    evaluate = command("evaluate")
    evaluate.add_argument("run_dir", metavar="RUN_DIR", help="a run folder")
    evaluate.add_argument("--split", choices=("val", "test"), default="test",
                          help="val: as often as wanted; test: the locked split, once per run (default)")
    evaluate.add_argument("--weights", choices=("best", "last"),
                          help="which saved weights (default: best, or last where there is no best)")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(func=cmd_evaluate)
    export = command("export")
    export.add_argument("run_dir", metavar="RUN_DIR", help="a run folder")
    export.add_argument("--csv", metavar="FILE", help="one row per epoch, one column per metric and layer")
    export.add_argument("--tensorboard", metavar="DIR", help="a new folder for TensorBoard event files")
    export.set_defaults(func=cmd_export)
    command("presets").set_defaults(func=cmd_presets)
    from engine.cli.example_commands import add_commands as add_example_commands
    from engine.cli.experiment_commands import add_commands
    from engine.cli.lesson_commands import add_commands as add_lesson_commands
    from engine.cli.run_commands import add_commands as add_run_commands
    from engine.cli.search_commands import add_commands as add_search_commands
    from engine.cli.tensorboard_commands import add_commands as add_tensorboard_commands

    add_commands(sub)
    add_example_commands(sub)
    add_search_commands(sub)
    add_run_commands(sub)
    add_tensorboard_commands(sub)
    add_lesson_commands(sub)
    return parser


def main(argv: list[str]) -> int:
    import logging

    from engine.core.logs import setup_logging

    args = build_parser().parse_args(argv)
    setup_logging()
    log = logging.getLogger("overfit_lab")
    log.info("command line: %s", " ".join(argv))
    try:
        code = args.func(args)
    except BrokenPipeError:  # `main.py suspects RUN | head`: the reader has all it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_OK
    except BaseException:
        log.exception("command line failed: %s", " ".join(argv))
        raise
    log.info("command line ended with exit code %s", code)
    return code
