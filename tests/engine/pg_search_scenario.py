"""Run under pg_virtualenv (a throwaway PostgreSQL cluster): one study, two worker processes,
one of them killed mid-trial. Writes what the storage says to OUT/result.json."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

out = Path(sys.argv[1])
url = (f"postgresql+psycopg://{os.environ['PGUSER']}:{os.environ['PGPASSWORD']}@{os.environ['PGHOST']}:"
       f"{os.environ['PGPORT']}/{os.environ['PGDATABASE']}")
base = [sys.executable, str(ROOT / "main.py")]
tiny = ["--set", "data.train_size=200", "--set", "data.val_size=200", "--set", "optim.epochs=40",
        "--set", "model.width=64"]
created = subprocess.run([*base, "search", "--preset", "overfit", *tiny, "--trials", "5", "--study", "pg",
                          "--storage", url, "--workers", "0", "--out", str(out)], capture_output=True, text=True)
assert created.returncode == 0, created.stderr
worker = [*base, "search-worker", "--study", "pg", "--storage", url, "--out", str(out), "--threads", "1"]
# Worker a says it runs on another machine: only the database's heartbeat can tell it died.
a = subprocess.Popen(worker, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                     env={**os.environ, "OVERFIT_LAB_WORKER_HOST": "another-machine"})
b = subprocess.Popen(worker, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

import optuna  # noqa: E402

from engine.search.storage import open_storage  # noqa: E402

study = optuna.load_study(study_name="pg", storage=open_storage(url, None))
killed = None
deadline = time.time() + 120
while time.time() < deadline and killed is None:  # a trial of worker a, running: kill a
    for t in study.get_trials(states=(optuna.trial.TrialState.RUNNING,)):
        if t.user_attrs.get("pid") == a.pid and t.intermediate_values:
            a.send_signal(signal.SIGKILL)
            killed = t.number
            break
    time.sleep(0.2)
a.wait()
b_out, _ = b.communicate(timeout=400)
trials = [{"number": t.number, "state": t.state.name, "pid": t.user_attrs.get("pid"),
           "run_dir": t.user_attrs.get("run_dir"), "retry_of": t.system_attrs.get("failed_trial", t.user_attrs.get("retry_of")),
           "host": t.user_attrs.get("host")}
          for t in study.get_trials()]
# The window's Search tab (offscreen), attached to the study by its URL, as an instructor would.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui.panels.search_view import SearchView  # noqa: E402

app = QApplication([])
view = SearchView()
view.attach("pg", lambda: open_storage(url, None))
deadline = time.time() + 60  # the study is read off the GUI thread: until its trials are shown
while time.time() < deadline and view.table.rowCount() < len(trials):
    app.processEvents()
    time.sleep(0.05)
shown = {"rows": view.table.rowCount(), "pids": sorted({t.user_attrs.get("pid") for t in view.trials}),
         "title": view.title.text()}
view.timer.stop()
(out / "result.json").write_text(json.dumps({"killed": killed, "a_pid": a.pid, "b_pid": b.pid, "b_code": b.returncode,
                                             "b_out": b_out[-3000:], "trials": trials, "window": shown}))
