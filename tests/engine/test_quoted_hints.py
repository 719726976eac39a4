"""Every path in a command a hint prints is quoted for the platform's shell: a runs folder
under macOS's "Application Support" (or any folder with a space or a quote in its name)
must come back whole when the user pastes the command."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core.files import shell_quote

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--set", "data.train_size=200", "--set", "data.val_size=200", "--set", "model.width=16",
        "--set", "model.depth=1", "--set", "optim.epochs=1"]
posix = pytest.mark.skipif(os.name == "nt", reason="the hint is split as a POSIX shell splits it")


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def typed(line: str, start: str) -> list[str]:
    """The arguments a POSIX shell makes of the command that begins at `start` in `line`."""
    command = line[line.index(start):].rstrip(")`. \n")
    return shlex.split(command)


def test_shell_quote_leaves_a_plain_path_alone_and_quotes_one_with_a_space(tmp_path):
    assert shell_quote("/runs/overfit-1") == "/runs/overfit-1"
    quoted = shell_quote(Path("/Users/ana/Library/Application Support/Overfit Lab/runs"))
    if os.name == "nt":
        assert quoted == '"/Users/ana/Library/Application Support/Overfit Lab/runs"'
    else:
        assert shlex.split(quoted) == ["/Users/ana/Library/Application Support/Overfit Lab/runs"]
        assert shlex.split(shell_quote("/runs/it's")) == ["/runs/it's"]


@posix
def test_the_search_workers_hint_names_the_runs_folder_whole(tmp_path):
    out = tmp_path / "Application Support" / "runs"
    proc = cli("search", "--preset", "overfit", *TINY, "--trials", "1", "--workers", "0",
               "--study", "my study", "--out", out)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if "join it with" in x)
    args = typed(line, "python main.py")
    assert args[args.index("--study") + 1] == "my study"
    assert args[args.index("--out") + 1] == str(out)


@posix
def test_the_best_trials_evaluate_hint_names_its_run_whole(tmp_path):
    out = tmp_path / "Application Support"
    proc = cli("search", "--preset", "overfit", *TINY, "--trials", "1", "--out", out)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if " evaluate " in x)
    args = typed(line, "python main.py")
    run = Path(args[args.index("evaluate") + 1])
    assert out in run.parents and (run / "summary.json").is_file()
    assert args[args.index("--weights") + 1] in ("best", "last")


@posix
def test_the_no_dynamics_hint_names_the_runs_config_whole(tmp_path):
    out = tmp_path / "Application Support"
    trained = cli("train", "--preset", "overfit", *TINY, "--set", "run.record_examples=false", "--out", out)
    assert trained.returncode == 0, trained.stderr
    run = next(p.parent for p in out.rglob("summary.json"))
    proc = cli("suspects", run)
    assert proc.returncode != 0
    line = next(x for x in proc.stderr.splitlines() if "--config" in x)
    args = typed(line, "python main.py")
    assert args[args.index("--config") + 1] == str(run / "config.json")
    assert (run / "config.json").is_file()
