"""`make bundle-check`: start the built executable offscreen, train one epoch of the
`overfit` preset, and check the screenshot it writes. Prints what it measured."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main() -> int:
    exe = ROOT / "dist" / "overfit-lab" / ("overfit-lab.exe" if os.name == "nt" else "overfit-lab")
    if not exe.is_file():
        print(f"error: {exe} not found; run `make bundle` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shot = tmp / "bundle-check.png"
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp / "config"),
                   XDG_STATE_HOME=str(tmp / "state"), XDG_DATA_HOME=str(tmp / "data"))
        t0 = time.perf_counter()
        proc = subprocess.run([str(exe), "--preset", "overfit", "--run-epochs", "1", "--screenshot", str(shot),
                               "--runs-dir", str(tmp / "runs")], env=env, capture_output=True, text=True,
                              timeout=600, cwd=tmp)
        took = time.perf_counter() - t0
        if proc.returncode != 0:
            print(f"error: the bundle exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}", file=sys.stderr)
            return 1
        data = shot.read_bytes() if shot.is_file() else b""
        if data[:8] != b"\x89PNG\r\n\x1a\n":
            print(f"error: no PNG at {shot}\n{proc.stderr}", file=sys.stderr)
            return 1
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if width < 800 or height < 600:
            print(f"error: screenshot is only {width}x{height}", file=sys.stderr)
            return 1
        runs = list((tmp / "runs").iterdir())
        if len(runs) != 1 or not (runs[0] / "summary.json").is_file():
            print(f"error: expected one finished run folder, found {runs}", file=sys.stderr)
            return 1
        keep = ROOT / "build" / "bundle-check.png"
        keep.parent.mkdir(exist_ok=True)
        keep.write_bytes(data)
    size = folder_size(exe.parent)
    sys.path.insert(0, str(ROOT))
    from gui.app.system_libraries import PACKAGES, advice, linked_libraries

    # What the bundle's X11 plugin takes from the system rather than from the bundle.
    xcb = [*exe.parent.rglob("libqxcb.so"), *exe.parent.rglob("libQt6XcbQpa.so.6")]
    linked = linked_libraries(xcb) or {}
    outside = sorted(n for n, p in linked.items() if p is None or not p.startswith(str(exe.parent)))
    missing = [n for n in outside if linked[n] is None]
    known = [n for n in outside if n in PACKAGES]
    print(f"bundle ok: {exe}\n  one epoch of `overfit` + screenshot in {took:.1f} s, {width}x{height} PNG "
          f"({keep})\n  folder size {size / 1e9:.2f} GB\n  system libraries its X11 window needs: "
          f"{', '.join(known) or '(none found: no ldd here?)'}")
    if missing:
        print(f"  missing on this machine:\n{advice(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
