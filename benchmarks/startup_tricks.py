"""Does each start-up trick of gui/startup.py still pay? Paired launches, interleaved.

Launches `main.py` (Qt offscreen, bytecode cached as on a user's machine) in rotation:
with every trick, without PySide6's quick import check, without the libtorch preload
(and its animation clock), and prints the median time to Start enabled for each, and the
median of the paired differences (a trick is kept while it buys >= 0.15 s).

    python benchmarks/startup_tricks.py [--launches 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each variant starts the app through `python -c`, switching one trick off by replacing it
# with a function that does nothing, then running main.py as a user would.
VARIANTS = {
    "all tricks": "",
    "no quick import check": "startup.quicken_pyside_imports = lambda: False",
    "no libtorch preload": "startup.preload_libtorch = lambda: None; startup.start_animation_clock = lambda: None",
}


def launch(patch: str, env: dict) -> tuple[float, float]:
    code = (f"import sys, runpy; sys.argv = ['main.py']; from gui import startup; {patch}\n"
            "runpy.run_path('main.py', run_name='__main__')")
    t0 = time.time()
    p = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True)
    marks = {}
    for line in p.stderr:
        if line.startswith("timing "):
            _, what, stamp = line.split()
            marks[what] = float(stamp)
            if what == "engine-ready":
                break
    p.terminate()
    p.wait(30)
    return marks["window-visible"] - t0, marks["engine-ready"] - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=9)
    args = parser.parse_args()
    env = dict(os.environ, OVERFIT_LAB_TIMING="1", QT_QPA_PLATFORM="offscreen",
               XDG_CONFIG_HOME=tempfile.mkdtemp())
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for patch in VARIANTS.values():  # unmeasured: bytecode caches written
        launch(patch, env)
    ready: dict[str, list[float]] = {name: [] for name in VARIANTS}
    visible: dict[str, list[float]] = {name: [] for name in VARIANTS}
    names = list(VARIANTS)
    for i in range(args.launches):
        order = names[i % len(names):] + names[:i % len(names)]  # rotate who goes first
        for name in order:
            v, r = launch(VARIANTS[name], env)
            visible[name].append(v)
            ready[name].append(r)
    base = ready["all tricks"]
    for name in names:
        line = (f"{name:<24} Start enabled median {statistics.median(ready[name]):.2f} s "
                f"({min(ready[name]):.2f}..{max(ready[name]):.2f}), window visible "
                f"{statistics.median(visible[name]):.2f} s")
        if name != "all tricks":
            diffs = [b - a for a, b in zip(base, ready[name], strict=True)]
            line += (f"; the trick buys {statistics.median(diffs):+.2f} s (paired median, "
                     f"faster with it in {sum(d > 0 for d in diffs)} of {len(diffs)})")
        print(line, flush=True)


if __name__ == "__main__":
    main()
