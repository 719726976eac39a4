"""`make bundle-check`'s library check: does each ELF file in a bundle find, inside the
bundle, every library a wheel of the build environment provides?

ldd resolves each file as the dynamic linker would. Two ways a bundle that lacks a
library could still look complete are closed here:
  - a library ldd finds on the build machine's system (its ldconfig cache, /usr/lib),
    though a wheel provides it, is missing on a user's machine: it fails;
  - a "not found" is not forgiven because a file of that name lies somewhere in the
    bundle: only a copy in a folder of the requesting library's own RUNPATH (or RPATH)
    counts, or one already loaded where the file is loaded (the linker reuses a loaded
    library of the same soname): by what loads it (scipy.libs' libgfortran finds its
    libquadmath so), or by `import torch` (how torchvision's operators, which carry no
    RUNPATH into the bundle, find torch's libraries).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from elf_needed import NotELF, dynamic, is_elf, search_path

# Loaded by `import torch` before anything that links against torch's libraries is opened:
# torch's extension module and the library torch/__init__.py opens with ctypes.
LOADED_BY_IMPORT_TORCH = ("torch/_C.*.so", "torch/lib/libtorch_global_deps.so")


@dataclass
class LibraryReport:
    failures: list[str] = field(default_factory=list)  # a library a wheel provides, not found in the bundle
    system_missing: dict[str, list[str]] = field(default_factory=dict)  # a system library this machine lacks -> its users


def parse_ldd(text: str) -> list[tuple[str, Path | None]]:
    """(needed name, the file it resolved to or None for "not found") for each line of ldd's
    output that names a library by its DT_NEEDED name (not the vDSO or the loader)."""
    found = []
    for line in text.splitlines():
        if "=>" not in line:
            continue
        name, target = (part.strip() for part in line.split("=>", 1))
        if target.startswith("not found"):
            found.append((name, None))
        elif target.startswith("/"):
            found.append((name, Path(target.rsplit(" (0x", 1)[0])))
    return found


def ldd(path: Path) -> str:
    return subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False).stdout


def inside(folder: Path, path: Path) -> bool:
    return folder.resolve() in path.resolve().parents


def _names(path: Path) -> set[str]:
    try:
        return {path.name, dynamic(path)[1]} - {None}
    except (NotELF, OSError):
        return {path.name}


def loaded_by_import_torch(bundle: Path) -> set[str]:
    """Names (file names and sonames) of the bundle's libraries that `import torch` loads."""
    loaded: set[str] = set()
    for pattern in LOADED_BY_IMPORT_TORCH:
        for root in bundle.rglob(pattern):
            loaded |= _names(root)
            for _name, target in parse_ldd(ldd(root)):
                if target is not None and inside(bundle, target):
                    loaded |= _names(target)
    return loaded


def _on_runpath(requesters: Iterable[Path], name: str, bundle: Path) -> Path | None:
    for requester in requesters:
        try:
            folders = search_path(requester)
        except (NotELF, OSError):
            continue
        for folder in folders:
            candidate = folder / name
            if candidate.is_file() and inside(bundle, candidate):
                return candidate
    return None


def _requesters(path: Path, resolved: list[tuple[str, Path | None]], name: str) -> list[Path]:
    """The files among `path` and what it loads whose DT_NEEDED lists `name`."""
    objects = [path, *(target for _, target in resolved if target is not None)]
    found = []
    for obj in objects:
        try:
            if name in dynamic(obj)[0]:
                found.append(obj)
        except (NotELF, OSError):
            continue
    return found


def _judge(path: Path, resolved: list[tuple[str, Path | None]], bundle: Path, provided: dict[str, str],
           fine: set[str], everything: dict[str, list[Path]], report: LibraryReport) -> None:
    """Add to `report` what `path`'s ldd lines say is missing. `fine`: names found in the
    bundle wherever `path` is loaded (by import torch, or by what loads it); `provided`:
    library file name -> the wheel (site-packages folder) that has it; `everything`: file
    name -> the bundle's files of that name (to say where a copy lies that is not seen)."""
    rel = path.relative_to(bundle)
    for name, target in resolved:
        if name in fine:
            continue
        if target is not None:
            if name in provided and not inside(bundle, target):
                report.failures.append(
                    f"{rel} needs {name}, which resolves outside the bundle, to {target}: the build "
                    f"environment's {provided[name]} has it, and a user's machine need not")
            continue
        requesters = _requesters(path, resolved, name) or [path]
        if _on_runpath(requesters, name, bundle) is not None:
            continue
        if name in provided:
            copies = everything.get(name, [])
            where = (f"; the copy at {copies[0].relative_to(bundle)} is not on the RUNPATH of "
                     f"{', '.join(str(r.relative_to(bundle)) if inside(bundle, r) else str(r) for r in requesters)}"
                     if copies else "")
            report.failures.append(f"{rel} needs {name}, which the bundle lacks "
                                   f"(the build environment's {provided[name]} has it){where}")
        else:
            report.system_missing.setdefault(name, []).append(str(rel))


def check_bundle_libraries(bundle: Path, provided: dict[str, str]) -> LibraryReport:
    """Run ldd on every ELF file in `bundle` and collect what it lacks.

    ldd resolves each file alone, but a library is loaded by others: what one that loads
    it (its ldd listing it inside the bundle) finds in the bundle is found for it too (the
    linker matches a loaded library by its soname), and what `import torch` loaded is there
    for everything opened after it."""
    report = LibraryReport()
    preloaded = loaded_by_import_torch(bundle)
    everything: dict[str, list[Path]] = {}
    files = sorted(bundle.rglob("*"))
    for path in files:
        if path.is_file():
            everything.setdefault(path.name, []).append(path)
    elf = [p for p in files if not p.is_symlink() and p.is_file() and is_elf(p)]
    resolved = {path: parse_ldd(ldd(path)) for path in elf}
    found_by_loaders: dict[Path, set[str]] = {}
    for lines in resolved.values():
        inside_names = {name for name, target in lines if target is not None and inside(bundle, target)}
        for name, target in lines:
            if target is not None and name in inside_names:
                found_by_loaders.setdefault(target.resolve(), set()).update(inside_names - {name})
    for path in elf:
        fine = preloaded | found_by_loaders.get(path.resolve(), set())
        _judge(path, resolved[path], bundle, provided, fine, everything, report)
    return report
