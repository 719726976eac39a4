"""engine.runs.remote: heartbeat.json and control.json, the files through which a run is seen
alive and steered from another process or host."""

import json
import os
import platform
import subprocess
import sys
import time

import pytest

from engine.core.control import RunControl
from engine.runs.reader import read_run, writer_alive
from engine.runs.remote import (
    ControlFollower,
    ControlRefused,
    Heartbeat,
    heartbeat_state,
    read_command,
    send_command,
    write_heartbeat,
)
from engine.training.callbacks import Callback

OLD = time.time() - 3600


def run_folder(tmp_path, status="running", host=None, pid=None, name="r"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"run": {"name": name}}))
    summary = {"status": status, "name": name, "host": host or platform.node(), "pid": pid or os.getpid()}
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "metrics.jsonl").write_text(json.dumps({"type": "epoch", "epoch": 1, "val_accuracy": 0.5}) + "\n")
    return folder


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def age(path, seconds_ago=3600):
    then = time.time() - seconds_ago
    os.utime(path, (then, then))


def test_a_command_is_written_atomically_and_read_back(tmp_path):
    folder = run_folder(tmp_path)
    write_heartbeat(folder)
    send_command(folder, "pause", by="window")
    assert read_command(folder)["command"] == "pause" and read_command(folder)["by"] == "window"
    send_command(folder, "stop")
    record = read_command(folder)
    assert record["command"] == "stop" and record["by"] == f"{platform.node()}:{os.getpid()}"
    assert abs(record["at"] - time.time()) < 60
    assert not list(folder.glob("*.tmp*"))  # no temp file left beside it


def test_a_command_that_cannot_reach_a_run_is_refused_naming_the_folder(tmp_path):
    with pytest.raises(ControlRefused, match="no run command"):
        send_command(run_folder(tmp_path, name="a"), "explode")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ControlRefused, match=f"{plain}: not a run folder"):
        send_command(plain, "stop")
    with pytest.raises(ControlRefused, match="no such folder"):
        send_command(tmp_path / "nowhere", "stop")
    ended = run_folder(tmp_path, status="user_stopped", name="ended")
    with pytest.raises(ControlRefused, match=f"{ended}: the run already ended"):
        send_command(ended, "stop")
    gone = run_folder(tmp_path, pid=dead_pid(), name="gone")
    with pytest.raises(ControlRefused, match=f"{gone}: the run's writer is gone"):
        send_command(gone, "stop")
    for folder in (plain, ended, gone):
        assert read_command(folder) is None


def test_a_heartbeat_beats_while_it_lives_and_reads_gone_once_old(tmp_path):
    folder = run_folder(tmp_path)
    assert heartbeat_state(folder) is None  # no heartbeat.json: the old rule applies
    beat = Heartbeat(every_s=0.05)
    beat.start(folder)
    first = json.loads((folder / "heartbeat.json").read_text())
    time.sleep(0.3)
    second = json.loads((folder / "heartbeat.json").read_text())
    beat.stop()
    assert second["at"] > first["at"] and second["pid"] == os.getpid() and second["every_s"] == 0.05
    assert heartbeat_state(folder) == "alive"
    age(folder / "heartbeat.json")  # a beat an hour old, of this (live) process: its writer hangs
    (folder / "heartbeat.json").write_text(json.dumps({**second, "at": OLD}))
    age(folder / "heartbeat.json")
    assert heartbeat_state(folder) == "gone"


def test_another_hosts_writer_killed_reads_gone_at_once_not_after_ten_minutes(tmp_path):
    folder = run_folder(tmp_path, host="other-host", pid=12345)
    beat = {"pid": 12345, "host": "other-host", "at": time.time() - 45, "every_s": 2.0}
    (folder / "heartbeat.json").write_text(json.dumps(beat))
    age(folder / "heartbeat.json", 45)  # its files were written a minute ago, then nothing
    assert heartbeat_state(folder) == "gone"
    assert not writer_alive(json.loads((folder / "summary.json").read_text()), folder)
    assert read_run(folder).status == "incomplete"
    # a live writer of another host whose clock is behind: its file's mtime says it beats
    (folder / "heartbeat.json").write_text(json.dumps({**beat, "at": OLD}))
    assert heartbeat_state(folder) == "alive" and read_run(folder).status == "running"


def test_a_dead_pid_on_this_host_reads_gone_even_with_a_fresh_beat(tmp_path):
    folder = run_folder(tmp_path)
    (folder / "heartbeat.json").write_text(json.dumps(
        {"pid": dead_pid(), "host": platform.node(), "at": time.time(), "every_s": 2.0}))
    assert heartbeat_state(folder) == "gone"


def test_the_follower_obeys_each_new_command_naming_who_asked_and_not_an_old_one(tmp_path):
    folder = run_folder(tmp_path)
    write_heartbeat(folder)
    send_command(folder, "stop", by="earlier")  # there before the run: not obeyed
    control = RunControl()
    follower = ControlFollower(control, poll_s=0.02)
    follower.start(folder)
    try:
        time.sleep(0.2)
        assert not control.stop_requested
        send_command(folder, "pause", by="window")
        deadline = time.time() + 10
        while not control.paused and time.time() < deadline:
            time.sleep(0.02)
        assert control.paused and not control.stop_requested
        send_command(folder, "stop", by="lab-2:4242")
        while not control.stop_requested and time.time() < deadline:
            time.sleep(0.02)
        assert control.stop_requested and control.stopped_by == "lab-2:4242"
    finally:
        follower.stop()


def test_a_run_folder_deleted_while_its_run_lives_is_not_made_again_by_its_heartbeat(tmp_path):
    folder = run_folder(tmp_path)
    beat = Heartbeat(every_s=0.02)
    beat.start(folder)
    try:
        import shutil

        shutil.rmtree(folder)
        time.sleep(0.3)
        assert not folder.exists()
    finally:
        beat.stop()


class DiskFillsAfterEpoch1(Callback):
    """The disk fills up once the first epoch is written: from then on every write to the run's
    metrics.jsonl fails with ENOSPC (its descriptor now points at /dev/full, Linux's full disk),
    so the run fails at epoch 2 and its last line (RunFinished) cannot be written either."""

    def __init__(self, runs_dir):
        self.runs_dir = runs_dir

    def on_event(self, event):
        from engine.core import events as ev

        if not (isinstance(event, ev.EpochMetrics) and event.epoch == 1):
            return
        (metrics,) = self.runs_dir.glob("*/metrics.jsonl")
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target == str(metrics):
                full = os.open("/dev/full", os.O_WRONLY)
                os.dup2(full, int(fd))
                os.close(full)


def train_until_the_disk_fills(tmp_path):
    from engine.experiments.experiment import run_single
    from tests.helpers import tiny_config

    runs = tmp_path / "runs"
    runs.mkdir()
    run_single(tiny_config({"optim.epochs": 4}), subscribers=[DiskFillsAfterEpoch1(runs)], runs_dir=runs)
    (folder,) = [p for p in runs.iterdir() if p.is_dir()]
    return folder


def beat_of(folder):
    path = folder / "heartbeat.json"
    return path.read_text() if path.exists() else None


@pytest.mark.skipif(not (os.path.exists("/dev/full") and os.path.isdir("/proc/self/fd")), reason="Linux's /dev/full")
def test_a_run_whose_last_line_cannot_be_written_ends_its_heartbeat_and_says_how_it_ended(tmp_path):
    """The disk fills up mid-run: the run fails, its last line does not fit, and yet its heartbeat
    stops (it beat "alive" for as long as the window lived) and the summary says it failed, so
    `main.py stop` is refused at once instead of asking a run nobody writes."""
    folder = train_until_the_disk_fills(tmp_path)
    assert beat_of(folder) is None
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "failed" and "No space left on device" in summary["message"]
    time.sleep(2.5)  # longer than a beat's interval (2 s): a thread still beating writes it again
    assert beat_of(folder) is None
    assert read_run(folder).status == "failed"
    out = subprocess.run([sys.executable, "main.py", "stop", str(folder), "--no-wait"], capture_output=True,
                         text=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert out.returncode == 2 and f"{folder}: the run already ended" in out.stderr, out.stderr + out.stdout


@pytest.mark.skipif(not (os.path.exists("/dev/full") and os.path.isdir("/proc/self/fd")), reason="Linux's /dev/full")
def test_a_run_whose_end_cannot_be_written_at_all_reads_gone_once_its_beat_is_old(tmp_path, monkeypatch):
    """Nor does the summary fit: it still says running, and its writer's pid (the window's) lives
    on. The last beat is left to grow old, so the run reads "stopped — writer gone" after the
    stale time, not running for as long as the window lives."""
    import errno

    from engine.runs.reader import status_word

    real = os.replace
    summaries = []

    def summary_fits_once(src, dst):  # (the first summary, at the start, is written)
        if str(dst).endswith("summary.json"):
            summaries.append(dst)
            if len(summaries) > 1:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", summary_fits_once)
    folder = train_until_the_disk_fills(tmp_path)
    monkeypatch.setattr(os, "replace", real)
    assert json.loads((folder / "summary.json").read_text())["status"] == "running"
    last = beat_of(folder)
    assert last is not None  # left as it was
    time.sleep(2.5)
    assert beat_of(folder) == last  # and no longer rewritten
    beat = json.loads(last)
    (folder / "heartbeat.json").write_text(json.dumps({**beat, "at": OLD}))
    age(folder / "heartbeat.json")  # as it reads an hour on
    record = read_run(folder)
    assert record.status == "incomplete" and status_word(record) == "stopped — writer gone"
