"""The review's findings on the logger (round 4): a real loop over a real DataLoader, the run
folder read back by the engine's readers and `main.py suspects`."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import overfit_lab as ol
import pytest
import torch
from torch.utils.data import DataLoader, Sampler, Subset, TensorDataset

from tests.logger.conftest import tiny_data, tiny_model

ROOT = Path(__file__).resolve().parents[2]


class Rolling(Sampler):
    """A shuffle-like order that starts 20 further on each epoch: with batches of 40 and
    drop_last, epoch 1 leaves out examples 80 … 99, epoch 2 trains on 99 first."""

    def __init__(self, n: int):
        self.n, self.epoch = n, 0

    def __len__(self):
        return self.n

    def __iter__(self):
        order = np.roll(np.arange(self.n), -20 * self.epoch).tolist()
        self.epoch += 1
        return iter(order)


def loop(run, loader, epochs: int, val=None):
    """A hand-written loop; returns the dataset indices trained on."""
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    ol.watch(model, optimizer)
    trained = set()
    for _ in range(epochs):
        for xb, yb, idx in loader:
            loss = torch.nn.functional.cross_entropy(logits := model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss, logits=logits, targets=yb, index=idx)
            trained |= set(idx.tolist())
        run.epoch(val_loss=1.0 if val is None else val(model))
    return trained


def suspects(folder) -> dict:
    result = subprocess.run([sys.executable, "main.py", "suspects", str(folder), "--json", "--top", "70"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_drop_last_with_train_and_validation_both_indexed_trains_to_the_end(tmp_path):
    """Finding 1: two ol.Indexed datasets of different sizes (so none gives the size) and a
    drop_last loader whose epoch 1 misses the highest index: a later epoch's batch with it is
    recorded (it raised IndexError mid-run)."""
    from engine.runs.dynamics import read_dynamics

    x, y = tiny_data(100)
    train_set = ol.Indexed(TensorDataset(x, y))
    val_set = ol.Indexed(TensorDataset(x[:10], y[:10]))
    loader = DataLoader(train_set, batch_size=40, drop_last=True, sampler=Rolling(100))
    run = ol.init("drop last, two indexed", runs_dir=tmp_path)
    trained = loop(run, loader, epochs=3)
    run.finish()
    assert json.loads((run.path / "summary.json").read_text())["status"] == "completed"
    d = read_dynamics(run.path)
    assert d.epochs == [1, 2, 3] and sorted(d.sources.tolist()) == sorted(trained) and 99 in trained
    assert np.array_equal(d.given, y.numpy()[d.sources])
    assert np.isnan(d.margin[0][80:]).all() and not np.isnan(d.margin[-1]).any()
    del val_set


def test_a_subset_of_an_indexed_dataset_records_only_the_examples_trained_on(tmp_path):
    """Finding 4: Subset(ol.Indexed(full), train_ids), the usual split: `main.py suspects`
    counts the 70 trained, by their dataset index, not the 30 held out as class-0 examples."""
    x, y = tiny_data(100)
    full = ol.Indexed(TensorDataset(x, y))
    train_ids = [i for i in range(100) if i % 10 not in (3, 6, 9)]
    loader = DataLoader(Subset(full, train_ids), batch_size=16, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    run = ol.init("subset", runs_dir=tmp_path)
    loop(run, loader, epochs=3)
    run.finish()
    out = suspects(run.path)
    assert out["train_size"] == 70 and len(out["suspects"]) == 70
    assert sorted(row["index"] for row in out["suspects"]) == train_ids
    assert all(row["given"] == int(y[row["index"]]) for row in out["suspects"])


def test_the_live_reader_picks_up_examples_a_later_epoch_added(tmp_path):
    """Finding 5: the window reads a live run with read_dynamics(since=its last read); the
    examples a drop_last epoch 1 missed arrive with epoch 2, and the live read then agrees
    with a fresh one (it kept epoch 1's examples and their labels)."""
    from engine.runs.dynamics import read_dynamics

    x, y = tiny_data(100)
    loader = DataLoader(ol.Indexed(TensorDataset(x, y)), batch_size=40, drop_last=True, sampler=Rolling(100))
    run = ol.init("live drop last", runs_dir=tmp_path)
    live = None
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    for _ in range(3):
        for xb, yb, idx in loader:
            loss = torch.nn.functional.cross_entropy(logits := model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss, logits=logits, targets=yb, index=idx)
        run.epoch()
        live = read_dynamics(run.path, since=live)
    run.finish()
    fresh = read_dynamics(run.path)
    assert live.size == fresh.size == 100 and live.epochs == fresh.epochs == [1, 2, 3]
    assert np.array_equal(live.given, fresh.given) and np.array_equal(live.sources, fresh.sources)
    assert np.array_equal(live.given, y.numpy()[live.sources])
    assert np.array_equal(live.margin, fresh.margin, equal_nan=True)


def test_train_loss_is_the_mean_over_the_epochs_examples(tmp_path):
    """Finding 10: batches of 4, 4 and 2 examples: the engine's train_loss weighs each batch
    by its size (it took the mean of the three batch means)."""
    from engine.runs.reader import read_run

    run = ol.init("weighted loss", runs_dir=tmp_path)
    for loss, size in ((1.0, 4), (2.0, 4), (4.0, 2)):
        run.batch(loss=torch.tensor(loss), logits=torch.zeros(size, 3), targets=torch.zeros(size, dtype=torch.long))
    run.epoch(val_loss=1.0)
    run.finish()
    epoch = read_run(run.path).epochs[0]
    assert epoch["train_loss"] == pytest.approx((1 * 4 + 2 * 4 + 4 * 2) / 10)


def test_a_finished_run_kept_holds_no_model(tmp_path):
    """Finding 13: a sweep that keeps its runs keeps no model, optimizer or device buffer of
    theirs; nor does a watch() that no run took."""
    runs = []
    x, y = tiny_data(40)
    loader = DataLoader(ol.Indexed(TensorDataset(x, y)), batch_size=16)
    run = ol.init("kept", runs_dir=tmp_path)
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    ol.watch(model, optimizer)
    for xb, yb, idx in loader:
        loss = torch.nn.functional.cross_entropy(logits := model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.batch(loss=loss, logits=logits, targets=yb, index=idx)
    run.epoch()
    run.finish()
    runs.append(run)
    gone = weakref.ref(model)
    del model, optimizer, logits, loss
    gc.collect()
    assert gone() is None, "the finished run keeps the model"
    late = tiny_model()
    late_optimizer = torch.optim.SGD(late.parameters(), lr=0.2)
    ol.watch(late, late_optimizer)  # after the last finish: no run takes it
    gone = weakref.ref(late)
    del late, late_optimizer
    gc.collect()
    assert gone() is None, "a watch no run took keeps the model"


SIGTERM_IN_A_WRITE = """
import io, os, signal, sys, torch
sys.path.insert(0, {root!r})
import overfit_lab as ol
run = ol.init("term in a write", runs_dir={runs!r})
print(run.path, flush=True)


class Disk(io.RawIOBase):
    # a slow disk: the scheduler's SIGTERM arrives while epoch 2's line is being written
    def __init__(self, fd):
        self.fd = fd

    def writable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return os.lseek(self.fd, offset, whence)

    def write(self, data):
        data = bytes(data)
        if b'"epoch": 2' in data:  # half the line is on disk when the signal comes
            os.write(self.fd, data[:20])
            os.kill(os.getpid(), signal.SIGTERM)
            return 20 + os.write(self.fd, data[20:])
        return os.write(self.fd, data)


run._metrics.close()
run._metrics = io.TextIOWrapper(io.BufferedWriter(Disk(os.open(run.path / "metrics.jsonl", os.O_WRONLY | os.O_APPEND))),
                                encoding="utf-8")
for epoch in range(3):
    run.batch(loss=torch.tensor(1.0))
    run.epoch(val_loss=1.0)
print("not ended", flush=True)
"""


def test_sigterm_in_the_middle_of_a_write_still_ends_the_run_stopped(tmp_path):
    """Finding 14: a SIGTERM that lands while metrics.jsonl is being written ends the run as
    stopped (finish() from the handler raised "reentrant call" and the run read running,
    then writer gone)."""
    from engine.runs.reader import read_run

    script = tmp_path / "term.py"
    script.write_text(SIGTERM_IN_A_WRITE.format(root=str(ROOT), runs=str(tmp_path / "runs")))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGTERM, proc.stderr
    folder = proc.stdout.splitlines()[0]
    record = read_run(folder)
    assert record.status == "user_stopped" and "SIGTERM" in record.summary["message"]
    assert [e["epoch"] for e in record.epochs] == [1] and record.events[-1]["event"] == "RunFinished"
    lines = Path(folder, "metrics.jsonl").read_text().splitlines()
    assert lines[-2] == '{"type": "epoch", "epoch": 2, "step"'[:20] and json.loads(lines[-1])["event"] == "RunFinished"


def test_a_layer_frozen_at_watch_time_gets_its_norms_once_unfrozen(tmp_path):
    """Finding 15: a fine-tune that freezes the first layer, watches, then unfreezes it: its
    weight and gradient norms are recorded (0 while frozen), as every layer is in the engine."""
    from engine.runs.reader import read_run

    x, y = tiny_data(40)
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    model[0].requires_grad_(False)
    run = ol.init("unfreeze", runs_dir=tmp_path)
    ol.watch(model, optimizer)
    for epoch in range(2):
        if epoch == 1:
            model[0].requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(logits := model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.batch(loss=loss, logits=logits, targets=y)
        run.epoch(val_loss=1.0)
    run.finish()
    record = read_run(run.path)
    assert record.summary["layer_names"] == ["0", "2"]
    first, second = record.epochs
    assert first["grad_norms"]["0"] == 0 and second["grad_norms"]["0"] > 0
    assert first["weight_norms"]["0"] > 0 and first["grad_norms"]["2"] > 0
