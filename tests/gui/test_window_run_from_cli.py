"""A run the window trains obeys `main.py stop RUN_DIR` from another process (its folder's
control.json), as it obeys the toolbar's Stop."""

import subprocess
import sys
from pathlib import Path

from engine.runs.reader import list_runs, read_run
from gui.window.run_state import IDLE
from tests.gui.conftest import RUN_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]


def test_the_windows_own_run_is_stopped_by_main_py_stop(qtbot, long_run):
    window = long_run
    (run_dir,) = list_runs(window.runs_dir)
    qtbot.waitUntil(lambda: (run_dir / "heartbeat.json").is_file() and bool(read_run(run_dir).epochs), timeout=RUN_TIMEOUT)
    proc = subprocess.run([sys.executable, "main.py", "stop", "--no-wait", str(run_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
    run = read_run(run_dir)
    assert run.status == "user_stopped" and "asked by" in run.summary["message"]
    assert len(run.epochs) < 500 and (run_dir / "best.safetensors").is_file()
    assert "stopped" in window.status.label.text() and "asked by" in window.status.label.text()  # what the user reads


def test_the_windows_own_run_paused_by_main_py_pause_offers_resume(qtbot, long_run):
    from gui.window.run_state import PAUSED, RUNNING

    window = long_run
    (run_dir,) = list_runs(window.runs_dir)
    qtbot.waitUntil(lambda: (run_dir / "heartbeat.json").is_file() and bool(read_run(run_dir).epochs), timeout=RUN_TIMEOUT)
    proc = subprocess.run([sys.executable, "main.py", "pause", "--no-wait", str(run_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    qtbot.waitUntil(lambda: window.state == PAUSED, timeout=RUN_TIMEOUT)
    assert window.actions["pause"].text().replace("&", "").startswith("Resume")  # the button says what it does now
    window.actions["pause"].trigger()  # the toolbar's Resume goes on with it
    qtbot.waitUntil(lambda: window.state == RUNNING, timeout=RUN_TIMEOUT)
    steps = read_run(run_dir).steps
    qtbot.waitUntil(lambda: len(read_run(run_dir).steps) > len(steps), timeout=RUN_TIMEOUT)
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.state == IDLE, timeout=RUN_TIMEOUT)
