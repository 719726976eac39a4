"""Bad input is refused at the call, naming the argument; faults (a script killed, two
scripts at once, a full disk) leave folders the engine reads."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import overfit_lab as ol
import pytest
import torch

from tests.logger.conftest import tiny_data, train


@pytest.fixture
def run(tmp_path):
    r = ol.init("bad input", runs_dir=tmp_path)
    yield r
    r.finish()


def logits_of(n=8, classes=3):
    return torch.randn(n, classes)


def test_logits_not_batch_by_classes(run):
    with pytest.raises(ValueError, match=r"run.batch\(logits=...\): a tensor \[batch, classes\], not \(8,\)"):
        run.batch(loss=torch.tensor(1.0), logits=torch.randn(8), targets=torch.zeros(8, dtype=torch.long))
    with pytest.raises(ValueError, match=r"logits=.*not \(8, 3, 2\)"):
        run.batch(loss=torch.tensor(1.0), logits=torch.randn(8, 3, 2), targets=torch.zeros(8, dtype=torch.long))


def test_targets_of_another_length_than_the_batch(run):
    with pytest.raises(ValueError, match=r"run.batch\(targets=...\): one class index per example, shape \(8,\).*not \(7,\)"):
        run.batch(loss=torch.tensor(1.0), logits=logits_of(), targets=torch.zeros(7, dtype=torch.long))
    with pytest.raises(ValueError, match=r"targets=.*class 5 is outside the logits' 3 classes"):
        run.batch(loss=torch.tensor(1.0), logits=logits_of(), targets=torch.full((8,), 5))


def test_index_missing_says_how_to_add_it(tmp_path):
    r = ol.init("no index", runs_dir=tmp_path)
    with pytest.warns(UserWarning, match=r"no index= given.*ol.Indexed\(dataset\)"):
        r.batch(loss=torch.tensor(1.0), logits=logits_of(), targets=torch.zeros(8, dtype=torch.long))
    r.finish()
    r = ol.init("index dropped", runs_dir=tmp_path)
    r.batch(loss=torch.tensor(1.0), logits=logits_of(), targets=torch.zeros(8, dtype=torch.long), index=torch.arange(8))
    with pytest.raises(ValueError, match=r"run.batch\(index=...\): missing, though earlier batches gave it.*ol.Indexed"):
        r.batch(loss=torch.tensor(1.0), logits=logits_of(), targets=torch.zeros(8, dtype=torch.long))
    r.finish()


def test_index_out_of_the_datasets_range(run):
    dataset = ol.Indexed(list(range(100)))  # the training set: 100 examples
    with pytest.raises(IndexError, match=r"run.batch\(index=...\): index 100 is outside the training dataset "
                                         r"\(0 … 99; 100 examples, the size of the ol.Indexed dataset\)"):
        run.batch(loss=torch.tensor(1.0), logits=logits_of(), targets=torch.zeros(8, dtype=torch.long),
                  index=torch.arange(93, 101))
    with pytest.raises(IndexError, match="index -1 is outside"):
        run.batch(loss=torch.tensor(1.0), logits=logits_of(), targets=torch.zeros(8, dtype=torch.long),
                  index=torch.arange(-1, 7))
    with pytest.raises(ValueError, match=r"index=.*shape \(8,\).*not \(4,\)"):
        run.batch(loss=torch.tensor(1.0), logits=logits_of(), targets=torch.zeros(8, dtype=torch.long),
                  index=torch.arange(4))
    del dataset


def test_without_indexed_the_examples_grow_with_the_indices_of_every_epoch(tmp_path):
    """An index of the script's own (no ol.Indexed): the examples are those trained on; a later
    epoch's index beyond epoch 1's (a sampler that reached it late) adds an example, not an error."""
    from engine.runs.dynamics import read_dynamics

    r = ol.init("own index", runs_dir=tmp_path)
    x, y = tiny_data(48)
    for start in range(0, 40, 8):  # batches of 8: the buffers grow as the indices do
        idx = torch.arange(start, start + 8)
        r.batch(loss=torch.tensor(1.0), logits=torch.nn.functional.one_hot(y[idx], 3).float(), targets=y[idx], index=idx)
    r.epoch()
    idx = torch.arange(40, 48)
    r.batch(loss=torch.tensor(1.0), logits=torch.nn.functional.one_hot(y[idx], 3).float(), targets=y[idx], index=idx)
    r.epoch()
    r.finish()
    d = read_dynamics(r.path)
    assert d.size == 48 and np.array_equal(d.given, y.numpy()) and np.all(d.margin[0][:40] == 1)
    assert np.isnan(d.margin[0][40:]).all() and np.all(d.margin[1] == 1)


def test_epoch_figures_that_are_not_numbers_or_fractions(run):
    with pytest.raises(ValueError, match=r"run.epoch\(val_accuracy=85\): a fraction from 0 to 1 \(85 % is 0.85\)"):
        run.epoch(val_loss=0.4, val_accuracy=85)
    with pytest.raises(ValueError, match=r"run.epoch\(val_loss=...\): a number, not str '0.4'"):
        run.epoch(val_loss="0.4")
    with pytest.raises(ValueError, match=r"run.epoch\(val_ece=...\): one number, not a tensor of shape \(2,\)"):
        run.epoch(val_ece=torch.tensor([0.1, 0.2]))
    assert run.epochs == []  # nothing written by a refused call
    line = run.epoch(val_loss=torch.tensor(0.4), val_accuracy=torch.tensor(0.85), val_ece=torch.tensor(0.05))
    assert (line["val_loss"], line["val_accuracy"], line["val_ece"]) == pytest.approx((0.4, 0.85, 0.05))


def test_batch_after_finish(run):
    run.finish()
    with pytest.raises(ol.RunFinishedError, match=r"run.batch\(\) after run.finish\(\).*ol.init"):
        run.batch(loss=torch.tensor(1.0))
    with pytest.raises(ol.RunFinishedError, match=r"run.epoch\(\) after run.finish\(\)"):
        run.epoch()


def test_disk_full_while_writing_dynamics_stops_recording_not_training(tmp_path, monkeypatch):
    """The third epoch's dynamics find the disk full: a warning at the call and in the summary;
    every epoch's figures are still written, and the first two epochs' dynamics read."""
    from overfit_lab import _files

    from engine.runs.dynamics import read_dynamics
    from engine.runs.reader import read_run

    save = _files.save_arrays

    def full_from_epoch_3(arrays, path, metadata=None):
        if path.name == "epoch-0003.safetensors":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        save(arrays, path, metadata)

    monkeypatch.setattr(_files, "save_arrays", full_from_epoch_3)
    r = ol.init("disk full", runs_dir=tmp_path)
    with pytest.warns(RuntimeWarning, match=r"per-example dynamics stopped: writing epoch 3 .*No space left on device"):
        train(r, epochs=5)
    r.finish()
    record = read_run(r.path)
    assert record.status == "completed" and [e["epoch"] for e in record.epochs] == [1, 2, 3, 4, 5]
    assert any("writing epoch 3" in w and "training went on" in w for w in record.summary["warnings"])
    assert read_dynamics(r.path).epochs == [1, 2]
    assert not list((r.path / "dynamics").glob(".*tmp"))


KILLED = """
import sys, time, torch, overfit_lab as ol
sys.path.insert(0, {root!r})
from tests.logger.conftest import train
run = ol.init("killed", runs_dir={runs!r})
train(run, epochs=2)
print(run.path, flush=True)
run.batch(loss=torch.tensor(1.0))  # mid-epoch 3
time.sleep(600)
"""


def test_a_script_killed_mid_epoch_leaves_a_folder_read_as_stopped(tmp_path):
    from engine.runs.dynamics import read_dynamics
    from engine.runs.reader import read_run, status_word
    from engine.runs.remote import heartbeat_state

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / "killed.py"
    script.write_text(KILLED.format(root=root, runs=str(tmp_path / "runs")))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        folder = proc.stdout.readline().strip()
        assert folder, "the script printed no run folder"
        assert heartbeat_state(folder) == "alive" and read_run(folder).status == "running"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    beat = json.loads(open(os.path.join(folder, "heartbeat.json")).read())["at"]
    record = read_run(folder)
    assert record.status == "incomplete" and status_word(record) == "stopped — writer gone"
    assert heartbeat_state(folder) == "gone"
    assert [e["epoch"] for e in record.epochs] == [1, 2] and read_dynamics(folder).epochs == [1, 2]
    time.sleep(2.5)
    assert json.loads(open(os.path.join(folder, "heartbeat.json")).read())["at"] == beat  # no longer beaten


def test_a_script_ended_by_sigterm_reads_stopped(tmp_path):
    """A scheduler's SIGTERM mid-epoch: the run is stopped (named why) and the process still
    dies of the signal, as it would without the logger."""
    from engine.runs.reader import read_run

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / "terminated.py"
    script.write_text(KILLED.format(root=root, runs=str(tmp_path / "runs")))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        folder = proc.stdout.readline().strip()
        assert folder, "the script printed no run folder"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == -signal.SIGTERM
    finally:
        proc.kill()
    record = read_run(folder)
    assert record.status == "user_stopped" and "SIGTERM" in record.summary["message"]
    assert [e["epoch"] for e in record.epochs] == [1, 2] and record.events[-1]["event"] == "RunFinished"


TWIN = """
import sys, torch, overfit_lab as ol
sys.path.insert(0, {root!r})
from tests.logger.conftest import train
run = ol.init("same name", runs_dir={runs!r})
train(run, epochs=4)
run.finish()
"""


def test_two_scripts_writing_into_one_runs_folder_at_once(tmp_path):
    from engine.runs.dynamics import read_dynamics
    from engine.runs.reader import list_runs, read_run

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / "twin.py"
    script.write_text(TWIN.format(root=root, runs=str(tmp_path / "runs")))
    procs = [subprocess.Popen([sys.executable, str(script)]) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    folders = list_runs(tmp_path / "runs")
    assert len(folders) == 2
    for folder in folders:
        record = read_run(folder)
        assert record.status == "completed" and [e["epoch"] for e in record.epochs] == [1, 2, 3, 4]
        assert record.skipped_lines == 0 and read_dynamics(folder).epochs == [1, 2, 3, 4]
    assert {read_run(f).summary["pid"] for f in folders} == {p.pid for p in procs}


FULL_DISK = """
import json, shutil, sys, warnings, torch, overfit_lab as ol
from torch.utils.data import DataLoader, TensorDataset
torch.set_num_threads(1)
torch.manual_seed(0)
x = torch.randn(8000, 4)
y = (x[:, 0] > 0).long()
loader = DataLoader(ol.Indexed(TensorDataset(x, y)), batch_size=1000, shuffle=True)
model = torch.nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
run = ol.init("full disk", runs_dir={disk!r})
ol.watch(model, optimizer)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for epoch in range(8):
        for xb, yb, idx in loader:
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss, logits=logits, targets=yb, index=idx)
        run.epoch(val_loss=loss, val_accuracy=0.5)
run.finish()
shutil.copytree(run.path, {out!r})  # (the disk goes with this process)
print(json.dumps([str(w.message) for w in caught if w.category is RuntimeWarning]))
"""


def on_a_small_disk(tmp_path, script_text: str, size: str) -> subprocess.CompletedProcess:
    """Run a script whose runs folder is a tmpfs of `size` (in a mount namespace of the test's
    own, where this machine allows one); it copies its run to tmp_path / "copied"."""
    import shutil

    unshare = shutil.which("unshare")
    disk = tmp_path / "disk"
    disk.mkdir()
    if unshare is None or subprocess.run([unshare, "-rm", "mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(disk)],
                                         capture_output=True).returncode != 0:
        pytest.skip("no tmpfs can be mounted here (unshare -rm mount refused): the monkeypatched test covers it")
    script = tmp_path / "full.py"
    script.write_text(script_text.format(disk=str(disk), out=str(tmp_path / "copied")))
    result = subprocess.run([unshare, "-rm", "sh", "-c", f'mount -t tmpfs -o size={size} tmpfs "{disk}" && '
                             f'exec "{sys.executable}" "{script}"'], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def test_a_real_full_disk_while_writing_dynamics(tmp_path):
    """The same on a real full file system: a 320 kB tmpfs filled by the dynamics of 8,000
    examples a few epochs in."""
    from engine.runs.dynamics import read_dynamics
    from engine.runs.reader import read_run

    result = on_a_small_disk(tmp_path, FULL_DISK, "320k")
    out = tmp_path / "copied"
    said = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(said) == 1 and "per-example dynamics stopped: writing epoch" in said[0] and "No space left" in said[0]
    record = read_run(out)
    assert record.status == "completed" and [e["epoch"] for e in record.epochs] == list(range(1, 9))
    assert record.summary["warnings"] == said
    recorded = read_dynamics(out).epochs
    assert 1 <= len(recorded) < 8 and recorded == list(range(1, len(recorded) + 1))


FULL_METRICS = """
import json, shutil, warnings, torch, overfit_lab as ol
torch.set_num_threads(1)
model = torch.nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
run = ol.init("metrics fill the disk", runs_dir={disk!r})
ol.watch(model, optimizer)
trained = 0
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for epoch in range(400):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.batch(loss=loss)
        run.epoch(val_loss=loss, val_accuracy=0.5)
        trained += 1
    run.finish()
shutil.copytree(run.path, {out!r})
print(json.dumps([trained, [str(w.message) for w in caught if w.category is RuntimeWarning]]))
"""


def test_a_disk_filled_by_the_metrics_ends_the_record_not_the_training(tmp_path):
    """A 64 kB disk filled by the metrics lines: the script trains its 400 epochs, metrics.jsonl
    is cut back to its last whole line, and the summary says the run completed and where its
    record stops."""
    from engine.runs.checked import check_metrics
    from engine.runs.reader import read_run

    result = on_a_small_disk(tmp_path, FULL_METRICS, "64k")
    trained, said = json.loads(result.stdout.strip().splitlines()[-1])
    assert trained == 400 and len(said) == 1
    assert "the run's record stops at epoch" in said[0] and "metrics.jsonl failed (No space left on device)" in said[0]
    out = tmp_path / "copied"
    record = read_run(out)
    check_metrics(out, finished=True)  # whole lines only: the runs index lists it as readable
    recorded = [e["epoch"] for e in record.epochs]
    assert record.status == "completed" and record.skipped_lines == 0
    assert 10 < len(recorded) < 400 and recorded == list(range(1, len(recorded) + 1))
    assert record.summary["warnings"] == said and record.summary["epochs_completed"] == 400
