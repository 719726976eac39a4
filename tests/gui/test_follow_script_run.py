"""The window follows a run a script writes with the logger (issue 29, item 4): a real script
in a subprocess writes into the runs folder the offscreen window watches; the window picks it
up, its plots grow epoch by epoch, the toolbar's Pause and Stop reach the script, a script
killed with SIGKILL shows as gone, and the live remedy controls are off, saying why."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gui.panels.runs_browser import STATUS
from tests.gui.conftest import RUN_TIMEOUT

SCRIPT = textwrap.dedent("""
    import os, sys, time
    import torch
    import overfit_lab as ol

    torch.set_num_threads(1)
    runs_dir, epochs, rest = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(64, 8), torch.randint(0, 3, (64,)))
    loader = torch.utils.data.DataLoader(ol.Indexed(data), batch_size=4)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    run = ol.init("script-run", config={"lr": 0.1}, runs_dir=runs_dir)
    ol.watch(model, optimizer)
    while len(sys.argv) > 4 and not os.path.exists(sys.argv[4]):  # loading data, moving the model to the GPU...
        time.sleep(0.05)
    for epoch in range(epochs):
        for x, y, index in loader:
            logits = model(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss, logits=logits, targets=y, index=index)
            time.sleep(rest)  # a Pause is most often taken in batch(): no epoch line follows its Paused
        run.epoch(val_loss=loss.item() + 0.1, val_accuracy=0.5)
        if run.should_stop:
            break
    run.finish()
""")


def start_script(tmp_path: Path, runs_dir: Path, epochs: int = 400, rest: float = 0.01,
                 first_batch_after: Path | None = None) -> subprocess.Popen:
    """first_batch_after: a file the script waits for between ol.watch and its first batch."""
    script = tmp_path / "train_script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    wait = [str(first_batch_after)] if first_batch_after else []
    return subprocess.Popen([sys.executable, str(script), str(runs_dir), str(epochs), str(rest), *wait],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture
def script(tmp_path):
    procs = []

    def start(runs_dir, **kw):
        procs.append(start_script(tmp_path, runs_dir, **kw))
        return procs[-1]

    yield start
    for p in procs:  # a test that failed half-way leaves no script training
        if p.poll() is None:
            p.kill()
        p.wait(30)


def epochs_shown(window) -> int:
    return window.plots.series["val_acc"].n


def followed(qtbot, window, proc):
    """Until the window follows the script's run (picked up from the watched folder) and has
    drawn its first epochs."""
    qtbot.waitUntil(lambda: window.followed.path is not None or proc.poll() is not None, timeout=RUN_TIMEOUT)
    assert proc.poll() is None, proc.stdout.read().decode()
    qtbot.waitUntil(lambda: epochs_shown(window) >= 2, timeout=RUN_TIMEOUT)
    return window.followed.path


def browser_status(browser, path: Path) -> str | None:
    """The Status cell of the run's row in the Runs dock."""
    from tests.gui.test_runs_browser import index_of

    index = index_of(browser, path)
    return None if index is None else index.siblingAtColumn(STATUS).data()


def summary(path: Path) -> dict:
    return json.loads((path / "summary.json").read_text(encoding="utf-8"))


def metrics_events(path: Path) -> list[str]:
    lines = (path / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line).get("event") for line in lines if '"type": "event"' in line]


def test_script_run_followed_and_stopped_from_the_toolbar(qtbot, window, script):
    runs = window.runs_dir
    proc = script(runs)
    path = followed(qtbot, window, proc)
    assert path.parent == Path(runs)
    assert window.state == "running"
    # The plots grow as the script writes epochs: the same series as the window's own runs.
    seen = epochs_shown(window)
    qtbot.waitUntil(lambda: epochs_shown(window) >= seen + 2, timeout=RUN_TIMEOUT)
    assert len(window.plots.layer_series) > 0  # the script's layers, from ol.watch
    # The script said not how many epochs it trains: the epoch axis grows to keep the last in view.
    qtbot.waitUntil(lambda: epochs_shown(window) >= 12, timeout=RUN_TIMEOUT)
    last = window.plots.series["val_acc"].x[epochs_shown(window) - 1]
    for plot in ("loss", "accuracy", "gap", "norms"):
        assert window.plots.plots[plot].getPlotItem().viewRange()[0][1] >= last
    assert window.status.info.text().startswith("epoch ")
    # Live remedy controls are off while the script's run is followed, saying why.
    dropout = window.settings_panel.widgets["regularization.dropout"]
    assert not dropout.isEnabled()
    assert "trained by a script: its settings are the script's" in dropout.toolTip()
    assert window.actions["stop"].isEnabled() and window.actions["pause"].isEnabled()
    assert not window.actions["start"].isEnabled()
    # The Examples tab follows its dynamics: each example's margins, epoch by epoch.
    examples = window.examples
    qtbot.waitUntil(lambda: examples.folder == path and len(examples.tally.epochs) >= 2, timeout=RUN_TIMEOUT)
    grown = len(examples.tally.epochs)
    qtbot.waitUntil(lambda: len(examples.tally.epochs) > grown, timeout=RUN_TIMEOUT)
    assert examples.tally.size == 64
    # No images asked of the engine for a script's run (it refused: "opening a run folder never runs code").
    qtbot.waitUntil(lambda: "a script's run: no pictures to show" in window.status_label.text(), timeout=RUN_TIMEOUT)

    window.actions["stop"].trigger()
    assert window.state == "stopping"
    proc.wait(60)
    qtbot.waitUntil(lambda: window.state == "idle", timeout=RUN_TIMEOUT)
    assert summary(path)["status"] == "user_stopped"
    assert "window" in summary(path).get("message", "")
    assert window.status_label.text().startswith("stopped")
    assert dropout.isEnabled()  # the window's own settings again
    assert "trained by a script" not in dropout.toolTip()


def test_a_script_picked_up_before_its_first_batch_shows_its_layers_device_and_length(qtbot, window, script,
                                                                                     tmp_path):
    """The window picks a script's run up when its folder appears (ol.init), long before the
    logger writes RunStarted at the first batch: the layer plots, the device and the epoch
    count come from that line once it is written, not the app's defaults (40 epochs, no layers)."""
    go = tmp_path / "first-batch"
    proc = script(window.runs_dir, first_batch_after=go)
    qtbot.waitUntil(lambda: window.followed.path is not None or proc.poll() is not None, timeout=RUN_TIMEOUT)
    assert proc.poll() is None, proc.stdout.read().decode()
    path = window.followed.path
    assert "RunStarted" not in metrics_events(path)  # picked up before the first batch
    go.touch()
    qtbot.waitUntil(lambda: epochs_shown(window) >= 3, timeout=RUN_TIMEOUT)
    assert list(window.plots.layer_series) == ["0", "2"]  # nn.Sequential's two Linear layers
    assert window.plots.layer_series["0"].n >= 3 and window.plots.grad_series["2"].n >= 3  # drawn each epoch
    # 8·16 + 16 + 16·3 + 3 parameters, on the CPU; the script's config says no epoch count: none shown
    qtbot.waitUntil(lambda: window.status.info.text().endswith("cpu  ·  195 parameters"), timeout=RUN_TIMEOUT)
    assert window.status.info.text().split("  ·  ")[0].startswith("epoch ")
    assert " of " not in window.status.info.text()
    window.actions["stop"].trigger()
    proc.wait(60)
    qtbot.waitUntil(lambda: window.state == "idle", timeout=RUN_TIMEOUT)
    assert summary(path)["status"] == "user_stopped"


def test_a_run_that_says_no_epoch_count_is_not_given_the_apps_default(qtbot, window, tmp_path, monkeypatch):
    """A TensorBoard import writes no RunStarted line and plans no epochs: opened by File ▸ Open
    run…, its status line says the epoch it reached, not "of 40" (the app's own default), and its
    epoch axis fits its epochs."""
    from PySide6.QtWidgets import QFileDialog
    from torch.utils.tensorboard import SummaryWriter

    from engine.cli.main import main

    writer = SummaryWriter(str(tmp_path / "tb"))
    for epoch, (train, val) in enumerate([(1.0, 1.2), (0.7, 0.9), (0.5, 0.8)]):
        writer.add_scalar("train_loss", train, epoch)
        writer.add_scalar("val_loss", val, epoch)
    writer.close()
    assert main(["import-tensorboard", str(tmp_path / "tb"), "--out", str(tmp_path / "runs")]) == 0
    (run,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(run))
    window.menu_actions["Open run…"].trigger()
    assert window.followed.path == run and window.plots.series["val_loss"].n == 3
    text = window.status.info.text()
    assert text.startswith("epoch 3") and " of " not in text, text
    assert window.plots.plots["loss"].getPlotItem().viewRange()[0][1] < 40


def test_pause_and_resume_reach_the_script(qtbot, window, script):
    proc = script(window.runs_dir)
    path = followed(qtbot, window, proc)
    window.actions["pause"].trigger()
    # Paused once the script says so (its Paused line), not when asked.
    qtbot.waitUntil(lambda: window.state == "paused", timeout=RUN_TIMEOUT)
    assert "Paused" in metrics_events(path)
    assert window.actions["pause"].text() == "Resume"
    qtbot.waitUntil(lambda: browser_status(window.runs_dock.browser, path) == "paused", timeout=RUN_TIMEOUT)  # the Runs dock too
    held = epochs_shown(window)
    qtbot.wait(2500)  # an epoch takes ~0.2 s: unpaused, the script would have written more
    assert epochs_shown(window) == held
    assert proc.poll() is None

    window.actions["pause"].trigger()  # Resume
    qtbot.waitUntil(lambda: window.state == "running", timeout=RUN_TIMEOUT)
    assert "Resumed" in metrics_events(path)
    qtbot.waitUntil(lambda: browser_status(window.runs_dock.browser, path) == "running", timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: epochs_shown(window) > held, timeout=RUN_TIMEOUT)

    window.actions["pause"].trigger()
    qtbot.waitUntil(lambda: window.state == "paused", timeout=RUN_TIMEOUT)
    window.actions["stop"].trigger()  # a stop while paused ends the script's run
    proc.wait(60)
    qtbot.waitUntil(lambda: window.state == "idle", timeout=RUN_TIMEOUT)
    assert summary(path)["status"] == "user_stopped"
    qtbot.waitUntil(lambda: browser_status(window.runs_dock.browser, path) == "stopped by the user", timeout=RUN_TIMEOUT)


def test_a_script_killed_shows_as_writer_gone(qtbot, window, script):
    proc = script(window.runs_dir)
    path = followed(qtbot, window, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    qtbot.waitUntil(lambda: window.state == "idle", timeout=RUN_TIMEOUT)
    assert summary(path)["status"] == "running"  # nobody wrote its end: the window concluded it
    assert "stopped — writer gone" in window.status_label.text()
    assert not window.actions["stop"].isEnabled()
    assert window.settings_panel.widgets["regularization.dropout"].isEnabled()
    qtbot.waitUntil(lambda: browser_status(window.runs_dock.browser, path) == "stopped — writer gone", timeout=RUN_TIMEOUT)


def test_reset_stops_following_and_the_script_goes_on(qtbot, window, script):
    """Start is off while a script's run is followed; Reset lets it go (the script trains on)
    and the window can train its own run."""
    proc = script(window.runs_dir)
    path = followed(qtbot, window, proc)
    assert window.actions["reset"].isEnabled()
    assert "its writer goes on" in window.actions["reset"].toolTip()
    window.actions["reset"].trigger()
    assert window.state == "idle"
    assert window.plots.series["val_acc"].n == 0  # cleared
    assert window.actions["start"].isEnabled()
    assert window.settings_panel.widgets["regularization.dropout"].isEnabled()
    shown = len((path / "metrics.jsonl").read_text(encoding="utf-8").splitlines())
    qtbot.waitUntil(lambda: len((path / "metrics.jsonl").read_text(encoding="utf-8").splitlines()) > shown + 2,
                    timeout=RUN_TIMEOUT)
    assert proc.poll() is None and summary(path)["status"] == "running"  # it trains on
    assert window.plots.series["val_acc"].n == 0  # no longer followed
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.actions["start"].trigger()  # the window's own run
    assert window.last_result.reason == "completed"


def test_a_finished_run_opens_by_double_click(qtbot, tmp_path, script):
    """A run written before the window opened is not picked up; a double-click in the Runs
    dock shows its curves in the Training tab."""
    from gui.panels.runs_browser import RUN
    from gui.window.main_window import MainWindow
    from tests.helpers import tiny_config

    runs = tmp_path / "runs"
    proc = script(runs, epochs=4, rest=0.0)
    assert proc.wait(120) == 0, proc.stdout.read().decode()
    (path,) = [p for p in runs.iterdir() if p.is_dir()]
    w = MainWindow(tiny_config(), runs_dir=runs, restore=False)
    qtbot.addWidget(w)
    w.show()
    w.set_engine_ready()
    browser = w.runs_dock.browser
    w.runs_dock.dock.raise_()
    qtbot.waitUntil(lambda: path in browser._cells, timeout=RUN_TIMEOUT)
    assert w.followed.path is None  # not opened by itself: it was there before
    index = browser.proxy.mapFromSource(browser._cells[path][RUN].index())
    rect = browser.tree.visualRect(index)
    qtbot.mouseClick(browser.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(browser.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: epochs_shown(w) == 4, timeout=RUN_TIMEOUT)
    assert w.tabs.currentWidget() is w.plots
    assert w.state == "idle"  # it has ended: nothing to stop
    assert w.followed.result.reason == "completed"


def test_runs_dock_says_paused_between_two_epochs(qtbot, tmp_path):
    """A running run whose last line is a Paused event (taken mid-epoch: no epoch line after it)
    reads "paused" in the Runs dock, and "running" again after its Resumed line."""
    import platform

    from engine.core import events as ev
    from engine.core.config import Config
    from gui.panels.runs_browser import RunsBrowser

    run = tmp_path / "runs" / "20261207-101010-script-run-0123abcd"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps(Config().to_dict()), encoding="utf-8")
    (run / "summary.json").write_text(json.dumps({"status": "running", "name": "script-run", "source": "script",
                                                  "pid": os.getpid(), "host": platform.node()}), encoding="utf-8")
    epoch = ev.EpochMetrics(epoch=1, step=4, train_loss=1.0, train_accuracy=0.5, val_loss=1.1, val_accuracy=0.4,
                            accuracy_gap=0.1, loss_gap=0.1, weight_norms={}, grad_norms={}, lr=0.1, penalty=0.0,
                            epoch_time=0.1, samples_per_sec=100.0)

    def append(kind: str, event) -> None:
        with open(run / "metrics.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"type": kind, **ev.to_record(event)}) + "\n")

    append("epoch", epoch)
    browser = RunsBrowser(tmp_path / "runs")
    qtbot.addWidget(browser)
    assert browser_status(browser, run) == "running"
    append("event", ev.Paused(step=6, epoch=2, time=0.0))
    qtbot.waitUntil(lambda: browser_status(browser, run) == "paused", timeout=10000)
    append("event", ev.Resumed(step=6, epoch=2))
    qtbot.waitUntil(lambda: browser_status(browser, run) == "running", timeout=10000)


def test_a_run_another_machine_writes_shows_gone_when_its_heartbeat_stops(qtbot, window, tmp_path, monkeypatch):
    """A shared folder written by another machine: its pid means nothing here, its heartbeat
    tells. Opened by File ▸ Open run… while the beat is fresh, it is followed; once the beat
    is older than the stale time, the window says the writer is gone."""
    import time

    from PySide6.QtWidgets import QFileDialog

    from engine.core import events as ev
    from engine.core.config import Config

    run = tmp_path / "shared" / "20261207-101010-remote-run-0123abcd"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps(Config().to_dict()), encoding="utf-8")
    (run / "summary.json").write_text(json.dumps({"status": "running", "name": "remote-run", "source": "script",
                                                  "pid": 1, "host": "another-machine"}), encoding="utf-8")
    epoch = ev.EpochMetrics(epoch=1, step=4, train_loss=1.0, train_accuracy=0.5, val_loss=1.1, val_accuracy=0.4,
                            accuracy_gap=0.1, loss_gap=0.1, weight_norms={}, grad_norms={}, lr=0.1, penalty=0.0,
                            epoch_time=0.1, samples_per_sec=100.0)
    (run / "metrics.jsonl").write_text(json.dumps({"type": "epoch", **ev.to_record(epoch)}) + "\n", encoding="utf-8")

    def beat(at: float) -> None:
        (run / "heartbeat.json").write_text(json.dumps({"pid": 1, "host": "another-machine", "at": at,
                                                        "every_s": 2.0}), encoding="utf-8")
        os.utime(run / "heartbeat.json", (at, at))

    beat(time.time())
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(run))
    window.menu_actions["Open run…"].trigger()
    assert window.state == "running" and window.actions["stop"].isEnabled()
    assert window.plots.series["val_acc"].n == 1
    beat(time.time() - 120)  # its machine went away two minutes ago
    qtbot.waitUntil(lambda: window.state == "idle", timeout=RUN_TIMEOUT)
    assert "stopped — writer gone" in window.status_label.text()


def test_a_headless_run_opened_is_stopped_from_the_window(qtbot, window, tmp_path):
    """`main.py train` in another process: opened in the Runs dock by double-click, its
    plots grow from its folder, and the toolbar's Stop stops it as the window's own Stop
    does (status user_stopped, the best weights kept)."""
    from gui.panels.runs_browser import RUN

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "main.py", "train", "--preset", "overfit", "--set", "data.train_size=200",
                             "--set", "data.val_size=200", "--set", "model.width=16", "--set", "optim.epochs=3000",
                             "--set", "run.device=cpu", "--out", str(window.runs_dir)],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        browser = window.runs_dock.browser
        window.runs_dock.dock.raise_()

        def row():
            runs = [p for p in browser._cells if (p / "config.json").is_file()]
            return runs[0] if runs and browser_status(browser, runs[0]) == "running" else None

        qtbot.waitUntil(lambda: row() is not None or proc.poll() is not None, timeout=RUN_TIMEOUT)
        assert proc.poll() is None, proc.stdout.read().decode()
        path = row()
        assert window.followed.path is None  # the engine's own headless runs are not picked up by themselves
        rect = browser.tree.visualRect(browser.proxy.mapFromSource(browser._cells[path][RUN].index()))
        qtbot.mouseClick(browser.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(browser.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.state == "running"
        assert "trained by another process" in window.settings_panel.widgets["regularization.dropout"].toolTip()
        seen = epochs_shown(window)
        qtbot.waitUntil(lambda: epochs_shown(window) >= seen + 2, timeout=RUN_TIMEOUT)
        window.actions["stop"].trigger()
        assert proc.wait(120) == 0
        qtbot.waitUntil(lambda: window.state == "idle", timeout=RUN_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert summary(path)["status"] == "user_stopped"
    assert (path / "best.safetensors").is_file()
