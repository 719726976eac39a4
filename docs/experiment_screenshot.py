"""Retake the README's experiment screenshots: the remedy tour's final overlay, and a
5-fold cross-validation's band plot.

    python docs/experiment_screenshot.py tour docs/screenshot-tour.png [--size 1280x720] [--epochs 2] [--larger 2]
    python docs/experiment_screenshot.py cv docs/screenshot-cv.png [--folds 5]
    python docs/experiment_screenshot.py transfer docs/screenshot-transfer.png
    python docs/experiment_screenshot.py search docs/screenshot-search.png   # mid-study

Runs the experiment in the window as a user would (Experiments ▸ Remedy tour, or
Experiments ▸ Cross-validate on the `overfit` preset, or Experiments ▸ Transfer comparison
on the `transfer` preset), waits for its end and saves the
window as a PNG (Qt offscreen unless a display is set).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("tour", "cv", "transfer", "search"))
    parser.add_argument("png")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, help="override the epochs (quicker, for a look)")
    parser.add_argument("--larger", type=int, default=0, metavar="N",
                        help="View ▸ Larger text N times first (a projector's reading)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    import engine.experiments.experiment  # noqa: F401  (the app imports it in the background)
    from engine.core.config import load_preset
    from gui.window.main_window import MainWindow

    window = MainWindow(runs_dir=tempfile.mkdtemp(), restore=False)
    window.resize(width, height)
    window.show()
    window.set_engine_ready()
    for _ in range(args.larger):
        window.scale_text(1.25)
    done = QEventLoop()
    window.run_ended.connect(done.quit)
    if args.epochs:
        import gui.controllers.experiments as experiments

        original = experiments.tour_plan
        experiments.tour_plan = lambda: (lambda b, p: (b.with_updates({"optim.epochs": args.epochs}), p))(*original())
    config = load_preset("transfer" if args.what == "transfer" else "overfit")
    if args.epochs:
        config = config.with_updates({"optim.epochs": args.epochs})
    window.settings_panel.set_config(config, "transfer" if args.what == "transfer" else "overfit")
    if args.what == "tour":
        window.experiments.tour(ask=False)
    elif args.what == "transfer":
        window.experiments.compare_transfer()
    elif args.what == "search":  # 16 trials of overfit at 12 epochs; the picture after the 12th
        from PySide6.QtCore import QTimer

        from gui.controllers.experiment_dialogs import SearchDialog

        window.settings_panel.set_config(config.with_updates({"optim.epochs": 12}), "overfit")
        dialog = SearchDialog(window, "overfit-search")
        dialog.trials.setValue(16)
        window.experiments.search(dialog)

        def check():
            view = window.search_view
            view.refresh()
            if sum(t.state.name in ("COMPLETE", "PRUNED") for t in view.trials) >= 12:
                done.quit()
            else:
                QTimer.singleShot(500, check)

        QTimer.singleShot(500, check)
    else:
        window.experiments.cross_validate(args.folds)
        window.experiment_view.per_fold.setChecked(True)
    done.exec()
    print(f"{args.what}: {window.last_result.reason if window.last_result else 'mid-study'}", flush=True)
    for _ in range(20):
        app.processEvents()
    window.experiment_view.tick()
    app.processEvents()
    ok = window.grab().save(args.png)
    from gui import dialogs

    dialogs.confirm = lambda *a: True  # closing mid-search asks first: the script's answer is yes
    window.close()
    while window.any_thread_running():
        app.processEvents()
    print(args.png if ok else f"error: could not write {args.png}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
