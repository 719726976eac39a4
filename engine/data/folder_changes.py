"""What changed in an image folder since a run trained on it, in the words a user acts on:
which files it trained on are gone (or moved, and where to), which are new. One file added
or moved shifts every later position, so "training example 1 is another file now" would
name an untouched file: the files themselves are compared instead. No torch."""

from __future__ import annotations

import os
from pathlib import Path

from engine.core.i18n import _, integer, n_

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
        parts.append(_("{file} is gone; {found} is new").format(file=p, found=elsewhere[0]) if elsewhere
                     else _("{file} is gone").format(file=p))
    if len(gone) > SHOWN:
        more = len(gone) - SHOWN
        parts.append(n_("{count} more of the files it trained on are gone",
                        "{count} more of the files it trained on are gone", more).format(count=integer(more)))
    if every:  # a full record: the files new to the training split
        added = [p for p in now_rel if p not in recorded and p not in new]
        if parts and added:  # the split is drawn again from the changed folder: others swap in too
            parts.append(n_("so {count} other files are in its training split now "
                            "(the split is drawn again from the changed folder)",
                            "so {count} other files are in its training split now "
                            "(the split is drawn again from the changed folder)", len(added)).format(
                count=integer(len(added))))
        else:
            parts += [_("{file} is new to its training split").format(file=p) for p in added[:SHOWN]]
            if len(added) > SHOWN:
                more = len(added) - SHOWN
                parts.append(n_("{count} more files are new to its training split",
                                "{count} more files are new to its training split", more).format(count=integer(more)))
    return "; ".join(parts)
