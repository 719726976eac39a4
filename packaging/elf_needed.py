"""Which shared libraries a Linux bundle needs, read from the ELF files themselves.

torch's Linux wheel brings 3 GB of CUDA libraries (and triton, 0.9 GB); the CPU build
loads only some of them. A library is kept when something the bundle loads lists it as a
dependency (DT_NEEDED in its dynamic section), directly or through another library;
what nothing asks for is left out. The roots are what gets loaded by other means than the
dynamic linker: Python's extension modules (imported), Qt's plugins (opened by Qt),
libpython (the bootloader) and the few libraries Python code opens with ctypes.

The dynamic section is found through the program headers (PT_DYNAMIC), which every
shared library keeps even when stripped of its section headers; no tool is run, so the
result does not depend on which libraries the build machine has installed.
"""

from __future__ import annotations

import mmap
import struct
from collections import deque
from collections.abc import Iterable
from pathlib import Path

PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_NEEDED, DT_STRTAB, DT_SONAME, DT_RPATH, DT_RUNPATH = 0, 1, 5, 14, 15, 29


class NotELF(ValueError):
    pass


def needed(path: str | Path) -> list[str]:
    """The DT_NEEDED names of one ELF file, in order. NotELF for anything else."""
    return dynamic(path)[0]


def dynamic(path: str | Path) -> tuple[list[str], str | None]:
    """(DT_NEEDED names in order, DT_SONAME or None) of one ELF file."""
    entries = _read(path)
    return entries[DT_NEEDED], entries[DT_SONAME]


def search_path(path: str | Path) -> list[Path]:
    """The folders the dynamic linker searches first for this file's own DT_NEEDED names:
    its DT_RUNPATH, or its DT_RPATH where it has no RUNPATH, with $ORIGIN made the file's
    folder. (An executable's RPATH also serves its libraries; a bundle's files are found
    through their own.)"""
    entries = _read(path)
    text = entries[DT_RUNPATH] if entries[DT_RUNPATH] is not None else entries[DT_RPATH]
    origin = str(Path(path).parent)
    return [Path(d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin))
            for d in (text or "").split(":") if d]


def _read(path: str | Path) -> dict:
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            raise NotELF(f"{path}: not an ELF file")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            try:
                return _dynamic(m, str(path))
            except (struct.error, IndexError, ValueError) as e:
                raise NotELF(f"{path}: a damaged ELF file ({e})") from e


def _dynamic(m: mmap.mmap, path: str) -> dict:
    """{DT_NEEDED: [names], DT_SONAME, DT_RPATH, DT_RUNPATH: text or None} of a mapped file."""
    wide = m[4] == 2  # EI_CLASS: 1 = 32-bit, 2 = 64-bit
    end = "<" if m[5] == 1 else ">"  # EI_DATA: 1 = little-endian
    if wide:
        phoff, = struct.unpack_from(end + "Q", m, 0x20)
        phentsize, phnum = struct.unpack_from(end + "HH", m, 0x36)
        ph_fmt, dyn_fmt = end + "IIQQQQQQ", end + "qQ"
    else:
        phoff, = struct.unpack_from(end + "I", m, 0x1C)
        phentsize, phnum = struct.unpack_from(end + "HH", m, 0x2A)
        ph_fmt, dyn_fmt = end + "IIIIIIII", end + "iI"
    loads, dynamic = [], None
    for i in range(phnum):
        fields = struct.unpack_from(ph_fmt, m, phoff + i * phentsize)
        if wide:
            p_type, _flags, offset, vaddr, _paddr, filesz = fields[:6]
        else:
            p_type, offset, vaddr, _paddr, filesz = fields[:5]
        if p_type == PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (offset, filesz)
    found: dict = {DT_NEEDED: [], DT_SONAME: None, DT_RPATH: None, DT_RUNPATH: None}
    if dynamic is None:
        return found  # statically linked: needs nothing
    names, strtab, offsets = [], None, {}
    size = struct.calcsize(dyn_fmt)
    for pos in range(dynamic[0], dynamic[0] + dynamic[1], size):
        tag, value = struct.unpack_from(dyn_fmt, m, pos)
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            names.append(value)
        elif tag == DT_STRTAB:
            strtab = value
        elif tag in (DT_SONAME, DT_RPATH, DT_RUNPATH):
            offsets[tag] = value
    if not names and not offsets:
        return found
    if strtab is None:
        raise NotELF(f"{path}: a dynamic section with no string table")
    base = _file_offset(loads, strtab, path)

    def string(offset: int) -> str:
        stop = m.find(b"\0", base + offset)
        return m[base + offset:stop].decode("utf-8", "replace")

    found[DT_NEEDED] = [string(o) for o in names]
    found.update({tag: string(o) for tag, o in offsets.items()})
    return found


def _file_offset(loads: list[tuple[int, int, int]], vaddr: int, path: str) -> int:
    for start, offset, filesz in loads:
        if start <= vaddr < start + filesz:
            return offset + (vaddr - start)
    raise NotELF(f"{path}: the string table lies outside every loaded segment")


def is_elf(path: str | Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def closure(roots: Iterable[str], candidates: Iterable[str]) -> tuple[set[str], dict[str, set[str]]]:
    """Follow DT_NEEDED from `roots` (paths) through `candidates` (paths of the libraries
    that could be bundled, matched by file name and by DT_SONAME). Returns the candidate
    paths reached and, for each needed name that neither a candidate nor a root provides,
    the files that asked for it (libraries the system is expected to supply, such as libc
    or libX11). A root or candidate that is not a readable ELF file raises NotELF: a
    library whose dependencies cannot be read must not have them left out."""
    roots, candidates = list(roots), list(candidates)
    provides: dict[str, list[str]] = {}
    for path in candidates:
        for name in {Path(path).name, dynamic(path)[1]} - {None}:
            provides.setdefault(name, []).append(path)
    root_names = {Path(p).name for p in roots} | {dynamic(p)[1] for p in roots} - {None}
    kept: set[str] = set()
    unresolved: dict[str, set[str]] = {}
    seen: set[str] = set()
    queue = deque(roots)
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        for name in needed(path):
            providers = provides.get(name)
            if not providers:
                if name not in root_names:
                    unresolved.setdefault(name, set()).add(path)
                continue
            for provider in providers:
                kept.add(provider)
                queue.append(provider)
    return kept, unresolved
