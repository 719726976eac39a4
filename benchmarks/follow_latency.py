"""From a script's `run.epoch()` to that epoch on the window's plots (issue 29's target: at
most 1 s, median), with the window watching the runs folder.

A writer process trains a tiny MLP with the logger (`import overfit_lab as ol`), one epoch
every --every seconds, and notes the wall-clock time just after each `run.epoch()` returns
(the epoch's line is written then). An offscreen window watches the same runs folder: it
picks the script's run up when it starts, and notes the time each epoch reaches the Training
tab's plot data (FollowedRun.epoch_shown, emitted once the plots have it). Prints the pickup
time (the folder's config.json written → the window following it) and the latency per
epoch: median, p90, max.

    python benchmarks/follow_latency.py [--epochs N] [--every S] [--poll-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

WRITER = textwrap.dedent("""
    import json, sys, time
    import torch
    import overfit_lab as ol

    torch.set_num_threads(1)
    runs_dir, epochs, every, times = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(256, 20), torch.randint(0, 4, (256,)))
    loader = torch.utils.data.DataLoader(ol.Indexed(data), batch_size=32)
    model = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    run = ol.init("follow-latency", config={"epochs": epochs}, runs_dir=runs_dir)
    ol.watch(model, optimizer)
    with open(times, "a") as out:
        for epoch in range(1, epochs + 1):
            t0 = time.time()
            for x, y, index in loader:
                logits = model(x)
                loss = torch.nn.functional.cross_entropy(logits, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                run.batch(loss=loss, logits=logits, targets=y, index=index)
            run.epoch(val_loss=loss.item(), val_accuracy=0.5)
            out.write(json.dumps({"epoch": epoch, "written": time.time()}) + "\\n")
            out.flush()
            time.sleep(max(0.0, every - (time.time() - t0)))
    run.finish()
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between two epochs of the writer")
    parser.add_argument("--poll-only", action="store_true",
                        help="no file watcher (as on a network folder): the poll alone")
    args = parser.parse_args()

    app = QApplication(sys.argv)
    from gui.window.main_window import MainWindow
    from tests.helpers import tiny_config

    tmp = Path(tempfile.mkdtemp(prefix="follow-latency-"))
    runs, times = tmp / "runs", tmp / "written.jsonl"
    window = MainWindow(tiny_config(), runs_dir=runs, restore=False)
    window.show()
    window.set_engine_ready()
    if args.poll_only:
        window.followed.watcher.fileChanged.disconnect()
    shown: dict[int, float] = {}
    followed_at: list[float] = []
    window.followed.epoch_shown.connect(lambda e: shown.setdefault(int(e.epoch), time.time()))
    window.followed.opened.connect(lambda _p: followed_at.append(time.time()))

    script = tmp / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    writer = subprocess.Popen([sys.executable, str(script), str(runs), str(args.epochs), str(args.every), str(times)])
    deadline = time.time() + 60 + args.epochs * (args.every + 5)

    def check() -> None:
        if (writer.poll() is not None and len(shown) >= args.epochs) or time.time() > deadline:
            app.quit()

    ticker = QTimer(interval=100)
    ticker.timeout.connect(check)
    ticker.start()
    app.exec()
    writer.wait(30)

    written = {r["epoch"]: r["written"] for r in map(json.loads, times.read_text().splitlines())}
    if not followed_at:
        sys.exit("the window never picked the script's run up")
    run_dir = window.followed.path
    created = (run_dir / "config.json").stat().st_mtime
    # Epochs written before the window followed the run arrive with its first read: they time
    # the pickup, not the following.
    after = {e: shown[e] - t for e, t in written.items() if e in shown and t >= followed_at[0]}
    missing = sorted(set(written) - set(shown))
    lat = sorted(after.values())
    print(f"writer: {args.epochs} epochs, one every {args.every} s; window offscreen, "
          f"polling every {window.followed.timer.interval()} ms"
          f"{'' if args.poll_only else ' plus a file watcher'}")
    print(f"pickup: config.json written → window following: {followed_at[0] - created:.3f} s")
    if not lat:
        sys.exit("no epoch was written after the window followed the run")
    p90 = lat[min(len(lat) - 1, round(0.9 * (len(lat) - 1)))]
    print(f"epoch written → on the plots: median {statistics.median(lat):.3f} s, p90 {p90:.3f} s, "
          f"max {lat[-1]:.3f} s over {len(lat)} epochs (target: median ≤ 1 s)")
    if missing:
        print(f"epochs never shown: {missing}")
    window.close()


if __name__ == "__main__":
    main()
