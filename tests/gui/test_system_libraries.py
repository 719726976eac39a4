"""The X11 plugin's missing system libraries, named as packages to install."""

import shutil
import sys

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


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None, reason="ldd")
def test_a_real_plugin_is_checked_and_a_missing_library_is_found(tmp_path):
    binaries = sl.xcb_binaries()
    assert binaries and binaries[0].name == "libqxcb.so"
    linked = sl.linked_libraries(binaries)
    assert "libxcb.so.1" in linked
    # A copy of the plugin that needs a library no machine has: reported missing.
    fake = tmp_path / "libneeds.so"  # stands in for a plugin
    import subprocess

    (tmp_path / "x.c").write_text("int f(void){return 0;}\n")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a test library")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "libnothere.so.7"), str(tmp_path / "x.c"),
                    "-Wl,-soname,libnothere.so.7"], check=True)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(fake), str(tmp_path / "x.c"), "-Wl,--no-as-needed",
                    str(tmp_path / "libnothere.so.7")], check=True)
    (tmp_path / "libnothere.so.7").unlink()
    assert sl.missing_libraries([fake]) == ["libnothere.so.7"]


def test_only_an_x11_session_is_checked():
    assert sl.uses_xcb({"QT_QPA_PLATFORM": "xcb"}) == sys.platform.startswith("linux")
    assert not sl.uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not sl.uses_xcb({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"})


def test_the_app_stops_before_qt_with_the_packages_to_install(tmp_path):
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = ("import sys, runpy; from gui.app import system_libraries as s; "
            "s.missing_libraries = lambda: ['libxcb-icccm.so.4', 'libxcb-keysyms.so.1']; "
            "sys.argv = ['main.py']; runpy.run_path('main.py', run_name='__main__')")
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", XDG_STATE_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                          timeout=60)
    if not sys.platform.startswith("linux"):
        pytest.skip("X11 is checked on Linux only")
    assert proc.returncode == 1
    assert "apt-get install libxcb-icccm4 libxcb-keysyms1" in proc.stderr
    assert "libxcb-icccm4" in (tmp_path / "overfit-lab" / "log" / "overfit-lab.log").read_text()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is X11's")
def test_no_display_is_said_plainly_and_a_screenshot_needs_none(tmp_path):
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run([sys.executable, "main.py"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and "no display to open the window on" in proc.stderr
    shot = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "main.py", "--preset", "toy_spirals", "--run-epochs", "2",
                           "--screenshot", str(shot), "--runs-dir", str(tmp_path / "runs")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert shot.read_bytes()[:4] == b"\x89PNG"
