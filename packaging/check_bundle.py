"""`make bundle-check`: start the built app as a user would and fail if anything is missing.

The bundle must be of this checkout's commit and hold no symbolic link (a FAT or exFAT
stick cannot). With the system's own CUDA libraries hidden (Linux; a private mount
namespace, so the check cannot pass by borrowing them), the built executable:
  1. opens the window offscreen, trains one epoch of `overfit` and writes a screenshot;
  2. runs a two-trial search of the `transfer` preset in two worker processes (each the
     bundle's own executable; the shipped fashion_cnn backbone loads in both), whose hint
     names the bundle's executable;
  3. trains one epoch from the shipped SqueezeNet backbone (torchvision's model);
  4. (Linux) refuses run.device = cuda with the CPU build's reason;
and every ELF file in the bundle is resolved with ldd: a library that a wheel of the build
environment provides fails the check when the bundle lacks it (a copy elsewhere in the
bundle counts only on the requesting file's RUNPATH) or when it resolves outside the
bundle (from the build machine's system); what only the system can
provide (libc, X11, EGL) is listed, with the packages to install where they are missing,
and the glibc its files need is printed. Prints what it measured."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_stamp import BUNDLED  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist" / "overfit-lab"
CUDA_LIBRARY = re.compile(r"^lib(cuda|cudart|cublas|cublasLt|cudnn\w*|cufft\w*|cufile\w*|curand|cusolver\w*|"
                          r"cusparse\w*|cupti|nccl|nvrtc[\w-]*|nvJitLink|nvToolsExt|nvshmem\w*|nvperf\w*)\.so")


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def executable() -> Path:
    name = "overfit-lab-cli.exe" if os.name == "nt" else "overfit-lab"
    return DIST / name


# --- hiding the system's CUDA ----------------------------------------------------------------

def system_cuda_files() -> list[Path]:
    """CUDA libraries the dynamic linker would find outside the bundle (its cache and
    LD_LIBRARY_PATH)."""
    found = set()
    # Not always on a user's PATH (Debian's has no /usr/sbin): look where it lives too.
    ldconfig = shutil.which("ldconfig") or next((p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig")
                                                 if os.access(p, os.X_OK)), None)
    if ldconfig is None:
        raise SystemExit("error: ldconfig was not found, so the system's CUDA libraries cannot be found to hide; "
                         "pass --no-hide to check with them visible")
    cache = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False).stdout
    for line in cache.splitlines():
        if "=>" in line:
            path = Path(line.split("=>", 1)[1].strip())
            if CUDA_LIBRARY.match(path.name):
                found.add(path)
    for folder in os.environ.get("LD_LIBRARY_PATH", "").split(":"):
        if folder and Path(folder).is_dir():
            found.update(p for p in Path(folder).iterdir() if CUDA_LIBRARY.match(p.name))
    return sorted(p for p in found if p.exists() and DIST not in p.resolve().parents)


def rerun_hidden(files: list[Path], argv: list[str]) -> int:
    """Run this check again in a private mount namespace in which each folder holding a
    CUDA library is overlaid with a copy that lacks it (the rest of the folder stays)."""
    if not shutil.which("unshare"):
        print("error: `unshare` (util-linux) is needed to hide the system's CUDA libraries "
              f"({', '.join(map(str, files))}); pass --no-hide to check with them visible", file=sys.stderr)
        return 2
    folders = sorted({p.parent for p in files})
    scratch = Path(tempfile.mkdtemp(prefix="overfit-lab-hide-"))
    q = shlex.quote
    lines = ["set -e", f"mount -t tmpfs tmpfs {q(str(scratch))}"]
    for i, folder in enumerate(folders):
        upper, work = scratch / f"u{i}", scratch / f"w{i}"
        # overlay's options separate with commas and colons; escape them in the folder's name
        lower = str(folder).replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:")
        lines += [f"mkdir -p {q(str(upper))} {q(str(work))}",
                  f"mount -t overlay overlay -o {q(f'lowerdir={lower},upperdir={upper},workdir={work}')} {q(str(folder))}"]
        lines += [f"rm -f {q(str(p))}" for p in files if p.parent == folder]
    lines.append('exec "$@"')
    cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", "\n".join(lines), "sh",
           sys.executable, __file__, "--inside", *argv]
    if os.geteuid() != 0:
        cmd[1:1] = ["-r"]  # an unprivileged user namespace, where the kernel allows one
    env = dict(os.environ, OVERFIT_LAB_HIDDEN=os.pathsep.join(map(str, files)))
    try:
        return subprocess.run(cmd, env=env, check=False).returncode
    finally:
        scratch.rmdir()  # the tmpfs was mounted over it in the namespace only: empty here


# --- the checks ------------------------------------------------------------------------------

def finished(folder: Path) -> list[Path]:
    """The run folders under `folder` whose summary says they completed."""
    done = []
    for summary in sorted(folder.rglob("summary.json")):
        if json.loads(summary.read_text()).get("status") == "completed":
            done.append(summary.parent)
    return done


def run_app(args: list[str], tmp: Path, what: str, timeout: int = 900) -> tuple[float, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp / "config"),
               XDG_STATE_HOME=str(tmp / "state"), XDG_DATA_HOME=str(tmp / "data"))
    t0 = time.perf_counter()
    proc = subprocess.run([str(executable()), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=tmp, check=False)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"error: {what}: the bundle exited {proc.returncode}\n{proc.stdout[-4000:]}\n"
                         f"{proc.stderr[-4000:]}")
    return took, proc.stdout + proc.stderr


def check_window(tmp: Path) -> str:
    shot = tmp / "bundle-check.png"
    took, _ = run_app(["--preset", "overfit", "--run-epochs", "1", "--screenshot", str(shot),
                       "--runs-dir", str(tmp / "window-runs")], tmp, "the window")
    data = shot.read_bytes() if shot.is_file() else b""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"error: the window wrote no PNG at {shot}")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if width < 800 or height < 600:
        raise SystemExit(f"error: the window's screenshot is only {width}x{height}")
    runs = list((tmp / "window-runs").iterdir())
    if len(runs) != 1 or finished(runs[0]) != [runs[0]]:
        raise SystemExit(f"error: the window left {runs}, not one completed run folder")
    keep = ROOT / "build" / "bundle-check.png"
    keep.parent.mkdir(exist_ok=True)
    keep.write_bytes(data)
    return f"window: one epoch of `overfit` and a {width}x{height} screenshot in {took:.1f} s ({keep})"


def check_search(tmp: Path) -> str:
    out = tmp / "search-runs"
    took, log = run_app(["search", "--preset", "transfer", "--trials", "2", "--workers", "2",
                         "--set", "optim.epochs=1", "--out", str(out)], tmp, "the transfer search")
    trials = list(out.rglob("summary.json"))
    if len(trials) != 2 or len(finished(out)) != 2:
        raise SystemExit(f"error: the transfer search ran {len(trials)} trials, {len(finished(out))} completed; "
                         f"2 of 2 expected\n{log[-3000:]}")
    sys.path.insert(0, str(ROOT))
    from engine.core.files import shell_quote

    if f"{shell_quote(executable())} evaluate" not in log:
        raise SystemExit(f"error: the search's hint does not name the bundle's executable:\n{log[-1500:]}")
    return f"search: two `transfer` trials (fashion_cnn backbone) in two worker processes in {took:.1f} s"


def check_squeezenet(tmp: Path) -> str:
    out = tmp / "squeezenet-runs"
    took, log = run_app(["train", "--preset", "transfer", "--set", "model.backbone=squeezenet",
                         "--set", "model.backbone_size=64", "--set", "optim.epochs=1", "--out", str(out)],
                        tmp, "the SqueezeNet run")
    if len(finished(out)) != 1:
        raise SystemExit(f"error: the SqueezeNet run left no completed run folder\n{log[-3000:]}")
    return f"transfer: one epoch fine-tuning the shipped SqueezeNet in {took:.1f} s"


def check_built_from_head() -> str:
    """The bundle must be of this checkout's code, or the check proves nothing about it:
    built from HEAD, or from a commit that differs from HEAD only in what the bundle does
    not carry (BUNDLED lists what it does), with nothing it carries changed or untracked."""
    info_file = DIST / "_internal" / "resources" / "build-info.json"
    if not info_file.is_file():
        raise SystemExit(f"error: {info_file} is missing: the bundle predates build stamps; run `make bundle`")
    info = json.loads(info_file.read_text())
    built = info.get("commit", "?")
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode != 0:
        raise SystemExit(f"error: git cannot tell this checkout's commit ({head.stderr.strip()}); "
                         f"the bundle is of {built[:12]}")
    head = head.stdout.strip()
    if info.get("dirty"):
        changes = info.get("changes") or []
        listed = ", ".join(changes[:5]) + (f" and {len(changes) - 5} more" if len(changes) > 5 else "")
        raise SystemExit(f"error: the bundle was built from commit {built[:12]} with changes not in any commit: "
                         f"{listed or 'not recorded'}; it is no commit's code: commit them (or put them "
                         "aside) and run `make bundle`")
    if built == head:
        return f"built {info.get('built')} from commit {built[:12]}, this checkout's HEAD"
    carried = subprocess.run([*git, "diff", "--quiet", built, head, "--", *BUNDLED], capture_output=True, check=False)
    if carried.returncode != 0:
        raise SystemExit(f"error: the bundle was built from commit {built[:12]}, and the checkout's HEAD "
                         f"({head[:12]}) differs from it in what the bundle carries: run `make bundle` first")
    return (f"built {info.get('built')} from commit {built[:12]}; HEAD ({head[:12]}) differs from it "
            "only in what the bundle does not carry")


def check_catalogs() -> str:
    """Every shipped language's compiled catalog, and Qt's own for it, are in the bundle."""
    from engine.core.i18n import DOMAIN, ENGLISH, LANGUAGES

    internal = DIST / "_internal"
    missing = [f"resources/locale/{code}/LC_MESSAGES/{DOMAIN}.mo" for code in LANGUAGES if code != ENGLISH
               and not (internal / "resources" / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()]
    missing += [f"PySide6/Qt/translations/qtbase_{code}.qm" for code in LANGUAGES if code != ENGLISH
                and not any((internal / "PySide6" / "Qt" / "translations" / f"qtbase_{c}.qm").is_file()
                            for c in (code, code.split("_")[0]))]
    if missing:
        raise SystemExit("error: the bundle lacks catalogs (run `make catalogs` before `make bundle`):\n  "
                         + "\n  ".join(missing))
    return f"languages: {len(LANGUAGES) - 1} compiled catalogs and Qt's own for each"


def check_no_links() -> None:
    links = [p for p in DIST.rglob("*") if p.is_symlink()]
    if links:
        raise SystemExit(f"error: the bundle holds {len(links)} symbolic links ({links[0].relative_to(DIST)}, ...): "
                         "a FAT or exFAT USB stick cannot store them")


def check_cpu_only(tmp: Path) -> str:
    """The Linux bundle refuses the GPU with the reason, and its hints name its executable."""
    env = dict(os.environ, XDG_DATA_HOME=str(tmp / "data"), XDG_STATE_HOME=str(tmp / "state"))
    proc = subprocess.run([str(executable()), "train", "--preset", "toy_spirals", "--set", "run.device=cuda",
                           "--out", str(tmp / "cuda-runs")], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    if proc.returncode == 0 or "trains on the CPU" not in proc.stderr:
        raise SystemExit(f"error: run.device=cuda did not get the CPU build's message:\n{proc.stderr[-2000:]}")
    return "run.device = cuda: refused, naming the CPU build and pip"


def glibc_needed() -> str:
    """The newest GLIBC_ symbol version any file in the bundle asks for (objdump -T)."""
    if not shutil.which("objdump"):
        return ""
    newest = (0, 0)
    for path in [executable(), *DIST.rglob("*.so*")]:
        out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True, check=False).stdout
        for m in re.finditer(r"GLIBC_(\d+)\.(\d+)", out):
            newest = max(newest, (int(m.group(1)), int(m.group(2))))
    mine = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else ""
    if newest == (0, 0):
        return "asks for no versioned glibc symbol (objdump found none)"
    return f"needs glibc {newest[0]}.{newest[1]} or newer (this machine: {mine})"


def wheel_library_names() -> dict[str, str]:
    """File name -> the top-level folder of site-packages that holds it (its package)."""
    site = Path(sysconfig.get_paths()["purelib"])
    names = {}
    for folder, _, files in os.walk(site):
        for name in files:
            if ".so" in name:
                names.setdefault(name, Path(folder).relative_to(site).parts[0])
    return names


def check_libraries() -> tuple[list[str], dict[str, list[str]]]:
    """(failures, the system libraries not found -> the bundle's files that want them)
    for every ELF file in the bundle (packaging/library_check.py)."""
    from library_check import check_bundle_libraries

    report = check_bundle_libraries(DIST, wheel_library_names())
    return report.failures, report.system_missing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-hide", action="store_true",
                        help="do not hide the system's CUDA libraries (the check then proves less)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    exe = executable()
    if not exe.is_file():
        print(f"error: {exe} not found; run `make bundle` first", file=sys.stderr)
        return 2
    linux = sys.platform.startswith("linux")
    hidden = []
    if linux and not args.inside and not args.no_hide:
        files = system_cuda_files()
        if files:
            return rerun_hidden(files, [a for a in argv if a != "--no-hide"])
    if args.inside:
        hidden = [Path(p) for p in os.environ.get("OVERFIT_LAB_HIDDEN", "").split(os.pathsep) if p]
        still = [p for p in hidden if p.exists()]
        if still:
            print(f"error: could not hide {', '.join(map(str, still))}", file=sys.stderr)
            return 2
    sys.path.insert(0, str(ROOT / "packaging"))
    lines = [check_built_from_head()]
    sys.path.insert(0, str(ROOT))
    lines.append(check_catalogs())
    if linux:  # (a macOS build's frameworks are made of links, and the .app travels zipped)
        check_no_links()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lines.append(check_window(tmp))
        lines.append(check_search(tmp))
        lines.append(check_squeezenet(tmp))
        if linux:
            lines.append(check_cpu_only(tmp))
    system_missing: dict[str, list[str]] = {}
    if linux and shutil.which("ldd"):
        failures, system_missing = check_libraries()
        if failures:
            print("error: the bundle lacks libraries it needs:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
        lines.append("libraries: every library the bundle's files need is in the bundle or the system's")
        lines.append(glibc_needed())
    print(f"bundle ok: {exe}")
    if hidden:
        print(f"  the system's CUDA libraries were hidden: {', '.join(map(str, hidden))}")
    elif linux:
        print("  the system's CUDA libraries were NOT hidden" + (" (--no-hide)" if args.no_hide else " (none found)"))
    for line in lines:
        print(f"  {line}")
    print(f"  folder size {folder_size(DIST) / 1e9:.2f} GB, no symbolic links (a FAT / exFAT stick holds it)")
    if linux:
        sys.path.insert(0, str(ROOT))
        from gui.app.system_libraries import PACKAGES, advice

        xcb = [n for n in system_missing if n in PACKAGES]
        other = [n for n in system_missing if n not in PACKAGES]
        if xcb:
            print(f"  missing on this machine, for the X11 window:\n{advice(xcb)}")
        for name in sorted(other):
            users = system_missing[name]
            print(f"  not on this machine: {name}, wanted by {', '.join(users[:2])}"
                  + (f" and {len(users) - 2} more" if len(users) > 2 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
