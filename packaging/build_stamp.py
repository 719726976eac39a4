"""What a bundle records about its build (resources/build-info.json): the commit, and what
it carries that no commit holds. `overfit-lab --version` prints it; `make bundle-check`
refuses a bundle that is not exactly a commit."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

# What goes into the bundle, or decides how it is built.
BUNDLED = ("main.py", "engine", "gui", "resources", "pyproject.toml", "packaging/overfit-lab.spec",
           "packaging/rthook_cpu_only.py", "packaging/bundle_libraries.py", "packaging/elf_needed.py",
           "packaging/build_stamp.py", "packaging/bundle-README.txt")


def _git(root: Path, *args: str) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def uncommitted(root: Path) -> list[str]:
    """The files the bundle carries that differ from HEAD: changed, staged, deleted, or
    untracked (a new module or preset the build picks up but no commit holds)."""
    out = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *BUNDLED)
    if not out:
        return []
    changes, entries = [], iter(out.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        changes.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy: the next entry is where it came from
            next(entries, None)
    return changes


def build_stamp(root: Path, version: str) -> dict:
    changes = uncommitted(root)
    return {"version": version, "commit": (_git(root, "rev-parse", "HEAD") or "").strip() or "unknown",
            "dirty": bool(changes), "changes": changes[:20],
            "built": datetime.date.today().isoformat(), "platform": sys.platform}
