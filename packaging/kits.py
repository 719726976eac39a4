"""Offline install kits for Windows x64 and macOS arm64: `make kits`, `make kits-check`.

  python packaging/kits.py lock      re-resolve packaging/kits/*.lock (uv, needs the index)
  python packaging/kits.py build     dist/kits/overfit-lab-VERSION-PLATFORM/, one per platform
  python packaging/kits.py check     install each kit offline for its platform; print sizes
  python packaging/kits.py assemble  one kit from wheels already at hand (what build ends with)

A kit is every wheel the app needs on that platform, as pinned (with hashes) in the lock
file committed beside this script, plus the app's own wheel, an installer and uninstaller
for that OS, its icon and a README. The locks are resolved for that platform by uv (pip's
--platform evaluates torch's Linux-only markers on this host and fails); pip then fetches
exactly those files (--no-deps --only-binary=:all: --platform), checking every hash.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
KITS_SRC = ROOT / "packaging" / "kits"
CACHE = ROOT / "build" / "kits"
DIST = ROOT / "dist" / "kits"
PYTHON = "3.12"  # the kits' Python: one minor version (torch's wheel alone is ~125 MB each)
SIZE_TARGET_MB = 400


@dataclass(frozen=True)
class Platform:
    name: str
    triple: str  # uv's --python-platform
    pip_platform: str  # pip download --platform
    folder: str  # packaging/kits/<folder>: the scripts and README
    scripts: tuple[str, ...]
    icon: str
    crlf: bool  # Windows' cmd and PowerShell scripts keep CRLF line ends
    env: dict[str, str] = field(default_factory=dict)
    torch_library: str = ""  # a file of torch's that only this platform's wheel has
    carry: tuple[str, ...] = ()  # files `make kits` copies into the kit from build/kits/ if there


PLATFORMS = {
    "windows-x64": Platform("windows-x64", "x86_64-pc-windows-msvc", "win_amd64", "windows",
                            ("install.bat", "install.ps1", "uninstall.bat", "uninstall.ps1"),
                            "overfit-lab.ico", True, torch_library="torch/lib/torch_cpu.dll",
                            carry=("vc_redist.x64.exe",)),
    "macos-arm64": Platform("macos-arm64", "aarch64-apple-darwin", "macosx_14_0_arm64", "macos",
                            ("install.command", "uninstall.command"), "overfit-lab.icns", False,
                            env={"MACOSX_DEPLOYMENT_TARGET": "14.0"},
                            torch_library="torch/lib/libtorch_cpu.dylib"),
}
# What the kit's README and installer tell a user to carry along: the last 3.12 releases
# that python.org published installers for.
KIT_VALUES = {
    "python": PYTHON,
    "python_installer_windows": "python-3.12.10-amd64.exe",
    "python_installer_macos": "python-3.12.10-macos11.pkg",
    "min_macos": "14",
}


class KitError(Exception):
    pass


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def dependencies_hash() -> str:
    """What a lock was resolved from: the project's runtime dependencies, as written."""
    deps = "\n".join(sorted(project()["dependencies"]))
    return hashlib.sha256(deps.encode()).hexdigest()[:16]


def shown(path: Path) -> str:
    """A path as messages give it: from the checkout's root where it lies inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def lock_path(platform: Platform) -> Path:
    return KITS_SRC / f"{platform.name}.lock"


def tool(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise KitError(f"`{name}` is not installed (pip install {name}; `make kits` installs the dev extras)")
    return found


# --- lock -------------------------------------------------------------------------------------

def lock(platforms: list[Platform]) -> None:
    for p in platforms:
        out = lock_path(p)
        cmd = [tool("uv"), "pip", "compile", str(ROOT / "pyproject.toml"), "--python-platform", p.triple,
               "--python-version", PYTHON, "--generate-hashes", "--no-header"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **p.env), check=False)
        if proc.returncode != 0:
            raise KitError(f"uv could not resolve for {p.name}:\n{proc.stderr}")
        header = (f"# The wheels of the {p.name} kit (Python {PYTHON}), resolved for that platform by\n"
                  f"#   uv pip compile pyproject.toml --python-platform {p.triple} --python-version {PYTHON}"
                  f" --generate-hashes\n# `make kits-lock` writes it again. dependencies: {dependencies_hash()}\n")
        out.write_text(header + proc.stdout.replace(" (pyproject.toml)", "").replace(str(ROOT) + "/", ""))
        print(f"{shown(out)}: {len(pins(out))} packages")


def pins(lock_file: Path) -> dict[str, str]:
    """name -> version of every package a lock pins."""
    found = {}
    for line in lock_file.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", line)
        if m:
            found[normalize(m.group(1))] = m.group(2)
    return found


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_lock(p: Platform) -> Path:
    path = lock_path(p)
    if not path.is_file():
        raise KitError(f"{shown(path)} is missing: run `make kits-lock`")
    m = re.search(r"dependencies: (\w+)", path.read_text())
    if not m or m.group(1) != dependencies_hash():
        raise KitError(f"{shown(path)} was resolved from other dependencies than pyproject.toml's: "
                       "run `make kits-lock` and commit the locks")
    return path


# --- build ------------------------------------------------------------------------------------

def wheel_name_version(path: Path) -> tuple[str, str]:
    name, version = path.name.split("-")[:2]
    return normalize(name), version


def download(p: Platform, lock_file: Path) -> list[Path]:
    """The wheels the lock pins, for p, in build/kits/wheels-<platform> (kept between builds)."""
    cache = CACHE / f"wheels-{p.name}"
    cache.mkdir(parents=True, exist_ok=True)
    abi = "cp" + PYTHON.replace(".", "")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--platform", p.pip_platform, "--python-version", PYTHON, "--implementation", "cp",
           "--abi", abi, "--abi", "abi3", "--abi", "none", "--require-hashes", "-r", str(lock_file),
           "-d", str(cache)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise KitError(f"pip could not fetch the {p.name} wheels:\n{proc.stderr[-3000:]}")
    wanted = pins(lock_file)
    chosen = [w for w in sorted(cache.glob("*.whl")) if wanted.get(wheel_name_version(w)[0]) == wheel_name_version(w)[1]]
    missing = sorted(set(wanted) - {wheel_name_version(w)[0] for w in chosen})
    if missing:
        raise KitError(f"no {p.name} wheel was fetched for {', '.join(missing)}")
    return chosen


def app_wheel() -> Path:
    out = CACHE / "app"
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, check=False)
    wheels = list(out.glob("overfit_lab-*.whl"))
    if proc.returncode != 0 or len(wheels) != 1:
        raise KitError(f"could not build the app's wheel:\n{proc.stderr[-3000:]}")
    return wheels[0]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble(p: Platform, wheels: list[Path], lock_file: Path, app: Path, out_dir: Path,
             python: str = PYTHON) -> Path:
    """Write the kit folder for p into out_dir; returns it."""
    _, version = wheel_name_version(app)
    kit = out_dir / f"overfit-lab-{version}-{p.name}"
    shutil.rmtree(kit, ignore_errors=True)
    (kit / "wheels").mkdir(parents=True)
    for wheel in [*wheels, app]:
        shutil.copy2(wheel, kit / "wheels" / wheel.name)
    body = "\n".join(line for line in lock_file.read_text().splitlines() if not line.startswith("#"))
    requirements = (f"# Every wheel in wheels/, with its hash; the installer refuses any file that differs.\n"
                    f"{body.strip()}\noverfit-lab=={version} \\\n    --hash=sha256:{sha256(app)}\n")
    files = [*p.scripts, "README.txt", "requirements.txt", "verify_kit.py", p.icon]
    values = dict(KIT_VALUES, python=python, version=version, platform=p.name, files=",".join(files),
                  longest_path=str(longest_member([*wheels, app])))
    newline = "\r\n" if p.crlf else "\n"
    write(kit / "requirements.txt", requirements, newline)
    write(kit / "kit.txt", "".join(f"{k}={v}\n" for k, v in values.items()), newline)
    write(kit / "README.txt", (KITS_SRC / p.folder / "README.txt").read_text().format(**values), newline)
    write(kit / "verify_kit.py", (KITS_SRC / "verify_kit.py").read_text(), newline)
    for name in p.scripts:
        target = kit / name
        write(target, (KITS_SRC / p.folder / name).read_text(), newline)
        target.chmod(0o755)
    shutil.copy2(ROOT / "resources" / "icons" / p.icon, kit / p.icon)
    return kit


def longest_member(wheels: list[Path]) -> int:
    """The longest path a wheel installs under site-packages: the Windows installer checks
    it against the 260-character limit before it starts."""
    import zipfile

    longest = 0
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            names = [n for n in z.namelist() if not n.split("/", 1)[0].endswith(".data")]
            longest = max([longest, *map(len, names)])
    # A module's compiled copy, __pycache__/NAME.cpython-312.pyc, is up to 25 characters longer.
    return longest + 25


def write(path: Path, text: str, newline: str) -> None:
    path.write_bytes(text.replace("\r\n", "\n").replace("\n", newline).encode("utf-8"))


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def build(platforms: list[Platform]) -> None:
    app = app_wheel()
    print(f"app wheel: {app.name} ({app.stat().st_size / 1e6:.1f} MB)")
    for p in platforms:
        lock_file = check_lock(p)
        wheels = download(p, lock_file)
        kit = assemble(p, wheels, lock_file, app, DIST)
        carried = ""
        for name in p.carry:  # what the kit's README says to carry, where someone put it here
            if (CACHE / name).is_file():
                shutil.copy2(CACHE / name, kit / name)
                carried = f", with {name}"
            else:
                carried = f"; put {name} in {shown(CACHE)} and it travels in the kit"
        print(f"{shown(kit)}: {len(wheels) + 1} wheels, {folder_mb(kit):.0f} MB{carried}")


# --- check ------------------------------------------------------------------------------------

def check(platforms: list[Platform]) -> int:
    failures = 0
    for p in platforms:
        kits = sorted(DIST.glob(f"overfit-lab-*-{p.name}"))
        if not kits:
            print(f"{p.name}: no kit in {shown(DIST)}; run `make kits`")
            failures += 1
            continue
        for kit in kits:
            try:
                print(check_kit(p, kit))
            except KitError as e:
                print(f"{shown(kit)}: FAILED: {e}")
                failures += 1
    return 1 if failures else 0


def no_network() -> list[str]:
    """A prefix that runs a command with no network at all (a private, empty network
    namespace), where this Linux allows it; else nothing (uv's --offline still holds)."""
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return []
    prefix = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    ok = subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0
    return prefix if ok else []


def check_kit(p: Platform, kit: Path) -> str:
    for name in (*p.scripts, "README.txt", "kit.txt", "requirements.txt", "verify_kit.py", p.icon):
        if not (kit / name).is_file():
            raise KitError(f"{name} is missing")
    for name in p.scripts:
        if name.endswith(".command"):
            syntax = subprocess.run(["bash", "-n", str(kit / name)], capture_output=True, text=True, check=False)
            if syntax.returncode != 0:
                raise KitError(f"{name} is not valid bash: {syntax.stderr.strip()}")
    values = dict(line.split("=", 1) for line in (kit / "kit.txt").read_text().split() if "=" in line)
    verify = subprocess.run([sys.executable, str(kit / "verify_kit.py")], capture_output=True, text=True, check=False)
    if verify.returncode != 0:
        raise KitError(f"its own check refuses it: {verify.stdout.strip()}")
    wanted = pins(kit / "requirements.txt")
    present = {wheel_name_version(w) for w in (kit / "wheels").glob("*.whl")}
    if {(n, v) for n, v in wanted.items()} != present:
        raise KitError(f"wheels/ holds {len(present)} wheels, requirements.txt pins {len(wanted)}: "
                       f"{sorted(set(wanted.items()) ^ present)}")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "site-packages"
        cmd = [tool("uv"), "pip", "install", "--offline", "--no-index", "--no-cache", "--find-links", str(kit / "wheels"),
               "--python-platform", p.triple, "--python-version", values.get("python", PYTHON),
               "--require-hashes", "-r", str(kit / "requirements.txt"), "--target", str(target), "--quiet"]
        proc = subprocess.run(no_network() + cmd, capture_output=True, text=True, env=dict(os.environ, **p.env),
                              check=False)
        if proc.returncode != 0:
            raise KitError(f"uv could not install it offline:\n{proc.stderr[-3000:]}")
        from engine.core.i18n import DOMAIN, ENGLISH, LANGUAGES

        catalogs = [f"resources/locale/{code}/LC_MESSAGES/{DOMAIN}.mo" for code in LANGUAGES if code != ENGLISH]
        for needed in ("main.py", "engine/__init__.py", "gui/__init__.py", p.torch_library,
                       "resources/data/fashion-mnist/SHA256SUMS", "resources/data/mnist1d/SHA256SUMS",
                       "PySide6/Qt/translations/qtbase_de.qm", *catalogs):
            if not (target / needed).exists():
                raise KitError(f"installed, but {needed} is missing from what it installed")
        installed = folder_mb(target)
    size = folder_mb(kit)
    verdict = "within" if size <= SIZE_TARGET_MB else "OVER"
    where = "with no network" if no_network() else "offline"
    return (f"{shown(kit)}: installed {where} for {p.triple} (Python {values.get('python')}): "
            f"{len(present)} wheels; kit {size:.0f} MB ({verdict} the {SIZE_TARGET_MB} MB target), "
            f"{installed:.0f} MB installed")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("lock", "build", "check"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                         help="one platform (repeatable; default: all)")
    cmd = sub.add_parser("assemble", help="one kit from wheels at hand")
    cmd.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    cmd.add_argument("--wheels", type=Path, required=True, help="a folder with the locked wheels")
    cmd.add_argument("--lock", type=Path, required=True)
    cmd.add_argument("--app-wheel", type=Path, required=True)
    cmd.add_argument("--out", type=Path, required=True)
    cmd.add_argument("--python", default=PYTHON, help=f"the Python the installer looks for (default {PYTHON})")
    args = parser.parse_args(argv)
    try:
        if args.command == "assemble":
            p = PLATFORMS[args.platform]
            wanted = pins(args.lock)
            wheels = [w for w in sorted(args.wheels.glob("*.whl")) if wanted.get(wheel_name_version(w)[0]) == wheel_name_version(w)[1]]
            print(assemble(p, wheels, args.lock, args.app_wheel, args.out, args.python))
            return 0
        platforms = [PLATFORMS[n] for n in (args.platform or sorted(PLATFORMS))]
        if args.command == "lock":
            lock(platforms)
        elif args.command == "build":
            build(platforms)
        else:
            return check(platforms)
    except KitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
