"""Headless experiments: `python main.py cv | curve | tour | resume ...`.

Each runs an Experiment (one experiment folder, one run folder per trial), prints a line
per finished trial and a table at the end, and can be resumed after a crash or Ctrl-C
(`python main.py resume EXPERIMENT_DIR`): finished trials are kept, the rest run."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.core import events as ev
from engine.core.arguments import (
    COMMANDS,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    add_settings_arguments,
    refuse,
)
from engine.core.config import ConfigError, parse_literal, resolve
from engine.core.control import RunControl, stop_on_sigint
from engine.runs.aggregate import Outcome, by_value, mean_sd, pct
from engine.training.callbacks import Callback


class TrialLines(Callback):
    """One line per trial: what it changed and how it ended."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.planned = None

    def on_event(self, event) -> None:
        s = self.stream
        if isinstance(event, ev.ExperimentStarted):
            self.planned = event.planned_trials
            verb = "resuming" if event.resumed else "experiment"
            s.write(f"{verb} {event.kind} '{event.name}': {event.planned_trials} runs -> {event.experiment_dir}\n")
        elif isinstance(event, ev.TrialFinished):
            o = Outcome.of(event.result.final_metrics)
            what = ", ".join(f"{k}={_short(v)}" for k, v in event.changes.items()) or "(base settings)"
            figures = (f"val acc {o.val_accuracy:.1%} (best {o.best_val_accuracy:.1%}), gap "
                       f"{o.gap * 100:+.1f} pts, {o.epoch} epochs" if o else event.result.message)
            kept = "  (kept from before)" if event.kept else ""
            s.write(f"[{event.index + 1}/{self.planned}] {what}: {event.result.reason}: {figures}{kept}\n")
        elif isinstance(event, ev.ExperimentFinished):
            s.write(f"{event.reason}: {event.message}\n")
        s.flush()


def _short(value) -> str:
    """A setting's value for one line: a cleaned twin's lists of examples as their length."""
    return f"[{len(value):,} examples]" if isinstance(value, list) and len(value) > 4 else str(value)


def _outcomes(result) -> list[tuple[dict, Outcome]]:
    rows = []
    for t in result.trials:
        o = Outcome.of(t.result.final_metrics, t.result.best_epoch) if t.result else None
        if o is not None and t.result.reason in (ev.COMPLETED, ev.EARLY_STOPPED):
            rows.append((t.changes, o))
    return rows


def cv_table(result) -> str:
    rows = _outcomes(result)
    lines = [f"{'fold':>4}  {'final val acc':>13}  {'best val acc':>12}  {'gap (pts)':>9}  {'epochs':>6}"]
    for changes, o in rows:
        lines.append(f"{changes.get('data.fold', '?'):>4}  {o.val_accuracy:>13.1%}  {o.best_val_accuracy:>12.1%}  "
                     f"{o.gap * 100:>+9.1f}  {o.epoch:>6}")
    if rows:
        outs = [o for _, o in rows]
        lines.append(f"mean ± sd over {len(outs)} folds: final val acc "
                     f"{pct(mean_sd([o.val_accuracy for o in outs]))} %, best "
                     f"{pct(mean_sd([o.best_val_accuracy for o in outs]))} %, gap "
                     f"{pct(mean_sd([o.gap for o in outs]))} pts")
    return "\n".join(lines) + "\n"


def curve_table(result, key: str) -> str:
    rows = [(changes.get(key), o) for changes, o in _outcomes(result)]
    lines = [f"{key:>22}  runs  {'train acc %':>12}  {'best train %':>12}  {'val acc %':>12}  "
             f"{'best val %':>12}  {'gap (pts)':>12}"]
    for value, f, n in by_value(rows):
        lines.append(f"{value!s:>22}  {n:>4}  {pct(f['train_accuracy']):>12}  {pct(f['best_train_accuracy']):>12}  "
                     f"{pct(f['val_accuracy']):>12}  {pct(f['best_val_accuracy']):>12}  {pct(f['gap']):>12}")
    return "\n".join(lines) + "\n"


def effect_table(result) -> str:
    rows = _outcomes(result)
    if not rows:
        return "no run finished\n"
    first, base = rows[0]
    against = first.get("run.name", "the first run")
    lines = [f"{'run':<16} {'val acc':>8} {'best val':>9} {'val acc Δ':>16} {'gap':>8} {'gap Δ':>16} {'val loss':>9}"]
    for changes, o in rows:
        name = changes.get("run.name", "?")
        lines.append(f"{name:<16} {o.val_accuracy:>8.1%} {o.best_val_accuracy:>9.1%} "
                     f"{(o.val_accuracy - base.val_accuracy) * 100:>+15.1f}p {o.gap * 100:>+7.1f}p "
                     f"{(o.gap - base.gap) * 100:>+15.1f}p {o.val_loss:>9.3f}")
    lines.append(f"(Δ: against {against}; p: percentage points)")
    return "\n".join(lines) + "\n"


class _Ending(Callback):
    """Keeps how the experiment ended: its message says why a failed plan failed."""

    def __init__(self):
        self.message = ""

    def on_event(self, event) -> None:
        if isinstance(event, ev.ExperimentFinished):
            self.message = event.message


def _run(experiment, table) -> int:
    ending = _Ending()
    experiment.subscribers.append(ending)
    with stop_on_sigint(experiment.control):
        result = experiment.run()
    bad = [t for t in result.trials if t.result is not None and t.result.bad_input]
    if bad:
        print(f"error: {bad[0].result.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if result.reason == ev.FAILED:  # the plan itself failed (settings it made, say), or a run did
        print(f"error: {ending.message}", file=sys.stderr)
    sys.stdout.write(table(result))
    if result.path is not None:
        print(result.path)
    return EXIT_OK if result.reason in ev.USABLE else EXIT_FAILED


def _experiment(args, plan_of, kind: str, meta: dict):
    from engine.experiments.experiment import Experiment
    from engine.runs.reader import default_runs_dir

    cfg = resolve(args.config, args.preset, args.set or [])
    plan = plan_of(cfg)
    from engine.core.lessons import refuse_locked_plan

    refuse_locked_plan(args.config, cfg, plan)  # a lesson's locks hold in every run of the plan
    name = cfg.run.name or args.preset or kind
    experiment = Experiment(cfg, plan, control=RunControl(), subscribers=[TrialLines()],
                            runs_dir=args.out or default_runs_dir(), name=name, kind=kind, meta=meta)
    experiment.check_plan()  # a run that could not train: refused now, before the first one trains
    return experiment


def cmd_cv(args) -> int:
    from engine.experiments.plans import cv_plan

    try:
        experiment = _experiment(args, lambda cfg: cv_plan(args.folds), "cv", {"folds": args.folds})
        experiment.base.with_updates({"data.folds": args.folds})  # folds too many for the data: said first
    except ConfigError as exc:
        return refuse(exc)
    return _run(experiment, cv_table)


def parse_over(text: str) -> tuple[str, list]:
    if "=" not in text:
        raise ConfigError("over", text, "KEY=VALUE,VALUE,... e.g. data.train_size=100,300,1000")
    key, values = text.split("=", 1)
    return key.strip(), [parse_literal(v.strip()) for v in values.split(",") if v.strip()]


def cmd_curve(args) -> int:
    from engine.core.config import curve_section
    from engine.experiments.plans import curve_plan

    try:
        sweep = None
        if args.over:
            key, values = parse_over(args.over)
        else:
            resolve(args.config, args.preset)  # an unknown preset or a bad file: named first
            sweep = curve_section(args.config, args.preset)
        if sweep is not None:  # the preset's own sweep
            key, values = sweep["over"], sweep["values"]
            args.seeds = args.seeds if args.seeds is not None else sweep["seeds"]
        elif not args.over:
            raise ConfigError("--over", None, "KEY=V1,V2,... (these settings have no [curve] sweep of their own), "
                                              "e.g. --over data.train_size=100,300,1000")
        args.seeds = 3 if args.seeds is None else args.seeds
        if args.seeds < 1:
            raise ConfigError("seeds", args.seeds, "at least 1")

        def plan_of(cfg):
            for value in values:  # every value refused now, naming the key, before any folder is made
                cfg.with_updates({key: value})
            return curve_plan(key, values, [cfg.run.seed + i for i in range(args.seeds)])

        experiment = _experiment(args, plan_of, "curve", {"over": key, "values": values, "seeds": args.seeds})
    except ConfigError as exc:
        return refuse(exc)
    return _run(experiment, lambda result: curve_table(result, key))


def cmd_tour(args) -> int:
    from engine.experiments.experiment import Experiment
    from engine.experiments.plans import tour_plan
    from engine.runs.reader import default_runs_dir

    try:
        base, plan = tour_plan()
        base = base.with_overrides(args.set or [])
    except ConfigError as exc:
        return refuse(exc)
    experiment = Experiment(base, plan, control=RunControl(), subscribers=[TrialLines()],
                            runs_dir=args.out or default_runs_dir(), name="remedy", kind="tour")
    try:
        experiment.check_plan()
    except ConfigError as exc:
        return refuse(exc)
    return _run(experiment, effect_table)


def cmd_compare_transfer(args) -> int:
    from engine.experiments.plans import transfer_plan

    try:
        experiment = _experiment(args, lambda cfg: transfer_plan(), "transfer", {})
        if experiment.base.model.backbone == "none":
            raise ConfigError("model.backbone", "none", "a backbone to transfer from: fashion_cnn or squeezenet "
                              "(e.g. --preset transfer)")
    except ConfigError as exc:
        return refuse(exc)
    return _run(experiment, effect_table)


def cmd_resume(args) -> int:
    from engine.cli.run_commands import is_run_folder, resume_run

    if is_run_folder(args.experiment_dir):  # a paused run (`main.py pause`, the window's Pause)
        return resume_run(args.experiment_dir)
    from engine.experiments.experiment import Experiment

    try:
        experiment = Experiment.resume(args.experiment_dir, control=RunControl(), subscribers=[TrialLines()])
        experiment.check_plan()
    except ConfigError as exc:
        return refuse(exc)
    kind = experiment.kind
    table = (cv_table if kind == "cv" else effect_table if kind in ("tour", "transfer")
             else (lambda r: curve_table(r, experiment.meta.get("over", ""))) if kind == "curve"
             else (lambda r: ""))
    return _run(experiment, table)


def add_commands(sub) -> None:
    cv = sub.add_parser("cv", help=COMMANDS["cv"])
    add_settings_arguments(cv)
    cv.add_argument("--folds", type=int, default=5, metavar="K", help="number of folds (default 5)")
    cv.set_defaults(func=cmd_cv)
    curve = sub.add_parser("curve", help=COMMANDS["curve"])
    add_settings_arguments(curve)
    curve.add_argument("--over", metavar="KEY=V1,V2,...",
                       help="the setting and its values, e.g. data.train_size=100,300,1000,3000 or model.width=16,64,256 "
                            "(default: the preset's own [curve] sweep, e.g. --preset double_descent)")
    curve.add_argument("--seeds", type=int, metavar="N", help="seeds per value (default 3, or the preset's [curve])")
    curve.set_defaults(func=cmd_curve)
    tour = sub.add_parser("tour", help=COMMANDS["tour"])
    add_settings_arguments(tour, source=False, set_help="override one setting of every run")
    tour.set_defaults(func=cmd_tour)
    transfer = sub.add_parser("compare-transfer", help=COMMANDS["compare-transfer"])
    add_settings_arguments(transfer)
    transfer.set_defaults(func=cmd_compare_transfer)
    resume = sub.add_parser("resume", help=COMMANDS["resume"])
    resume.add_argument("experiment_dir", metavar="EXPERIMENT_DIR", type=Path,
                        help="an interrupted experiment's folder, or a paused run's folder")
    resume.set_defaults(func=cmd_resume)
