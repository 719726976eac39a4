"""The window on a 1280 x 720 projector: Larger text, the Examples tab with a run opened and
the Evaluation tab with a report keep it within the screen on every tab, and it shrinks back when the text gets smaller; the
Examples tab shows an image's whole file path, selectable and copied by Copy path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

ROOT = Path(__file__).resolve().parents[2]

# Runs in a process of its own: the offscreen platform's screen is set once per process, here a
# 1280 x 720 one with a window frame (the tests' own is an unnamed 800 x 800 the window ignores).
SCRIPT = textwrap.dedent("""
    import json, sys, time
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from engine.experiments.experiment import run_single
    from gui.window.main_window import MainWindow
    from tests.helpers import tiny_config

    folder = run_single(tiny_config({"data.label_noise": 0.3, "optim.epochs": 4}), runs_dir=sys.argv[1]).run_dir
    w = MainWindow(tiny_config(), runs_dir=sys.argv[2], restore=False)
    w.show()

    def settle():
        for _ in range(20):
            app.processEvents()
            time.sleep(0.005)

    def where(what):
        settle()
        room, frame = w.screen().availableGeometry(), w.frameGeometry()
        seen.append({"what": what, "room": room.getRect(), "frame": frame.getRect()})

    seen = []
    # A run trained in the window and evaluated on validation through its action: the Evaluation
    # tab with a report in it (its table, matrix and charts grew the window past the screen).
    from engine.training import trainer  # noqa: F401  (the app imports it in the background)
    w.set_engine_ready()
    w.actions["start"].trigger()
    t0 = time.time()
    while (w.handle is None or w.any_thread_running() or not w.actions["validate"].isEnabled()) and time.time() - t0 < 60:
        settle()
    w.actions["validate"].trigger()
    while w.evaluation.report is None and time.time() - t0 < 90:
        settle()
    assert w.evaluation.report is not None
    w.tabs.setCurrentWidget(w.evaluation)
    where("evaluated")
    w.examples.open_folder(str(folder))
    t0 = time.time()
    while w.examples.folder is None and time.time() - t0 < 60:
        settle()
    w.examples_view.select(0)
    where("opened")
    for press in range(2):
        w.menu_actions["Larger text"].trigger()
        where(f"larger text x{press + 1}")
    for i in range(w.tabs.count()):
        w.tabs.setCurrentIndex(i)
        where(f"larger text x2, tab {w.tabs.tabText(i)}")
    w.tabs.setCurrentWidget(w.examples_view)
    for press in range(3):
        w.menu_actions["Larger text"].trigger()
        where(f"larger text, {press + 1} more")
    for i in range(w.tabs.count()):  # the largest text there is, on every tab
        w.tabs.setCurrentIndex(i)
        where(f"largest text, tab {w.tabs.tabText(i)}")
    for press in range(5):
        w.menu_actions["Smaller text"].trigger()
        where(f"smaller text x{press + 1}")
    print(json.dumps(seen), flush=True)
    import os
    os._exit(0)  # (the engine thread that fetched the images is still up: no teardown needed)
""")


def test_larger_text_and_the_examples_tab_keep_the_window_within_a_720_px_screen(tmp_path):
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"windowFrameMargins": True, "screens": [
        {"name": "projector", "x": 0, "y": 0, "width": 1280, "height": 720, "logicalDpi": 96, "logicalBaseDpi": 96,
         "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "h"), str(tmp_path / "runs")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT / 1000)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    for s in seen:
        x, y, width, height = s["frame"]
        assert s["room"] == [0, 0, 1280, 720]
        assert y >= 0 and y + height <= 720, s  # the status bar stays on the screen, whatever the text size
    for s in seen:  # and its width, on every tab and at every text size
        x, _, width, _ = s["frame"]
        assert x >= 0 and x + width <= 1280, s
    assert seen[-1]["frame"][2] <= 1280  # and it shrank back once the text was smaller


def _png(path, value):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (8, 8), value).save(path)


def test_the_examples_tab_shows_an_images_whole_path_and_copy_path_copies_it(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QApplication

    folder = tmp_path / ("a folder with a rather long name, as photos from a phone get" * 2) / "photos"
    for c in ("cat", "dog"):
        for i in range(20):
            _png(folder / c / f"{c}-picture-number-{i:03d}.png", 5 * i + (100 if c == "dog" else 0))
    window.resize(1280, 720)
    window.settings_panel.set_config(tiny_config({
        "data.dataset": "image_folder", "data.path": str(folder), "data.train_size": 20, "data.val_size": 10,
        "data.test_size": 10, "optim.epochs": 2, "model.width": 8}))
    window.tabs.setCurrentWidget(window.examples_view)
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()
    view = window.examples_view
    qtbot.waitUntil(lambda: view.gallery.list.count() > 0, timeout=RUN_TIMEOUT)
    view.gallery.list.itemClicked.emit(view.gallery.list.item(0))  # a click on the most suspect
    example = view.gallery.list.item(0).data(0x0100)
    path = view.tally.files[example]
    assert str(folder) in path and len(path) > 150
    assert view.path_field.isVisible() and view.path_field.text() == path  # all of it, not cut at a line
    view.path_field.selectAll()
    assert view.path_field.selectedText() == path  # selectable (and Ctrl+C copies it)
    QApplication.clipboard().clear()
    view.copy_path.click()
    assert QApplication.clipboard().text() == path
