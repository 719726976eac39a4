"""`main.py lesson FILE [--check]`: a lesson's outline, or its run headless with every step's
claim checked against the run and a rerun compared bit for bit (what CI runs for each
shipped lesson)."""

from __future__ import annotations

import sys
import tempfile

from engine.core.arguments import EXIT_FAILED, EXIT_OK, refuse
from engine.core.config import ConfigError
from engine.core.lesson_figures import FIGURES


def cmd_lesson(args) -> int:
    from engine.core.lessons import read_lesson

    try:
        lesson = read_lesson(args.file)
        config = lesson.config.with_overrides(args.set) if args.set else lesson.config
        lesson.check_epochs(config)
        lesson.refuse_locked(config)
    except ConfigError as exc:
        return refuse(exc)
    if not args.check:
        print(outline(lesson))
        return EXIT_OK
    return check(lesson, config, args.out)


def outline(lesson) -> str:
    lines = [f"{lesson.title} ({lesson.path})",
             f"  {lesson.config.optim.epochs} epochs, {lesson.config.data.dataset}, seed {lesson.config.run.seed}"]
    if lesson.lock:
        lines.append(f"  locked: {', '.join(lesson.lock)}")
    if lesson.hide:
        lines.append(f"  hidden: {', '.join(lesson.hide)}")
    for number, step in enumerate(lesson.steps, 1):
        at = f"epoch {step.pause_at}" if step.pause_at else "the end"
        lines.append(f"  step {number} (pauses at {at}): {step.text}")
        if step.question:
            lines.append(f"    question: {step.question}")
        if step.expect is not None:
            lines.append(f"    claims: {step.expect.text}")
    lines.append("check it: lesson FILE --check; teach it: the window's Lessons menu, or --lesson FILE")
    return "\n".join(lines)


def check(lesson, config, out: str | None) -> int:
    """Run the lesson twice (CPU, its seed): each step's claim, then whether the rerun's metrics
    are the same bit for bit. Exit 0 when all hold, 1 when one does not."""
    from engine.cli.console import ConsoleProgress
    from engine.core import events as ev
    from engine.experiments.lesson_check import metrics_differ, run_lesson, step_outcomes

    with tempfile.TemporaryDirectory(prefix="overfit-lab-lesson-") as scratch:
        runs = []
        for attempt in ("run", "rerun"):
            print(f"{lesson.title}: the {attempt}", flush=True)
            run = run_lesson(lesson, out or scratch, config, subscribers=[ConsoleProgress()])
            if run.result is None or run.result.reason not in ev.FINISHED:
                reason = run.result.message if run.result else "no result"
                print(f"error: the lesson's {attempt} did not finish: {reason}", file=sys.stderr)
                return EXIT_FAILED
            runs.append(run)
    failed = 0
    for outcome in step_outcomes(lesson, runs[0].epochs):
        at = f"epoch {outcome.epoch}" if outcome.epoch else "the end"
        verdict = {True: "holds", False: "DOES NOT HOLD", None: "no claim"}[outcome.holds]
        print(f"step {outcome.number} ({at}): {verdict}" + (f": {outcome.claim} ({outcome.why})" if outcome.claim else ""))
        if outcome.reveal:
            print(f"  reveal: {outcome.reveal}")
        failed += outcome.holds is False
    differ = metrics_differ(runs[0].epochs, runs[1].epochs)
    if differ:
        print(f"rerun: DIFFERS ({differ})")
    else:
        print(f"rerun: the same metrics bit for bit ({len(runs[0].epochs)} epochs, rerun in this process)")
    if failed or differ:
        print(f"error: {lesson.path}: {failed} step(s) do not hold" + (", the rerun differs" if differ else ""),
              file=sys.stderr)
        return EXIT_FAILED
    print(f"{lesson.path}: every step holds")
    return EXIT_OK


def add_commands(sub) -> None:
    from engine.core.arguments import COMMANDS

    p = sub.add_parser("lesson", help=COMMANDS["lesson"],
                       epilog="figures a reveal or a claim may name: " + "; ".join(
                           f"{name}: {what}" for name, (what, _) in FIGURES.items()))
    p.add_argument("file", metavar="FILE", help="a lesson file (.toml)")
    p.add_argument("--check", action="store_true",
                   help="run it headless (CPU, its seed) twice: every step's claim, and a bit-identical rerun")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                   help="override one setting (a setting the lesson locks is refused)")
    p.add_argument("--out", metavar="DIR", help="keep the two run folders here (default: a temporary folder)")
    p.set_defaults(func=cmd_lesson)
