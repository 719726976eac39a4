"""What changed in an image folder since a run trained on it, in the words a user acts on:
which files it trained on are gone (or moved, and where to), which are new. One file added
or moved shifts every later position, so "training example 1 is another file now" would
name an untouched file: the files themselves are compared instead. No torch."""

from __future__ import annotations

import os
from pathlib import Path

SHOWN = 5  # files named per kind of change; the rest are counted


def _relative(path: str, root: str) -> str:
    try:
        return Path(path).relative_to(Path(root).expanduser()).as_posix()
    except ValueError:
        return str(path)


def folder_changes(root: str, was: list[str], now: list[str], every: bool = True) -> str:
    """`was`: files the run trained on (`every` one, or only those a record names); `now`: the
    training split's files as the folder builds it today (absolute, or relative to `root`).
    A sentence naming the files gone, moved and new; "" when no recorded file is gone and
    none is new (then only their order changed)."""
    base = Path(root).expanduser()

    def full(p: str) -> Path:
        return Path(p) if os.path.isabs(p) else base / p

    was_rel = [_relative(str(full(p)), root) for p in was]
    now_rel = [_relative(str(full(p)), root) for p in now]
    gone = [p for p in was_rel if not full(p).is_file()]
    by_name: dict[str, list[str]] = {}
    if gone and base.is_dir():
        wanted = {Path(p).name for p in gone}
        for found in base.rglob("*"):
            if found.name in wanted and found.is_file():
                by_name.setdefault(found.name, []).append(_relative(str(found), root))
    recorded = set(was_rel)
    parts, new = [], []
    for p in gone[:SHOWN]:
        elsewhere = [q for q in by_name.get(Path(p).name, []) if q not in recorded]
        new += elsewhere
        parts.append(f"{p} is gone" + (f"; {elsewhere[0]} is new" if elsewhere else ""))
    if len(gone) > SHOWN:
        parts.append(f"{len(gone) - SHOWN:,} more of the files it trained on are gone")
    if every:  # a full record: the files new to the training split
        added = [p for p in now_rel if p not in recorded and p not in new]
        if parts and added:  # the split is drawn again from the changed folder: others swap in too
            parts.append(f"so {len(added):,} other files are in its training split now "
                         "(the split is drawn again from the changed folder)")
        else:
            parts += [f"{p} is new to its training split" for p in added[:SHOWN]]
            if len(added) > SHOWN:
                parts.append(f"{len(added) - SHOWN:,} more files are new to its training split")
    return "; ".join(parts)
