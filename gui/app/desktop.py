"""`overfit-lab --install-desktop-entry`: put Overfit Lab in the user's applications menu.

Writes a freedesktop.org desktop entry and the app's icon (SVG and 256 px PNG) under
$XDG_DATA_HOME (default ~/.local/share). Nothing outside the user's home is touched, so it
needs no administrator rights; `--uninstall-desktop-entry` removes exactly those files.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from engine.core.files import resources_dir

APP_ID = "overfit-lab"


def icons_dir() -> Path:
    return resources_dir() / "icons"


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def launch_command() -> list[str]:
    """How the menu entry starts this installation of Overfit Lab."""
    if getattr(sys, "frozen", False):  # the one-folder bundle
        return [sys.executable]
    beside = Path(sys.executable).parent / APP_ID  # the entry point pip put beside this Python
    script = str(beside) if beside.is_file() else shutil.which(APP_ID)
    if script:
        return [str(Path(script).absolute())]
    from engine.core.files import command_line_of_this_app

    return command_line_of_this_app()


def _exec_quote(arg: str) -> str:
    """Quote one Exec argument as the Desktop Entry Specification asks."""
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`%='):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'.replace("%", "%%")


def desktop_entry(command: list[str], icon: Path) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=Overfit Lab",
        "GenericName=Neural network overfitting lab",
        "Comment=Watch a neural network overfit, and watch regularization fix it",
        f"Exec={' '.join(_exec_quote(a) for a in command)} %f",  # a double-clicked lesson or settings file
        f"TryExec={command[0]}",
        f"Icon={icon}",
        "Terminal=false",
        "Categories=Education;ArtificialIntelligence;",
        "MimeType=application/toml;",
        "Keywords=machine learning;deep learning;overfitting;regularization;dropout;pytorch;",
        "StartupNotify=true",
        f"StartupWMClass={APP_ID}",
        "",
    ])


def paths(home: Path | None = None) -> dict[str, Path]:
    home = home or data_home()
    return {"entry": home / "applications" / f"{APP_ID}.desktop",
            "svg": home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
            "png": home / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png"}


def install(home: Path | None = None, command: list[str] | None = None) -> Path:
    """Write the entry and icons; return the entry's path."""
    p = paths(home)
    for key, name in (("svg", f"{APP_ID}.svg"), ("png", f"{APP_ID}.png")):
        src = icons_dir() / name
        if not src.is_file():
            raise FileNotFoundError(f"{src}: icon missing; the installation is incomplete")
        p[key].parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, p[key])
    p["entry"].parent.mkdir(parents=True, exist_ok=True)
    tmp = p["entry"].with_suffix(".tmp")
    # The icon by absolute path: menus show it even before their icon cache is refreshed.
    tmp.write_text(desktop_entry(command or launch_command(), p["png"]), encoding="utf-8")
    tmp.chmod(0o755)
    tmp.replace(p["entry"])
    return p["entry"]


def uninstall(home: Path | None = None) -> list[Path]:
    removed = []
    for path in paths(home).values():
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


def main(action: str) -> int:
    try:
        if action == "install":
            entry = install()
            print(f"installed {entry}\nlaunches: {' '.join(shlex.quote(a) for a in launch_command())}")
        else:
            removed = uninstall()
            print("\n".join(f"removed {p}" for p in removed) or "nothing to remove")
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
