"""Which training examples look mislabeled: `python main.py suspects RUN_DIR` ranks them
from the run's recorded dynamics; `python main.py clean RUN_DIR --top K` trains the run's
twin without them (or relabelled to the class that beat their label while the network learned)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from engine.core.arguments import COMMANDS, EXIT_BAD_INPUT, EXIT_OK, refuse
from engine.core.config import TOY_DATASETS, ConfigError
from engine.runs.scores import DEFAULT_SCORE, MIN_SCORED, SCORE_HELP, SCORES, ranking_doubt

TEXT_TOP = 20  # rows printed without --top (with --json: all)


def _read(args):
    from engine.runs.suspects import read_suspects

    return read_suspects(args.run_dir, args.score)


def _failures():
    from engine.runs.checked import UnreadableRun
    from engine.runs.dynamics import NoDynamics

    return (FileNotFoundError, NoDynamics, UnreadableRun, ValueError, ConfigError)


def cmd_suspects(args) -> int:
    try:
        s = _read(args)
        n = s.dynamics.size
        if args.top is not None and not 1 <= args.top <= n:
            raise ConfigError("--top", args.top, f"from 1 to {n:,}: the run's training split holds {n:,} examples")
        rows = s.rows(args.top if args.top is not None else (None if args.json else TEXT_TOP))
    except _failures() as exc:
        return refuse(exc)
    from engine.experiments.cleaning import count_text, default_count, estimate_doubt

    r, d = s.ranking, s.dynamics
    estimate = default_count(s) if d.size > 1 else 0
    if args.json:
        out = {"run_dir": str(s.path), "score": r.score_name, "epochs_scored": r.upto, "estimated_count": estimate,
               "epochs_recorded": len(d.epochs), "lowest_val_loss_epoch": s.turn, "train_size": d.size,
               "status": s.status, "class_names": d.class_names, "suspects": rows}
        if d.corrupted_on_purpose:
            out.update(auroc=r.auroc, precision_at_k=r.precision_at_k, k=r.k, by_epoch=s.by_epoch())
        print(json.dumps(out, indent=1))
        return EXIT_OK
    scored = f"epochs 1–{r.upto}" if r.upto > 1 else "epoch 1"
    print(f"{s.path}: {d.size:,} training examples, {len(d.epochs)} epochs recorded ({s.status}); "
          f"ranked by {r.score_name} over {scored}"
          + (f" (the scoring epochs: up to the lowest validation loss, epoch {s.turn}, at least the "
             f"{_ordinal(MIN_SCORED)})" if s.turn and r.score_name == "aum" else ""))
    if d.corrupted_on_purpose:
        print(f"against the {r.k:,} labels corrupted on purpose: AUROC {_figure(r.auroc)}, "
              f"precision at {r.k:,} {_figure(r.precision_at_k)}"
              + (" (every label was corrupted: no right one to tell them from)" if r.auroc is None else ""))
    if estimate:
        print(f"how many look mislabeled: {count_text(s, estimate, True)} (what `clean` takes out without --top)")
        doubt = estimate_doubt(d.size, estimate)
        if doubt:
            print(f"warning: {doubt}: `clean` refuses it without --top")
    weak = ranking_doubt(r.score_name, r.auroc)
    if weak:
        print(f"warning: {weak}")
    width = max([len(n) for n in d.class_names] + [9])
    print("score: higher = more suspect (aum: minus the mean margin; confidence, correctness: minus "
          "theirs; variability, forgetting: as they are)")
    print(f"other: the class that beat the given label most often over epochs 1–{s.scored_epochs} (before the network "
          "memorized it; what --relabel gives), '-' where the given label led every time")
    head = f"{'rank':>5} {'index':>6}  {'given':<{width}}  {'other':<{width}}  {'score':>8}"
    if d.corrupted_on_purpose:
        head += f"  {'true':<{width}}"
    print(head + ("  file" if d.files else ""))
    for i, row in enumerate(rows, 1):
        line = (f"{i:>5} {row['index']:>6}  {row['given_name']:<{width}}  {row['other_name'] or '-':<{width}}  "
                f"{row['score']:>8.3f}")
        if d.corrupted_on_purpose:
            line += f"  {d.class_names[row['true']] if row['corrupted'] else '(as given)':<{width}}"
        print(line + (f"  {row['file']}" if d.files else ""))
    if len(rows) < d.size and args.top is None:
        print(f"(the first {len(rows)} of {d.size:,}; --top K for more, --json for all)")
    return EXIT_OK


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _runs_root(folder: Path) -> Path:
    """Where a run's twin goes by default: beside it, or beside its experiment's folder (a
    twin is not a member of the experiment)."""
    parent = folder.parent
    return parent.parent if (parent / "experiment.json").is_file() else parent


def cmd_clean(args) -> int:
    from engine.cli.console import EXIT_CODES, ConsoleProgress
    from engine.core.config import Config
    from engine.core.control import RunControl, stop_on_sigint
    from engine.experiments.cleaning import (
        cleaned_changes,
        count_text,
        edits_text,
        refuse_unfinished,
        twin_plan,
    )
    from engine.experiments.experiment import run_single

    try:
        s = _read(args)
        refuse_unfinished(s)
        reference = Config.load(s.path / "config.json")
        changes, notes = cleaned_changes(reference.to_dict(), s, args.top, args.relabel)
        config = reference.with_updates(changes)
        plan = twin_plan(s, notes)
    except _failures() as exc:
        return refuse(exc)
    took = notes["cleaned"]
    weak = ranking_doubt(s.ranking.score_name, s.ranking.auroc)
    if weak:
        print(f"warning: {weak}")
    print(f"{'relabelling' if args.relabel else 'removing'} the most suspect of {s.dynamics.size:,} training "
          f"examples ({took['score']} over epochs 1–{took['epochs_scored']}): "
          f"{count_text(s, took['top'], took['estimated'])}")
    if args.relabel:
        print(f"{took['changed']:,} of them get a new label (the class that beat theirs most often over epochs "
              f"1–{took['epochs_scored']}); {took['top'] - took['changed']:,} keep theirs (it led every time)")
    if s.edits:
        print(f"the run's {len(s.edits)} live edit{'s' if len(s.edits) > 1 else ''}, made again in the twin at the "
              "same point of the same epoch:")
        for line in edits_text(s.edits):
            print(f"  {line}")
    if config.data.dataset in TOY_DATASETS:
        print("a toy set: the twin trains on the same points without the suspects (their decision boundary "
              "shows the difference; there are no images to show)")
    with stop_on_sigint(RunControl()) as control:
        trial = run_single(config, control=control, subscribers=[ConsoleProgress()],
                           runs_dir=args.out or _runs_root(s.path), notes=notes, plan=plan)
    result = trial.result
    if result.bad_input:
        print(f"error: {result.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{result.reason}: {result.message}")
    if trial.run_dir is not None:
        _compare(s.path, trial.run_dir)
    print(trial.run_dir)
    return EXIT_CODES[result.reason]


def _compare(original: Path, twin: Path) -> None:
    from engine.experiments.cleaning import compare_text
    from engine.runs.reader import read_run

    try:
        lines = compare_text(read_run(original), read_run(twin))
    except (OSError, ValueError) as exc:
        lines = [f"the run and its twin could not be compared: {exc}"]
    for line in lines:
        print(line)


def add_commands(sub) -> None:
    score_help = " ".join(f"{k}: {v}" for k, v in SCORE_HELP.items())
    for name in ("suspects", "clean"):
        p = sub.add_parser(name, help=COMMANDS[name])
        p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder")
        p.add_argument("--score", choices=SCORES, default=DEFAULT_SCORE,
                       help=f"the ranking (default {DEFAULT_SCORE}). {score_help}")
        if name == "suspects":
            p.add_argument("--top", type=int, metavar="K", help=f"the K most suspect (default: {TEXT_TOP}; all with --json)")
            p.add_argument("--json", action="store_true", help="the ranking as JSON, under \"suspects\"")
            p.set_defaults(func=cmd_suspects)
        else:
            p.add_argument("--top", type=int, metavar="K",
                           help="how many to take out (default: estimated from the run's own dynamics, never "
                                "from the labels it corrupted on purpose)")
            p.add_argument("--relabel", action="store_true",
                           help="give each the class that beat its label most often over the scoring epochs (before "
                                "the network memorized it) instead of removing it; one its label always beat keeps it")
            p.add_argument("--out", metavar="DIR", help="runs folder for the twin (default: beside the run, or "
                           "beside its experiment)")
            p.set_defaults(func=cmd_clean)
