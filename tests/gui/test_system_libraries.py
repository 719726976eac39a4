"""The X11 plugin's missing system libraries, named as packages to install."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gui.app import system_libraries as sl

LDD = """\
\tlinux-vdso.so.1 (0x00007ffc)
\tlibQt6XcbQpa.so.6 => /opt/app/Qt/lib/libQt6XcbQpa.so.6 (0x00007f01)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f02)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f03)
"""


def test_ldd_output_is_read_as_found_and_not_found():
    linked = sl.parse_ldd(LDD)
    assert linked["libxcb-icccm.so.4"] is None and linked["libxcb-keysyms.so.1"] is None
    assert linked["libxcb-cursor.so.0"] == "/lib/x86_64-linux-gnu/libxcb-cursor.so.0"
    assert "linux-vdso.so.1" not in linked


def test_the_advice_names_the_missing_ones_not_an_installed_one():
    text = sl.advice(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in text
    assert "sudo dnf install xcb-util-keysyms xcb-util-wm" in text
    assert "libxcb-cursor0" not in text


LINUX_LDD = pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None,
                               reason="the check runs ldd, on Linux")
ROOT = Path(__file__).resolve().parents[2]


def fake_qt(folder: Path, needs: list[str]) -> Path:
    """A Qt folder whose xcb plugin links the libraries `needs`, none of which exists: what a
    machine without them looks like to the check, whatever this machine has installed."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a stand-in plugin")
    source = folder / "x.c"
    source.write_text("int f(void){return 0;}\n")
    libs = []
    for soname in needs:
        libs.append(folder / soname)
        subprocess.run([cc, "-shared", "-fPIC", "-o", str(libs[-1]), str(source), f"-Wl,-soname,{soname}"],
                       check=True)
    plugin = folder / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    plugin.parent.mkdir(parents=True)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(plugin), str(source), "-Wl,--no-as-needed",
                    *map(str, libs)], check=True)
    for lib in libs:
        lib.unlink()
    return folder / "Qt"


@LINUX_LDD
def test_a_real_plugin_is_checked_and_a_missing_library_is_found(tmp_path):
    binaries = sl.xcb_binaries(environ={})
    assert binaries and binaries[0].name == "libqxcb.so"
    assert "libxcb.so.1" in sl.linked_libraries(binaries)  # listed, found or not
    qt = fake_qt(tmp_path, ["libnothere.so.7"])
    assert sl.xcb_binaries(environ={sl.QT_DIR_ENV: str(qt)}) == [qt / "plugins" / "platforms" / "libqxcb.so"]
    assert sl.missing_libraries(sl.xcb_binaries(environ={sl.QT_DIR_ENV: str(qt)})) == ["libnothere.so.7"]


def test_only_an_x11_session_is_checked():
    assert sl.uses_xcb({"QT_QPA_PLATFORM": "xcb"}) == sys.platform.startswith("linux")
    assert not sl.uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not sl.uses_xcb({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is checked on Linux only")
def test_no_display_is_said_before_missing_libraries(monkeypatch):
    """Without a display, installing the libraries would not open a window: say that first."""
    monkeypatch.setattr(sl, "missing_libraries", lambda binaries=None: ["libxcb-icccm.so.4"])
    assert sl.why_no_window({"QT_QPA_PLATFORM": "xcb"}).startswith("no display to open the window on")
    assert "apt-get install libxcb-icccm4" in sl.why_no_window({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":99"})


@LINUX_LDD
def test_the_app_stops_before_qt_with_the_packages_to_install(tmp_path):
    qt = fake_qt(tmp_path, ["libxcb-gone-for-a-test.so.4"])
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=":99", XDG_STATE_HOME=str(tmp_path),
               **{sl.QT_DIR_ENV: str(qt)})
    proc = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert ("error: Qt's X11 support needs system libraries that are not installed: "
            "libxcb-gone-for-a-test.so.4.") in proc.stderr
    assert "libxcb-gone-for-a-test.so.4" in (tmp_path / "overfit-lab" / "log" / "overfit-lab.log").read_text()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is X11's")
def test_no_display_is_said_plainly_and_a_screenshot_needs_none(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    # an empty Qt folder: no plugin, so nothing this machine lacks is found missing
    (tmp_path / "qt").mkdir()
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               **{sl.QT_DIR_ENV: str(tmp_path / "qt")})
    proc = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and "no display to open the window on" in proc.stderr
    shot = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "main.py", "--preset", "toy_spirals", "--run-epochs", "2",
                           "--screenshot", str(shot), "--runs-dir", str(tmp_path / "runs")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert shot.read_bytes()[:4] == b"\x89PNG"
