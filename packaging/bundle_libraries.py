"""Prune a Linux PyInstaller build to the shared libraries it loads (packaging/elf_needed.py).

Called from packaging/overfit-lab.spec with the Analysis' binaries; returns them without
the libraries nothing reaches, and writes what was left out, and which libraries the
system must supply, to a report file (build/bundle-libraries.txt) for whoever builds it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from elf_needed import closure, is_elf

# Opened with ctypes from inside a lib/ folder: torch/__init__.py loads libtorch_global_deps
# before anything else.
CTYPES_LOADED = ("torch/lib/libtorch_global_deps.so",)


def _is_root(dest: str, kind: str) -> bool:
    """Loaded by something other than the dynamic linker, so no DT_NEEDED leads to it."""
    path = PurePosixPath(dest)
    folders = path.parts[:-1]
    if kind == "EXTENSION":  # Python extension modules: imported
        return True
    if "plugins" in folders and "Qt" in folders:  # Qt's plugins: opened by Qt
        return True
    if path.name.startswith("libpython") or dest in CTYPES_LOADED:
        return True
    if ".so" not in path.name:  # an executable (torch/bin/...): run, not loaded
        return True
    # A package's own library beside its Python files (torchvision/_C_stable.so, opened by
    # torch.ops.load_library; libpyside6) is the package's to open. Libraries in a lib/ or
    # .libs/ folder, or at the top (collected for another library), are reached by DT_NEEDED.
    return bool(folders) and not any(f == "lib" or f.endswith(".libs") for f in folders)


def prune(binaries: list[tuple[str, str, str]], report_path: Path) -> tuple[list, str]:
    elf = [(dest, src, kind) for dest, src, kind in binaries if is_elf(src)]
    roots = [src for dest, src, kind in elf if _is_root(dest, kind)]
    candidates = [src for dest, src, kind in elf if not _is_root(dest, kind)]
    kept, unresolved = closure(roots, candidates)
    dropped = [(dest, src) for dest, src, kind in elf if not _is_root(dest, kind) and src not in kept]
    gone = set(dropped)
    out = [entry for entry in binaries if (entry[0], entry[1]) not in gone]
    size = sum(Path(src).stat().st_size for _, src in dropped)
    lines = [f"# {len(out)} binaries kept, {len(dropped)} shared libraries left out "
             f"({size / 1e9:.2f} GB): nothing the bundle loads depends on them"]
    lines += [f"dropped {dest}" for dest, _ in sorted(dropped)]
    lines += [f"system {name}  (needed by {len(users)} files)" for name, users in sorted(unresolved.items())]
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text("\n".join(lines) + "\n")
    return out, f"bundle_libraries: {lines[0][2:]}; the list is in {report_path}"


def without_links(datas: list[tuple[str, str, str]]) -> list:
    """PyInstaller puts a link to each versioned library at the top of the bundle (in the
    datas, kind SYMLINK). Drop them: the libraries load through their RUNPATHs, and a FAT
    or exFAT USB stick, which a bundle is carried on, cannot store links (`make
    bundle-check` fails on a folder that has one)."""
    return [entry for entry in datas if entry[2] != "SYMLINK"]
