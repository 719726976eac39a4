"""`main.py runs`, `main.py stop | pause | resume RUN_DIR` on real runs that another process
trains, and a writer killed outright (SIGKILL) read as gone by its heartbeat."""

import json
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.runs.reader import list_runs, read_run

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--set", "data.train_size=200", "--set", "data.val_size=200", "--set", "model.width=16"]
WORDS = {"running", "paused", "completed", "stopped early", "stopped by the user", "stopped — writer gone",
         "diverged", "failed"}

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def runs_json(folder) -> list[dict]:
    proc = cli("runs", str(folder), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def start_training(out: Path, epochs: int = 5000) -> tuple[subprocess.Popen, Path]:
    """A headless run that trains until told otherwise, once it has written an epoch."""
    proc = subprocess.Popen([sys.executable, "main.py", "train", "--preset", "overfit", *TINY,
                             "--set", f"optim.epochs={epochs}", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = list_runs(out)
        if runs and read_run(runs[0]).epochs:
            return proc, runs[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the run wrote no epoch in 120 s")


def wait_for(predicate, what: str, limit: float = 60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def test_stop_ends_a_headless_run_as_the_windows_stop_does_naming_who_asked(tmp_path):
    proc, run_dir = start_training(tmp_path)
    try:
        stop = cli("stop", str(run_dir))
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert stop.returncode == 0, stop.stderr
    assert f"{run_dir}: stopped by the user" in stop.stdout and "asked by" in stop.stdout
    assert proc.returncode == 0, err
    run = read_run(run_dir)
    assert run.status == "user_stopped"
    assert f"asked by {platform.node()}:" in run.summary["message"]
    assert (run_dir / "best.safetensors").is_file() and (run_dir / "last.safetensors").is_file()
    assert len(run.epochs) < 5000
    assert runs_json(tmp_path)[0]["status"] == "stopped by the user"
    # once ended, a second stop is refused naming the folder, and the folder is left as it is
    again = cli("stop", str(run_dir))
    assert again.returncode == 2 and f"{run_dir}: the run already ended" in again.stderr


def test_pause_holds_the_run_resume_lets_it_go_on_and_stop_ends_it_while_paused(tmp_path):
    proc, run_dir = start_training(tmp_path)
    try:
        pause = cli("pause", str(run_dir))
        assert pause.returncode == 0, pause.stderr
        assert f"{run_dir}: paused" in pause.stdout
        assert runs_json(tmp_path)[0]["status"] == "paused"
        held = len(read_run(run_dir).epochs)
        time.sleep(2)  # (several epochs' time of this run: none is trained while paused)
        assert len(read_run(run_dir).epochs) == held and proc.poll() is None
        assert json.loads((run_dir / "heartbeat.json").read_text())["at"] > time.time() - 30  # still beating
        resume = cli("resume", str(run_dir))
        assert resume.returncode == 0, resume.stderr
        assert f"{run_dir}: running" in resume.stdout
        wait_for(lambda: len(read_run(run_dir).epochs) > held, "an epoch after resume")
        cli("pause", str(run_dir))
        stop = cli("stop", str(run_dir))  # while paused
        proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert stop.returncode == 0 and "stopped by the user" in stop.stdout
    run = read_run(run_dir)
    assert run.status == "user_stopped"
    moves = [e["event"] for e in run.events if e["event"] in ("Paused", "Resumed")]
    assert moves[:3] == ["Paused", "Resumed", "Paused"]


def test_a_writer_killed_outright_reads_stopped_writer_gone_here_and_from_another_host(tmp_path):
    proc, run_dir = start_training(tmp_path)
    assert (run_dir / "heartbeat.json").is_file()
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    [row] = runs_json(tmp_path)
    assert row["status"] == "stopped — writer gone" and row["summary_status"] == "incomplete"
    assert row["epochs_done"] >= 1
    # The same folder as a reader on another host sees it on a shared folder: the writer's
    # host is not this one (no pid to ask), its last beat is a minute old, its other files
    # fresh (a sync just copied them). Gone at once, not after the 10 minutes of the old rule.
    summary = json.loads((run_dir / "summary.json").read_text())
    (run_dir / "summary.json").write_text(json.dumps({**summary, "host": "lab-node-7"}))
    then = time.time() - 60
    (run_dir / "heartbeat.json").write_text(json.dumps({"pid": 4242, "host": "lab-node-7", "at": then, "every_s": 2.0}))
    import os

    os.utime(run_dir / "heartbeat.json", (then, then))
    assert runs_json(tmp_path)[0]["status"] == "stopped — writer gone"
    stop = cli("stop", str(run_dir))
    assert stop.returncode == 2 and f"{run_dir}: the run's writer is gone" in stop.stderr
    # a beat of that host 5 s ago: its writer lives
    (run_dir / "heartbeat.json").write_text(json.dumps({"pid": 4242, "host": "lab-node-7", "at": time.time(),
                                                        "every_s": 2.0}))
    assert runs_json(tmp_path)[0]["status"] == "running"


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished")
    proc = cli("train", "--preset", "overfit", *TINY, "--set", "optim.epochs=2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip().splitlines()[-1])


def copy_with(finished: Path, root: Path, name: str, **summary) -> Path:
    folder = root / name
    shutil.copytree(finished, folder)
    record = json.loads((folder / "summary.json").read_text())
    (folder / "summary.json").write_text(json.dumps({**record, **summary}))
    return folder


def test_runs_lists_each_status_in_words_and_damaged_folders_by_their_file(finished, tmp_path):
    copy_with(finished, tmp_path, "a-completed")
    copy_with(finished, tmp_path, "b-early", status="early_stopped")
    copy_with(finished, tmp_path, "c-failed", status="failed", message="boom")
    copy_with(finished, tmp_path, "d-diverged", status="diverged")
    damaged = copy_with(finished, tmp_path, "e-damaged")
    (damaged / "summary.json").write_text('{"status": "comp')
    no_config = tmp_path / "f-no-config"
    no_config.mkdir()
    (no_config / "summary.json").write_text("{}")
    (tmp_path / "not-a-run").mkdir()

    rows = {Path(r["path"]).name: r for r in runs_json(tmp_path)}
    assert sorted(rows) == ["a-completed", "b-early", "c-failed", "d-diverged", "e-damaged", "f-no-config"]
    assert all(set(r) == {"path", "name", "status", "summary_status", "epochs_done", "epochs_planned",
                          "best_val_accuracy", "started_at", "source", "error"} for r in rows.values())
    assert [rows[n]["status"] for n in ("a-completed", "b-early", "c-failed", "d-diverged")] == \
        ["completed", "stopped early", "failed", "diverged"]
    done = rows["a-completed"]
    record = read_run(finished)
    assert done["epochs_done"] == 2 and done["epochs_planned"] == 2 and done["name"] == "overfit"
    assert done["best_val_accuracy"] == max(e["val_accuracy"] for e in record.epochs)
    assert done["source"] == "engine" and done["error"] is None
    assert rows["e-damaged"]["status"] == "unreadable"
    assert str(damaged / "summary.json") in rows["e-damaged"]["error"]
    assert "no config.json" in rows["f-no-config"]["error"]

    table = cli("runs", str(tmp_path))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert any(line.startswith("stopped early") and "2/2" in line and "(b-early)" in line for line in lines)
    assert any(line.startswith("unreadable") and str(damaged / "summary.json") in line for line in lines)
    missing = cli("runs", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and f"{tmp_path / 'nowhere'}: no such folder" in missing.stderr


def test_stop_names_what_cannot_be_stopped_and_stops_the_rest(finished, tmp_path):
    ended = copy_with(finished, tmp_path, "ended")
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = cli("stop", "--no-wait", str(ended), str(plain), str(tmp_path / "nowhere"))
    assert proc.returncode == 2
    assert f"{ended}: the run already ended (finished" in proc.stderr
    assert f"{plain}: not a run folder" in proc.stderr
    assert f"{tmp_path / 'nowhere'}: no such folder" in proc.stderr
    assert not (ended / "control.json").exists() and not (plain / "control.json").exists()


def test_stop_on_a_trial_of_a_headless_curve_stops_the_curve_as_ctrl_c_does(tmp_path):
    proc = subprocess.Popen([sys.executable, "main.py", "curve", "--preset", "overfit", *TINY[2:],
                             "--over", "data.train_size=100,200", "--seeds", "1", "--set", "optim.epochs=5000",
                             "--out", str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def first_trial():
            experiments = [p for p in tmp_path.iterdir() if (p / "experiment.json").is_file()]
            runs = list_runs(experiments[0]) if experiments else []
            return runs[0] if runs and read_run(runs[0]).epochs else None

        wait_for(first_trial, "the curve's first trial trains", 120)
        trial = first_trial()
        stop = cli("stop", str(trial))
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert stop.returncode == 0 and f"{trial}: stopped by the user" in stop.stdout, stop.stderr
    assert proc.returncode == 0, err
    record = json.loads((trial.parent / "experiment.json").read_text())
    assert len(record["trials"]) == 1  # the second value never started
    assert read_run(trial).status == "user_stopped" and "asked by" in read_run(trial).summary["message"]
    # `main.py runs` lists an experiment's trials too, named by their experiment
    assert [(r["path"], r["status"]) for r in runs_json(tmp_path)] == [(str(trial), "stopped by the user")]
    table = cli("runs", str(tmp_path)).stdout
    assert f"({trial.parent.name}/{trial.name})" in table


def test_runs_without_a_folder_lists_the_apps_runs_folder(finished, tmp_path):
    import os

    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))

    def runs(*args):
        return subprocess.run([sys.executable, "main.py", "runs", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)

    default = tmp_path / "data" / "overfit-lab" / "runs"
    empty = runs()
    assert empty.returncode == 0 and f"no run folders in {default}" in empty.stdout
    assert json.loads(runs("--json").stdout) == []
    default.mkdir(parents=True)
    copy_with(finished, default, "mine")
    [row] = json.loads(runs("--json").stdout)
    assert row["path"] == str(default / "mine") and row["status"] == "completed"
