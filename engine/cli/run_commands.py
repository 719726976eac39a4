"""Runs seen and steered from the command line, whoever writes them (this app's window, a
headless run, a script with the logger, another host on a shared folder):
`main.py runs [DIR] [--json]`, `main.py stop | pause RUN_DIR...`, `main.py resume RUN_DIR`.

Nothing here imports torch: listing a runs folder reads files only."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from engine.core.arguments import COMMANDS, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK

WAIT_S = 10.0  # how long stop / pause / resume wait to see the run obey
JSON_KEYS = ("path", "name", "status", "summary_status", "epochs_done", "epochs_planned", "best_val_accuracy",
             "started_at", "source", "error")


def describe(folder: Path) -> dict:
    """One run folder as `main.py runs` shows it (JSON_KEYS); a damaged one as "unreadable",
    its error naming the file."""
    from engine.runs.reader import read_run, status_word

    row = dict.fromkeys(JSON_KEYS)
    row["path"] = str(folder)
    try:
        record = read_run(folder)
    except (OSError, ValueError) as exc:  # UnreadableRun (an OSError) names the file
        return {**row, "status": "unreadable", "error": str(exc)}
    summary, config = record.summary, record.config
    accuracies = [e["val_accuracy"] for e in record.epochs if isinstance(e.get("val_accuracy"), int | float)]
    planned = (config.get("optim") or {}).get("epochs") if isinstance(config.get("optim"), dict) else None
    done = max((e["epoch"] for e in record.epochs if isinstance(e.get("epoch"), int)), default=0)
    row.update(name=summary.get("name") or (config.get("run") or {}).get("name") or folder.name,
               status=status_word(record), summary_status=summary.get("status"),
               epochs_done=max(done, summary.get("epochs_completed") or 0),
               epochs_planned=planned if isinstance(planned, int) else None,
               best_val_accuracy=max(accuracies) if accuracies else None,
               started_at=summary.get("started_at"), source=summary.get("source") or "engine")
    return row


def cmd_runs(args) -> int:
    from engine.runs.reader import default_runs_dir, list_runs

    root = Path(args.dir) if args.dir else default_runs_dir()
    if not root.is_dir():
        if args.dir:
            print(f"error: {root}: no such folder", file=sys.stderr)
            return EXIT_BAD_INPUT
        rows = []  # the app's runs folder before any run: nothing to list
    else:
        # the runs of the folder, then those of its experiments (a curve's, a search's trials)
        experiments = sorted(p for p in root.iterdir() if (p / "experiment.json").is_file())
        rows = [describe(folder) for folder in [*list_runs(root), *(r for e in experiments for r in list_runs(e))]]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print(f"no run folders in {root}")
        return EXIT_OK
    width = max(len(r["status"]) for r in rows)
    print(f"{'status':<{width}}  {'epochs':>9}  {'best val':>8}  {'started':<24}  name  (folder)")
    for r in rows:
        if r["error"]:
            print(f"{r['status']:<{width}}  {'':>9}  {'':>8}  {'':<24}  {r['error']}")
            continue
        epochs = f"{r['epochs_done']}/{r['epochs_planned'] if r['epochs_planned'] is not None else '?'}"
        best = f"{r['best_val_accuracy']:.1%}" if r["best_val_accuracy"] is not None else "–"
        folder = Path(r["path"])
        where = folder.name if folder.parent == root else f"{folder.parent.name}/{folder.name}"
        print(f"{r['status']:<{width}}  {epochs:>9}  {best:>8}  {r['started_at'] or '':<24}  {r['name']}  ({where})")
    return EXIT_OK


def command_runs(command: str, folders: list[str], wait_s: float) -> int:
    """Send `command` to each run folder; wait up to `wait_s` until each has obeyed (stop: its
    summary says it ended; pause: it wrote its Paused event; resume: its Resumed one)."""
    from engine.runs.remote import ControlRefused, send_command

    asked, code = [], EXIT_OK
    for name in folders:
        try:
            send_command(name, command)
        except ControlRefused as exc:
            print(f"error: {exc}", file=sys.stderr)
            code = EXIT_BAD_INPUT
            continue
        asked.append(Path(name))
    if wait_s <= 0:
        for folder in asked:
            print(f"{folder}: asked to {command}")
        return code
    obeyed = {"stop": lambda r: r["status"] not in ("running", "paused"),  # ended, or its writer gone
              "pause": lambda r: r["status"] != "running",
              "resume": lambda r: r["status"] != "paused"}[command]
    deadline, pending = time.monotonic() + wait_s, list(asked)
    while pending:
        for folder in list(pending):
            row = describe(folder)  # (read again: its status now)
            if obeyed(row):
                pending.remove(folder)
                message = _summary_message(folder) if command == "stop" else ""
                print(f"{folder}: {row['status']}{f' ({message})' if message else ''}")
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    from engine.core.files import command_hint

    for folder in pending:
        print(f"{folder}: asked to {command}, not done after {wait_s:g} s (a run obeys at its next batch; "
              f"`{command_hint()} runs {folder.parent}` shows its status)", file=sys.stderr)
        code = code or EXIT_FAILED
    return code


def _summary_message(folder: Path) -> str:
    try:
        return str(json.loads((folder / "summary.json").read_text(encoding="utf-8")).get("message") or "")
    except (OSError, ValueError, AttributeError):
        return ""


def cmd_stop(args) -> int:
    return command_runs("stop", args.run_dirs, 0 if args.no_wait else WAIT_S)


def cmd_pause(args) -> int:
    return command_runs("pause", args.run_dirs, 0 if args.no_wait else WAIT_S)


def is_run_folder(path: str | Path) -> bool:
    """A run folder (not an experiment folder): `resume` goes on with a paused run there."""
    folder = Path(path)
    return not (folder / "experiment.json").is_file() and (folder / "summary.json").is_file()


def resume_run(path: str | Path) -> int:
    return command_runs("resume", [str(path)], WAIT_S)


def add_commands(sub) -> None:
    runs = sub.add_parser("runs", help=COMMANDS["runs"])
    runs.add_argument("dir", metavar="DIR", nargs="?", help="a runs folder (default: the app's)")
    runs.add_argument("--json", action="store_true", help="print a list of objects, one a run folder: "
                      + ", ".join(JSON_KEYS))
    runs.set_defaults(func=cmd_runs)
    for name, func in (("stop", cmd_stop), ("pause", cmd_pause)):
        parser = sub.add_parser(name, help=COMMANDS[name])
        parser.add_argument("run_dirs", metavar="RUN_DIR", nargs="+", help="a run folder (several allowed)")
        parser.add_argument("--no-wait", action="store_true",
                            help=f"ask and return (default: wait up to {WAIT_S:g} s for the run to {name})")
        parser.set_defaults(func=func)
