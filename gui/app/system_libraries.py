"""Which system libraries Qt's X11 (xcb) platform plugin is missing, by package name.

Without them Qt aborts with a message that can name the wrong library (it named
libxcb-cursor0, installed, when libxcb-icccm4 and libxcb-keysyms1 were missing). Before the
window is made, `ldd` lists what the plugin and Qt's xcb library cannot find, and the app
says exactly which packages to install. With no display at all, that is said instead: the
libraries would not help, and a screenshot needs neither (it renders offscreen)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

QT_DIR_ENV = "OVERFIT_LAB_QT_DIR"  # the Qt folder whose xcb plugin is checked (default: PySide6's)

# soname -> (Debian / Ubuntu package, Fedora package)
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}


def xcb_binaries(qt_dir: Path | None = None, environ=os.environ) -> list[Path]:
    """Qt's xcb plugin and its xcb library, where PySide6 (or a bundle, or $OVERFIT_LAB_QT_DIR)
    has them."""
    if qt_dir is None and environ.get(QT_DIR_ENV):
        qt_dir = Path(environ[QT_DIR_ENV])
    if qt_dir is None:
        import PySide6

        qt_dir = Path(PySide6.__file__).resolve().parent / "Qt"
    return [p for p in (qt_dir / "plugins" / "platforms" / "libqxcb.so", qt_dir / "lib" / "libQt6XcbQpa.so.6")
            if p.is_file()]


def parse_ldd(ldd_output: str) -> dict[str, str | None]:
    """soname -> the path `ldd` resolved it to, or None where it says 'not found'."""
    found: dict[str, str | None] = {}
    for line in ldd_output.splitlines():
        if "=>" not in line:
            continue
        name, _, target = (part.strip() for part in line.partition("=>"))
        found[name] = None if target.startswith("not found") else target.split(" (")[0]
    return found


def linked_libraries(binaries: list[Path] | None = None) -> dict[str, str | None] | None:
    """What the xcb plugin links, resolved on this machine; None when this cannot be
    checked (not Linux, or no ldd)."""
    ldd = shutil.which("ldd")
    if ldd is None or not sys.platform.startswith("linux"):
        return None
    linked: dict[str, str | None] = {}
    for binary in xcb_binaries() if binaries is None else binaries:
        try:
            out = subprocess.run([ldd, str(binary)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        linked.update(parse_ldd(out))
    return linked


def missing_libraries(binaries: list[Path] | None = None) -> list[str] | None:
    """Sonames the xcb plugin cannot load; None when this cannot be checked."""
    linked = linked_libraries(binaries)
    return None if linked is None else [name for name, path in linked.items() if path is None]


def advice(missing: list[str]) -> str:
    debian = sorted({PACKAGES.get(name, (name, name))[0] for name in missing})
    fedora = sorted({PACKAGES.get(name, (name, name))[1] for name in missing})
    return (f"Qt's X11 support needs system libraries that are not installed: {', '.join(missing)}.\n"
            f"  Debian / Ubuntu: sudo apt-get install {' '.join(debian)}\n"
            f"  Fedora:          sudo dnf install {' '.join(fedora)}")


def uses_xcb(environ=os.environ) -> bool:
    """Will Qt pick its X11 plugin? (Linux, no other platform asked for, not a Wayland session.)"""
    if not sys.platform.startswith("linux"):
        return False
    asked = environ.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(":")[0].split(";")[0] == "xcb"
    return environ.get("XDG_SESSION_TYPE") != "wayland" or not environ.get("WAYLAND_DISPLAY")


def has_display(environ=os.environ) -> bool:
    """Is there a screen to show a window on? (Always, off Linux.)"""
    if not sys.platform.startswith("linux"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def why_no_window(environ=os.environ) -> str | None:
    """What would stop Qt's X11 window from opening here, said plainly; None when nothing.
    No display comes first: without one, installing libraries would not open a window."""
    if not uses_xcb(environ):
        return None
    if not has_display(environ):
        from engine.core.files import command_hint

        return ("no display to open the window on (DISPLAY is not set). Headless, use "
                f"`{command_hint()} train`; for a picture of the window, `--screenshot FILE`.")
    missing = missing_libraries(xcb_binaries(environ=environ))
    if missing:
        return advice(missing)
    return None
