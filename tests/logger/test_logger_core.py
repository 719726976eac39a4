"""The logger writes the engine's run folder: read back with the engine's own readers, its
figures are the loop's (checked by hand), and the window's Stop / Pause reach the loop."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import overfit_lab as ol
import pytest
import torch

from tests.logger.conftest import tiny_data, train


def test_a_loop_writes_a_run_folder_the_engine_reads(tmp_path):
    from engine.core import events as ev
    from engine.core.config import Config
    from engine.runs.dynamics import read_dynamics
    from engine.runs.reader import read_run

    run = ol.init("tiny mlp", config={"lr": 0.2, "epochs": 3, "batch_size": 32, "note": "mine", "depth": [1, 2]},
                  runs_dir=tmp_path)
    train(run, epochs=3)
    run.finish()

    record = read_run(run.path)
    assert record.status == ev.COMPLETED and record.summary["source"] == "script"
    assert record.summary["script"]["argv"] == sys.argv and record.summary["script"]["cwd"]
    assert record.summary["script"]["config"]["note"] == "mine"  # the user's whole config, in the summary
    assert [e["epoch"] for e in record.epochs] == [1, 2, 3]
    assert record.events[0]["event"] == "RunStarted" and record.events[-1]["event"] == "RunFinished"
    fields = {f.name for f in dataclasses.fields(ev.EpochMetrics)}
    for row in record.epochs:  # every line is an EpochMetrics the window can rebuild
        ev.EpochMetrics(**{k: row[k] for k in fields})
        assert set(row["weight_norms"]) == {"0", "2"} and all(v > 0 for v in row["grad_norms"].values())
        assert row["lr"] == 0.2 and 0 <= row["train_accuracy"] <= 1
        assert row["accuracy_gap"] == pytest.approx(row["train_accuracy"] - row["val_accuracy"])
    assert record.summary["steps_per_epoch"] == 4 and record.summary["layer_names"] == ["0", "2"]
    assert record.summary["best_epoch"] == min(record.epochs, key=lambda e: e["val_loss"])["epoch"]

    cfg = Config.from_dict(record.config)  # the settings panel opens it
    assert (cfg.optim.lr, cfg.optim.epochs, cfg.optim.batch_size, cfg.run.name) == (0.2, 3, 32, "tiny mlp")

    d = read_dynamics(run.path)
    _, y = tiny_data()
    assert d.size == 120 and d.epochs == [1, 2, 3]
    assert np.array_equal(d.given, y.numpy()) and d.class_names == ["0", "1", "2"]


def test_figures_are_the_loops_own(tmp_path):
    """Train loss and accuracy, each example's margin / probability / prediction and the
    layers' gradient norms, against the same figures computed by hand from the loop."""
    from engine.runs.dynamics import read_dynamics
    from engine.runs.reader import read_run

    run = ol.init("by hand", runs_dir=tmp_path)
    seen = []
    model = train(run, epochs=2, seen=seen)
    run.finish()
    record, d = read_run(run.path), read_dynamics(run.path)
    for epoch, rows in enumerate(seen):
        logits = torch.stack([rows[i][0] for i in range(120)]).float()
        given = torch.tensor([rows[i][1] for i in range(120)])
        p = torch.softmax(logits, 1)[torch.arange(120), given]
        others = logits.scatter(1, given[:, None], float("-inf")).max(1).values
        margin = logits[torch.arange(120), given] - others
        assert np.allclose(d.probability[epoch], p.numpy(), atol=2e-3)
        assert np.allclose(d.margin[epoch], margin.numpy(), atol=1e-2, rtol=1e-3)
        assert np.array_equal(d.predicted[epoch], logits.argmax(1).numpy())
        accuracy = (logits.argmax(1) == given).float().mean().item()
        assert record.epochs[epoch]["train_accuracy"] == pytest.approx(accuracy)
    weights = {name: p.detach().norm().item() for name, p in model.named_parameters() if p.dim() == 2}
    assert record.epochs[-1]["weight_norms"] == pytest.approx({k.removesuffix(".weight"): v for k, v in weights.items()})


def test_grad_norms_are_the_mean_over_the_epochs_steps(tmp_path):
    run = ol.init("grads", runs_dir=tmp_path)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    ol.watch(model, optimizer)
    norms = []
    for step in range(3):
        loss = model(torch.full((4, 3), float(step + 1))).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        norms.append(model.weight.grad.norm().item())
        optimizer.step()
        run.batch(loss=loss)
    line = run.epoch()
    run.finish()
    assert line["grad_norms"]["weight"] == pytest.approx(sum(norms) / 3, rel=1e-5)
    assert line["weight_norms"]["weight"] == pytest.approx(model.weight.norm().item(), rel=1e-5)
    assert np.isnan(line["train_accuracy"]) and np.isnan(line["val_loss"])  # not given: not known


def test_stop_from_the_window_ends_the_loop_as_stopped_by_the_user(tmp_path):
    from engine.core import events as ev
    from engine.runs.reader import read_run
    from engine.runs.remote import send_command

    run = ol.init("stopped", runs_dir=tmp_path)
    assert not run.should_stop and not run.pause_requested
    send_command(run.path, "stop", by="window")
    time.sleep(1.1)  # (the control file is looked at once a second at most)
    model = train(run, epochs=50)
    assert model is not None and len(run.epochs) == 1  # the loop broke after its first epoch
    run.finish()
    record = read_run(run.path)
    assert record.status == ev.USER_STOPPED and "window" in record.summary["message"]


def test_pause_blocks_the_next_call_until_resume(tmp_path):
    from engine.runs.reader import read_run
    from engine.runs.remote import send_command

    run = ol.init("paused", runs_dir=tmp_path)
    send_command(run.path, "pause", by="window")
    resumed_at = []

    def resume_later():
        time.sleep(1.5)
        resumed_at.append(time.monotonic())
        send_command(run.path, "resume", by="window")

    threading.Thread(target=resume_later, daemon=True).start()
    assert not run.should_stop and run.pause_requested  # (read: the loop pauses at its next call)
    run.batch(loss=torch.tensor(1.0))  # blocks here while paused
    returned_at = time.monotonic()
    assert resumed_at and returned_at >= resumed_at[0]
    run.epoch()
    run.finish()
    events = [e["event"] for e in read_run(run.path).events]
    assert events == ["RunStarted", "Paused", "Resumed", "RunFinished"]
    assert not run.should_stop and not run.pause_requested


def test_a_pause_at_an_epochs_end_waits_with_that_epoch_written(tmp_path):
    from engine.runs.remote import send_command

    run = ol.init("paused at the epoch", runs_dir=tmp_path)
    run.batch(loss=torch.tensor(1.0))
    time.sleep(1.1)
    send_command(run.path, "pause", by="window")
    written = []

    def look_then_resume():
        time.sleep(1.5)
        written.extend(json.loads(line)["type"] for line in (run.path / "metrics.jsonl").read_text().splitlines())
        send_command(run.path, "resume", by="window")

    threading.Thread(target=look_then_resume, daemon=True).start()
    run.epoch(val_loss=0.5, val_accuracy=0.5)  # waits here, its line already written
    assert written == ["event", "epoch", "event"]  # RunStarted, the epoch, Paused
    run.finish()


def test_stop_while_paused_ends_the_pause_and_the_run(tmp_path):
    from engine.core import events as ev
    from engine.runs.reader import read_run
    from engine.runs.remote import send_command

    run = ol.init("paused then stopped", runs_dir=tmp_path)
    run.batch(loss=torch.tensor(1.0))
    time.sleep(1.1)
    send_command(run.path, "pause", by="window")
    threading.Timer(1.5, send_command, (run.path, "stop"), {"by": "window"}).start()
    run.batch(loss=torch.tensor(1.0))
    assert run.should_stop
    run.finish()
    record = read_run(run.path)
    assert record.status == ev.USER_STOPPED
    assert [e["event"] for e in record.events][1:3] == ["Paused", "Resumed"]


def test_heartbeat_beats_while_the_run_lives(tmp_path):
    from engine.runs.remote import heartbeat_state

    run = ol.init("beating", runs_dir=tmp_path)
    beat = json.loads((run.path / "heartbeat.json").read_text())
    assert beat["every_s"] == 2.0 and beat["pid"] > 0 and beat["host"]
    time.sleep(2.5)
    assert json.loads((run.path / "heartbeat.json").read_text())["at"] > beat["at"]
    assert heartbeat_state(run.path) == "alive"
    run.finish()


def test_an_exception_in_a_with_block_ends_the_run_failed(tmp_path):
    from engine.core import events as ev
    from engine.runs.reader import read_run

    with pytest.raises(RuntimeError, match="boom"), ol.init("failing", runs_dir=tmp_path) as run:
        run.batch(loss=torch.tensor(1.0))
        raise RuntimeError("boom")
    record = read_run(run.path)
    assert record.status == ev.FAILED and "boom" in record.summary["message"]
    assert "RuntimeError: boom" in record.summary["traceback"]


@pytest.mark.parametrize("ending, status", [("pass", "completed"), ("raise SystemExit(0)", "completed"),
                                            ("raise ValueError('bad data')", "failed"),
                                            ("raise KeyboardInterrupt", "user_stopped")])
def test_a_script_that_never_calls_finish_is_ended_at_exit(tmp_path, ending, status):
    from engine.runs.reader import read_run

    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""
        import torch, overfit_lab as ol
        run = ol.init("no finish", runs_dir={str(tmp_path / 'runs')!r})
        run.batch(loss=torch.tensor(0.5))
        run.epoch(val_loss=0.7, val_accuracy=0.5)
        {ending}
        """))
    subprocess.run([sys.executable, str(script)], capture_output=True, timeout=120)
    (folder,) = (tmp_path / "runs").iterdir()
    record = read_run(folder)
    assert record.status == status and len(record.epochs) == 1
    if status == "failed":
        assert "ValueError: bad data" in record.summary["message"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run on a GPU machine)")
def test_no_host_sync_per_batch_on_the_gpu(tmp_path):
    """run.batch() never waits for the GPU (torch raises on any synchronizing call in its
    "error" sync-debug mode), with the index on the CPU or on the GPU; an index on the GPU out
    of range is counted there and run.epoch() says how many were left out."""
    from torch.utils.data import DataLoader, TensorDataset

    from engine.runs.dynamics import read_dynamics

    x, y = tiny_data()
    dataset = ol.Indexed(TensorDataset(x, y))
    loader = DataLoader(dataset, batch_size=32, shuffle=True)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)).cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    run = ol.init("gpu", runs_dir=tmp_path)
    ol.watch(model, optimizer)
    for epoch in range(2):
        for batch, (xb, yb, idx) in enumerate(loader):
            xb, yb = xb.cuda(), yb.cuda()
            if epoch == 1:
                idx = idx.cuda()
                if batch == 0:
                    idx[0] = 500  # one out of range, on the device, in epoch 2
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            torch.cuda.set_sync_debug_mode("error")
            try:
                run.batch(loss=loss, logits=logits, targets=yb, index=idx)
            finally:
                torch.cuda.set_sync_debug_mode("default")
        if epoch == 0:
            run.epoch()
    with pytest.warns(UserWarning, match=r"1 indices of epoch 2 were outside the training dataset \(0 … 119\)"):
        run.epoch()
    run.finish()
    assert read_dynamics(run.path).epochs == [1, 2]


def test_examples_an_epoch_left_out_get_their_labels_later(tmp_path):
    """A loader with drop_last leaves some examples out of each epoch: their margins are NaN
    until first trained on (as a diverged epoch's), and their labels are the ones given, not
    a placeholder, once a later epoch has seen them."""
    from torch.utils.data import DataLoader, TensorDataset

    from engine.runs.dynamics import read_dynamics
    from tests.logger.conftest import tiny_model

    x, y = tiny_data()
    loader = DataLoader(ol.Indexed(TensorDataset(x, y)), batch_size=32, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(0))
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    run = ol.init("drop last", runs_dir=tmp_path)
    trained = set()
    for _ in range(4):
        for xb, yb, idx in loader:
            loss = torch.nn.functional.cross_entropy(logits := model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss, logits=logits, targets=yb, index=idx)
            trained |= set(idx.tolist())
        run.epoch()
    run.finish()
    d = read_dynamics(run.path)
    # the examples are those trained on, by dataset index; the ones epoch 1 left out come
    # after its 96 and have no figures in it
    seen = sorted(trained)
    assert sorted(d.sources.tolist()) == seen and len(seen) > 96
    assert 0 < np.isnan(d.margin[0]).sum() == len(seen) - 96 and not np.isnan(d.margin[0][:96]).any()
    assert np.array_equal(d.given, y.numpy()[d.sources]) and np.array_equal(d.positions, d.sources)
    assert not np.isnan(d.margin[-1]).any()


def test_the_logger_imports_nothing_of_the_app(tmp_path):
    """A research environment has no Qt and no app: a whole run imports neither (and a watch
    made before init is the run's)."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""
        import sys, torch, overfit_lab as ol
        model = torch.nn.Linear(3, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        ol.watch(model, optimizer)
        run = ol.init("alone", runs_dir={str(tmp_path / 'runs')!r})
        loss = model(torch.ones(4, 3)).sum()
        loss.backward()
        optimizer.step()
        run.batch(loss=loss, logits=model(torch.ones(4, 3)), targets=torch.zeros(4, dtype=torch.long),
                  index=torch.arange(4))
        print(run.epoch()["weight_norms"])
        run.finish()
        print(sorted({{m.split(".")[0] for m in sys.modules}} & {{"engine", "gui", "main", "PySide6", "pyqtgraph"}}))
        """))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    norms, imported = result.stdout.strip().splitlines()
    assert imported == "[]" and norms.startswith("{'weight': ")


def test_indexed_over_a_subset_and_the_datasets_own_attributes():
    """random_split gives Subsets, whose __getitems__ a DataLoader would call instead of the
    index-adding __getitem__."""
    from torch.utils.data import DataLoader, TensorDataset, random_split

    x, y = tiny_data()
    full = TensorDataset(x, y)
    full.classes = ["low", "middle", "high"]
    train, _ = random_split(full, [100, 20], generator=torch.Generator().manual_seed(0))
    batches = list(DataLoader(ol.Indexed(train), batch_size=50))
    assert [len(b) for b in batches] == [3, 3]
    assert torch.equal(batches[1][2], torch.arange(50, 100))
    assert torch.equal(batches[0][1], y[train.indices[:50]])
    assert ol.Indexed(full).classes == ["low", "middle", "high"] and len(ol.Indexed(train)) == 100


def test_two_commands_within_one_tick_of_a_coarse_clock_are_both_read(tmp_path):
    """A pause and a resume whose files carry the same modification time (a file system that
    keeps whole seconds): the resume is still read, and the loop does not wait forever."""
    from engine.runs.remote import send_command

    run = ol.init("coarse clock", runs_dir=tmp_path)
    control = run.path / "control.json"
    send_command(run.path, "pause", by="window")
    assert run.pause_requested
    first = control.stat().st_mtime_ns
    send_command(run.path, "resume", by="window")
    os.utime(control, ns=(first, first))
    guard = threading.Timer(6.0, send_command, (run.path, "stop"), {"by": "the test's guard"})
    guard.start()  # (were the resume missed, the batch below would wait for this stop)
    time.sleep(1.1)
    run.batch(loss=torch.tensor(1.0))
    guard.cancel()
    assert not run.should_stop and not run.pause_requested
    run.finish()
