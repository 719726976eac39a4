"""Retake the README's screenshot: the remedy sequence in one window, `overfit` pinned.

    python docs/remedy_screenshot.py docs/screenshot-remedies.png [--size 1280x720]

Trains overfit → dropout → weight_decay → augmentation → early_stopping as a user would in
one window (Qt offscreen unless a display is set), pins `overfit` as the baseline through
the comparison table once it is an earlier run, and saves the window as a PNG.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SEQUENCE = ["overfit", "dropout", "weight_decay", "augmentation", "early_stopping"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("png")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--epochs", type=int, help="override each preset's epochs (quicker, for a look)")
    parser.add_argument("--larger-text", type=int, default=0, metavar="N",
                        help="press View > Larger text N times first, as for a projector")
    parser.add_argument("--no-layer-plots", action="store_true", help="View > Layer plots unticked")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    import engine.experiments  # noqa: F401  (the app imports it in the background)
    from engine.config import load_preset
    from gui.main_window import MainWindow

    window = MainWindow(runs_dir=tempfile.mkdtemp(), restore=False)
    window.resize(width, height)
    window.show()
    window.set_engine_ready()
    window.plots.show_layer_plots(not args.no_layer_plots)
    for _ in range(args.larger_text):
        window.scale_text(1.25)
    for name in SEQUENCE:
        config = load_preset(name)
        if args.epochs:
            config = config.with_updates({"optim.epochs": args.epochs})
        window.settings_panel.set_config(config, name)
        done = QEventLoop()
        window.run_ended.connect(done.quit)
        window.start_run()
        if name == SEQUENCE[1]:  # overfit is now an earlier run: pin it, as a user would
            window.plots.table.item(0, 4).setCheckState(Qt.CheckState.Checked)
        done.exec()
        window.run_ended.disconnect(done.quit)
        print(f"{name}: {window.last_result.message}", flush=True)
    for _ in range(30):  # let the held-back plots catch up
        app.processEvents()
        window.plots.refresh()
    ok = window.grab().save(args.png)
    window.close()
    while window.any_thread_running():
        app.processEvents()
    print(args.png if ok else f"error: could not write {args.png}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
