"""The logger under torch.distributed: two CPU processes (gloo) train one DDP model, each on
half of the examples (DistributedSampler); only rank 0 writes a run folder, and that folder
holds every example's margin, each the one its own rank computed. A Stop sent to the folder
ends both ranks at the same epoch (neither waits forever for the other)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.runs.dynamics import read_dynamics
from engine.runs.reader import list_runs, read_run

ROOT = Path(__file__).resolve().parents[2]
N, EPOCHS = 64, 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank: int, world: int, port: int, runs_dir: str, out_dir: str, stop_after: int) -> None:
    """One rank's training script, as a user writes it with torchrun."""
    import overfit_lab as ol
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, 4, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
    dataset = ol.Indexed(TensorDataset(x, y))
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=8, sampler=sampler)
    torch.manual_seed(0)
    model = DistributedDataParallel(torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    run = ol.init("ddp", config={"lr": 0.1, "world": world}, runs_dir=runs_dir)
    ol.watch(model, optimizer)
    seen = []  # per epoch: {index: margin} of the examples this rank trained on
    epochs = 0
    for epoch in range(40 if stop_after else EPOCHS):
        sampler.set_epoch(epoch)
        margins = {}
        for xb, yb, idx in loader:
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss, logits=logits, targets=yb, index=idx)
            with torch.no_grad():
                given = logits.gather(1, yb[:, None])[:, 0]
                other = logits.scatter(1, yb[:, None], float("-inf")).max(1).values
            margins.update({int(i): float(m) for i, m in zip(idx, given - other, strict=True)})
        seen.append(margins)
        run.epoch(val_loss=loss, val_accuracy=0.5)
        epochs += 1
        if stop_after and epochs == stop_after and rank == 0:
            from engine.runs.remote import send_command

            send_command(run.path, "stop", by="test")
            time.sleep(1.1)  # the logger looks at control.json at most once a second
        if run.should_stop:
            break
    run.finish()
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps({"seen": seen, "epochs": epochs,
                                                             "path": str(run.path)}))
    dist.destroy_process_group()


def _spawn(tmp_path, stop_after: int = 0):
    runs, out = tmp_path / "runs", tmp_path / "out"
    out.mkdir()
    code = ("import sys, torch.multiprocessing as mp; from tests.logger.test_distributed import worker; "
            f"mp.spawn(worker, args=(2, {_free_port()}, {str(runs)!r}, {str(out)!r}, {stop_after}), nprocs=2)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return runs, [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]


def test_only_rank_zero_writes_and_the_folder_has_every_rank_s_examples(tmp_path):
    runs, ranks = _spawn(tmp_path)
    (folder,) = list_runs(runs)  # one folder: rank 1 wrote none there
    assert Path(ranks[0]["path"]) == folder
    assert not Path(ranks[1]["path"]).exists(), "rank 1's scratch folder was left behind"
    record = read_run(folder)
    assert record.status == "completed"
    assert [e["epoch"] for e in record.epochs] == [1, 2, 3]
    d = read_dynamics(folder)
    assert d.size == N and d.epochs == [1, 2, 3]
    for epoch in range(EPOCHS):
        mine, theirs = ({int(i): m for i, m in r["seen"][epoch].items()} for r in ranks)
        assert set(mine) | set(theirs) == set(range(N)) and not set(mine) & set(theirs)
        expected = np.array([{**mine, **theirs}[i] for i in range(N)], np.float32)
        # float16 on disk: each margin within its rounding
        np.testing.assert_allclose(d.margin[epoch], expected, rtol=2e-3, atol=2e-3)
    # the training accuracy counts both ranks' batches (an example is right where its margin > 0)
    for epoch, e in enumerate(record.epochs):
        both = [m > 0 for r in ranks for m in r["seen"][epoch].values()]
        assert e["train_accuracy"] == pytest.approx(sum(both) / N)


def test_a_stop_ends_every_rank_at_the_same_epoch(tmp_path):
    runs, ranks = _spawn(tmp_path, stop_after=1)
    record = read_run(list_runs(runs)[0])
    assert record.status == "user_stopped"
    assert ranks[0]["epochs"] == ranks[1]["epochs"] < 40
    assert len(record.epochs) == ranks[0]["epochs"]


LIGHTNING_SCRIPT = """
import sys
from pathlib import Path

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

import overfit_lab as ol

runs_dir, out_dir, n, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


class Module(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))

    def training_step(self, batch, batch_idx):
        x, y, idx = batch
        logits = self.net(x)
        return {"loss": torch.nn.functional.cross_entropy(logits, y), "logits": logits, "targets": y, "index": idx}

    def on_train_epoch_end(self):
        Path(out_dir, f"rank{self.global_rank}-epoch{self.current_epoch}").touch()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


if __name__ == "__main__":
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
    loader = DataLoader(ol.Indexed(TensorDataset(x, y)), batch_size=8, shuffle=True)
    trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", devices=2, strategy="ddp", logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         callbacks=[ol.LightningCallback("lightning-ddp", runs_dir=runs_dir)])
    trainer.fit(Module(), loader)
"""

def test_lightning_callback_under_ddp_writes_one_folder_with_every_example(tmp_path):
    import lightning.pytorch  # noqa: F401  (the dev extra)
    runs, out = tmp_path / "runs", tmp_path / "out"
    out.mkdir()
    script = tmp_path / "fit.py"  # Lightning's DDP starts rank 1 by running the script again
    script.write_text(LIGHTNING_SCRIPT)
    done = subprocess.run([sys.executable, str(script), str(runs), str(out), str(N), str(EPOCHS)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == [f"rank{r}-epoch{e}" for r in (0, 1) for e in range(EPOCHS)]
    (folder,) = list_runs(runs)
    record = read_run(folder)
    assert record.status == "completed"
    assert [e["epoch"] for e in record.epochs] == [1, 2, 3]
    d = read_dynamics(folder)
    assert d.size == N and d.epochs == [1, 2, 3]
    assert np.all(np.isfinite(d.margin)), "examples of rank 1 missing from the folder"
