"""Headless search: `python main.py search ...` and `python main.py search-worker ...`.

`search` creates (or resumes) a study — in a journal file of the study's folder, or in
PostgreSQL with --storage — and runs its trials: in this process, or in --workers K worker
processes sharing the study. `search-worker` joins an existing study from any machine that
can reach the storage, and takes trials until the study's budget is spent. Each prints a
line per finished trial and the best so far; trial runs are normal run folders."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from engine.core import events as ev
from engine.core.arguments import COMMANDS, EXIT_FAILED, EXIT_OK, add_settings_arguments, refuse
from engine.core.config import Config, ConfigError, resolve, search_section
from engine.core.control import RunControl, stop_on_sigint
from engine.core.files import command_hint, shell_quote
from engine.training.callbacks import Callback


def _told(number, state, value, changes, result) -> None:
    params = ", ".join(f"{k.split('.')[-1]}={v:.3g}" if isinstance(v, float) else f"{k.split('.')[-1]}={v}"
                       for k, v in changes.items())
    shown = f"{value:.4f}" if value is not None else "–"
    print(f"trial {number}: {state}, value {shown}, {result.epochs_completed} epochs ({params})", flush=True)


def _run_worker(study, settings, base: Config, folder: Path, deadline: float | None) -> str:
    from engine.search.runner import run_worker
    from engine.search.storage import summary_line

    def told(*args):
        _told(*args)
        print(f"  {summary_line(study)}", flush=True)

    control = RunControl()
    with stop_on_sigint(control):
        return run_worker(study, settings, base, folder, deadline, control=control, on_told=told,
                          subscribers=[_SayWhyItFailed()])


class _SayWhyItFailed(Callback):
    """The search's own failure (every trial refused, say) on stderr: exit code 1 with a why."""

    def on_event(self, event) -> None:
        if isinstance(event, ev.ExperimentFinished) and event.reason == ev.FAILED:
            print(f"error: {event.message}", file=sys.stderr, flush=True)


def cmd_search(args) -> int:
    from engine.runs.reader import default_runs_dir
    from engine.search.space import search_settings
    from engine.search.storage import summary_line

    try:
        base = resolve(args.config, args.preset, args.set or [])
        settings = search_settings(search_section(args.config, args.preset), base)
        from engine.core.lessons import refuse_locked_plan

        refuse_locked_plan(args.config, base, searched=settings.space)  # no trial varies a locked setting
        if args.trials is not None:
            if args.trials < 1:
                raise ConfigError("trials", args.trials, "at least 1")
            settings.trials = args.trials
        if args.timeout is not None:
            settings.timeout_min = args.timeout
        name = args.study or f"{base.run.name or args.preset or 'search'}-search"
        from engine.search.runner import start_study

        study, folder = start_study(base, settings, name, Path(args.out or default_runs_dir()), args.storage)
    except ConfigError as exc:
        return refuse(exc)
    print(f"study {name!r}: {settings.trials} trials, {settings.objective} ({settings.direction}), "
          f"{settings.sampler} sampler, {settings.pruner} pruner; runs in {folder}", flush=True)
    deadline = time.time() + settings.timeout_min * 60 if settings.timeout_min else None
    if args.workers == 0:  # the study only: workers join it (`main.py search-worker`), here or elsewhere
        print(f"study created; join it with: {command_hint()} search-worker --study {shell_quote(name)}"
              + (" --storage URL" if args.storage else f" --out {shell_quote(folder.parent)}"))
        return EXIT_OK
    if args.workers > 1:
        code = _spawn_workers(args, name, folder)
    else:
        reason = _run_worker(study, settings, base, folder, deadline)
        code = EXIT_OK if reason in ev.USABLE else EXIT_FAILED
    print(summary_line(study))
    best = _best_run(study)
    if best:
        from engine.runs.reader import ending_weights

        print("evaluate the best trial once on the locked test split (the weights its value is of): "
              f"{command_hint()} evaluate {shell_quote(best)} --weights {shell_quote(ending_weights(best))}")
    print(folder)
    return code


def _best_run(study) -> str | None:
    try:
        return study.best_trial.user_attrs.get("run_dir")
    except ValueError:  # no trial completed
        return None


def _spawn_workers(args, name: str, folder: Path) -> int:
    import os

    threads = max(1, (os.cpu_count() or 1) // args.workers)
    from engine.core.files import command_line_of_this_app

    command = [*command_line_of_this_app(), "search-worker",
               "--study", name, "--threads", str(threads), "--out", str(folder.parent)]
    if args.storage:
        command += ["--storage", args.storage]
    procs = [subprocess.Popen(command) for _ in range(args.workers)]
    codes = [p.wait() for p in procs]
    return EXIT_OK if all(c == 0 for c in codes) else EXIT_FAILED


def cmd_search_worker(args) -> int:
    import torch

    from engine.runs.reader import default_runs_dir
    from engine.search.space import SearchSettings, search_settings
    from engine.search.storage import open_storage, open_study, summary_line

    if args.threads:
        torch.set_num_threads(args.threads)
    folder = Path(args.out or default_runs_dir()) / args.study
    try:
        if not args.storage and not (folder / "study.journal").is_file():
            raise ConfigError("study", args.study, f"a study with a journal in {folder} (start it with "
                              f"`{command_hint()} search`), or --storage URL")
        storage = open_storage(args.storage, folder)
        import optuna

        try:
            study = optuna.load_study(study_name=args.study, storage=storage)
        except KeyError:
            raise ConfigError("study", args.study, "an existing study in that storage (start it with "
                              f"`{command_hint()} search`)") from None
        base = Config.from_dict(study.user_attrs["base"])
        recorded = study.user_attrs.get("search", {})
        extra = study.user_attrs.get("settings", {})
        settings = search_settings({"params": {k: ({"low": v[0], "high": v[1], "log": v[2]} if v[3] is None else v[3])
                                               for k, v in recorded.get("space", {}).items()},
                                    "objective": recorded.get("objective", "val_accuracy"),
                                    **{k: v for k, v in extra.items() if v is not None}})
        study = open_study(args.study, settings, storage, create=False)
    except ConfigError as exc:
        return refuse(exc)
    assert isinstance(settings, SearchSettings)
    folder.mkdir(parents=True, exist_ok=True)
    deadline = time.time() + settings.timeout_min * 60 if settings.timeout_min else None
    reason = _run_worker(study, settings, base, folder, deadline)
    print(summary_line(study), flush=True)
    return EXIT_OK if reason in ev.USABLE else EXIT_FAILED


def add_commands(sub) -> None:
    search = sub.add_parser("search", help=COMMANDS["search"])
    add_settings_arguments(search, config_help="settings file; its [search] table says what to search",
                           set_help="override one base setting")
    search.add_argument("--trials", type=int, metavar="N", help="the study's budget of trials (default: [search] trials, 20)")
    search.add_argument("--timeout", type=float, metavar="MIN", help="stop starting trials after MIN minutes")
    search.add_argument("--storage", metavar="URL", help="postgresql+psycopg://user:password@host/db to share the "
                        "study across machines (default: a journal file in the study's folder)")
    search.add_argument("--study", metavar="NAME", help="the study's name (default: PRESET-search); an existing "
                        "study of that name is resumed")
    search.add_argument("--workers", type=int, default=1, metavar="K",
                        help="worker processes on this machine (0: create the study for workers elsewhere)")
    search.set_defaults(func=cmd_search)
    worker = sub.add_parser("search-worker", help=COMMANDS["search-worker"])
    worker.add_argument("--study", required=True, metavar="NAME")
    worker.add_argument("--storage", metavar="URL", help="the study's database (default: its journal in --out/NAME)")
    worker.add_argument("--out", metavar="DIR", help="runs folder (default: the user data dir)")
    worker.add_argument("--threads", type=int, metavar="N", help="torch threads of this worker")
    worker.set_defaults(func=cmd_search_worker)
