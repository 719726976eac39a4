"""Whether an experiment's memory grows with its number of runs.

    python benchmarks/memory.py [--preset overfit] [--runs 2 12] [--epochs 1] [--device cpu]
                                [--set key=value ...]

Each count of runs is measured in a fresh child process (peak RSS is a high-water mark, so
runs of different sizes must not share a process): an experiment of N runs of the preset,
one seed each, `--epochs` epochs a run, run folders in a temporary folder. Prints each
child's peak resident set size (resource.getrusage's ru_maxrss) and the difference between
the largest and the smallest count of runs. Target: 12 runs within 80 MB of 2 runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(preset: str, runs: int, epochs: int, device: str, sets: list[str]) -> dict:
    from engine.core import events as ev
    from engine.core.config import load_preset, parse_literal
    from engine.experiments.experiment import Experiment

    updates = {"optim.epochs": epochs, "run.device": device}
    for s in sets:
        key, _, value = s.partition("=")
        updates[key.strip()] = parse_literal(value.strip())
    base = load_preset(preset).with_updates(updates)
    with tempfile.TemporaryDirectory() as runs_dir:
        result = Experiment(base, [{"run.seed": s} for s in range(runs)], runs_dir=runs_dir,
                            name="memory").run()
    done = sum(t.result is not None and t.result.reason in ev.USABLE for t in result.trials)
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    return {"runs": runs, "completed": done, "peak_mb": peak, "reason": result.reason}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="overfit")
    p.add_argument("--runs", type=int, nargs="+", default=[2, 12])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child is not None:
        print(json.dumps(child(a.preset, a.child, a.epochs, a.device, a.sets)))
        return 0
    print(f"{a.preset}, {a.epochs} epoch(s) a run, on {a.device}; each count in its own process")
    peaks = {}
    for n in a.runs:
        cmd = [sys.executable, __file__, "--child", str(n), "--preset", a.preset, "--epochs", str(a.epochs),
               "--device", a.device, *[x for s in a.sets for x in ("--set", s)]]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(f"{n:>4} runs: the child failed\n{out.stderr[-2000:]}")
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        peaks[n] = r["peak_mb"]
        print(f"{n:>4} runs: peak RSS {r['peak_mb']:8.1f} MB ({r['completed']} completed, {r['reason']})")
    if len(peaks) > 1:
        lo, hi = min(peaks), max(peaks)
        growth = peaks[hi] - peaks[lo]
        verdict = "within" if growth <= 80 else "OVER"
        print(f"{hi} runs vs {lo} runs: {growth:+.1f} MB ({verdict} the 80 MB target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
