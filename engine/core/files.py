"""Writing files so that a crash never leaves half of one, and where shipped files live.

The lowest layer of the engine: it imports nothing of ours.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any


def resources_dir() -> Path:
    """The folder of everything that ships and is not code: data, presets, icons."""
    return Path(__file__).resolve().parents[2] / "resources"


def command_line_of_this_app() -> list[str]:
    """How to start this installation's command line in a child process: the bundle's own
    executable when frozen (it has no main.py), else this Python with main.py."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, str(Path(__file__).resolve().parents[2] / "main.py")]


def command_hint() -> str:
    """How a user types this installation's command line, for the hints it prints: the
    bundle's executable, the installed `overfit-lab-cli` script (pip, the install kits; its
    full path where it is not on PATH), or `python main.py` in a checkout."""
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable)
        cli = exe.with_name("overfit-lab-cli.exe")  # Windows: the windowed one has no console
        return shell_quote(cli if exe.name.lower() == "overfit-lab.exe" and cli.is_file() else exe)
    if "site-packages" not in Path(__file__).resolve().parts:
        return "python main.py"
    import sysconfig

    # Beside this Python (a virtual environment, the kits), or the user scheme's scripts
    # folder (pip install --user: ~/.local/bin, often not on PATH).
    folders = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts")),
               Path(sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user")))]
    for folder in folders:
        for name in ("overfit-lab-cli", "overfit-lab-cli.exe"):
            script = folder / name
            if script.is_file():
                on_path = shutil.which("overfit-lab-cli")
                if on_path and Path(on_path).resolve() == script.resolve():
                    return "overfit-lab-cli"
                return shell_quote(_through_current(script))
    return "overfit-lab-cli"


def _through_current(script: Path) -> Path:
    """An install kit keeps each environment in env-XXXX/ and points current/ at the one in
    use: name the script through current/, which the next update keeps valid (on macOS, the
    app's own executable, which also survives the app being moved)."""
    for app in script.parents:  # the macOS kit's app: its launcher survives the app being moved
        if app.suffix == ".app" and (app / "Contents" / "MacOS" / "overfit-lab").is_file():
            return app / "Contents" / "MacOS" / "overfit-lab"
    env = script.parent.parent
    current = env.parent / "current"
    if env.name.startswith("env-") and current.exists() and current.resolve() == env.resolve():
        return current / script.parent.name / script.name
    return script


def shell_quote(path: str | Path) -> str:
    """A path (or any one argument) as it must be typed in this platform's shell, for the
    commands hints print: macOS's "Application Support" and a Windows user's "My Runs"
    hold spaces, and a run folder's name may hold anything."""
    text = str(path)
    if os.name == "nt":
        # cmd.exe and PowerShell both take one double-quoted argument; a double quote
        # cannot be in a Windows path.
        return f'"{text}"' if not text or any(c in text for c in ' \t&()[]{}^=;!\'+,`~%$@#') else text
    import shlex

    return shlex.quote(text)


def version_line() -> str:
    """`overfit-lab --version`: the version, and for a bundle the commit it was built from
    (packaging/overfit-lab.spec writes resources/build-info.json)."""
    info_file = resources_dir() / "build-info.json"
    if info_file.is_file():
        info = json.loads(info_file.read_text(encoding="utf-8"))
        dirty = ", with uncommitted changes" if info.get("dirty") else ""
        return (f"overfit-lab {info.get('version', '?')} (bundle built {info.get('built', '?')} from commit "  # i18n: not shown (--version)
                f"{info.get('commit', '?')}{dirty})")
    try:
        from importlib.metadata import PackageNotFoundError, version

        return f"overfit-lab {version('overfit-lab')}"
    except PackageNotFoundError:
        return "overfit-lab (not installed: a checkout)"  # i18n: not shown (--version prints it)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write via a temp file in the same folder, fsync, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def jsonable(value):
    """json.dumps's `default`: tuples as lists, paths as text."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")  # i18n: not shown (a programming error)


def atomic_write_json(path: str | Path, data: Any) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=2, default=jsonable) + "\n")
