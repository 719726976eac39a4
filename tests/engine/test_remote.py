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
