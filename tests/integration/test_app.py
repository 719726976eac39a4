"""main.py as a user starts it: a real process, a real (offscreen) window."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def env(tmp_path):
    e = dict(os.environ, QT_QPA_PLATFORM="offscreen", OVERFIT_LAB_TIMING="1",
             XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    return e


def test_screenshot_mode_trains_and_writes_a_png(tmp_path):
    shot = tmp_path / "window.png"
    proc = subprocess.run([sys.executable, "main.py", "--preset", "overfit", "--run-epochs", "1",
                           "--screenshot", str(shot), "--runs-dir", str(tmp_path / "runs")],
                          cwd=ROOT, env=env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 600
    assert "QThread: Destroyed" not in proc.stderr
    assert len(list((tmp_path / "runs").iterdir())) == 1


def test_bad_config_file_exits_2_naming_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[regularization]\ndropout = 2.0\n")
    proc = subprocess.run([sys.executable, "main.py", "--config", str(bad)], cwd=ROOT, env=env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "regularization.dropout = 2.0" in proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_launch_and_quit(tmp_path):
    proc = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if "timing engine-ready" in line or not line:
            break
    assert any("timing window-visible" in s for s in seen), "".join(seen)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "QThread: Destroyed" not in err


def test_a_lesson_screenshot_passes_its_steps_and_ends(tmp_path):
    """An instructor's picture of a lesson: `--lesson FILE --run-epochs N --screenshot PATH` waited
    forever at the first step's pause (for a class to answer); each pause is now revealed and
    passed, and the picture taken at the run's end."""
    shot = tmp_path / "lesson.png"
    proc = subprocess.run([sys.executable, "main.py", "--lesson", "resources/lessons/1_memorizing.toml",
                           "--run-epochs", "6", "--screenshot", str(shot), "--runs-dir", str(tmp_path / "runs")],
                          cwd=ROOT, env=env(tmp_path), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "completed" in proc.stdout
