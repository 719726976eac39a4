"""`main.py suspects` on a run without per-example dynamics says how to get them for the way
the run was written: a TensorBoard import (the logger, not a retraining), a script that gave
run.batch() no logits / index, the engine's own run (run.record_examples)."""

import subprocess
import sys
from pathlib import Path

import torch

from engine.runs.reader import list_runs

ROOT = Path(__file__).resolve().parents[2]


def suspects(run_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "suspects", str(run_dir)],
                          capture_output=True, text=True, timeout=120)


def test_a_tensorboard_import_is_told_to_use_the_logger(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "logs" / "mlp"))
    for epoch in range(3):
        writer.add_scalar("Loss/train", 1.0 / (epoch + 1), epoch)
        writer.add_scalar("Loss/val", 1.2 / (epoch + 1), epoch)
    writer.close()
    out = tmp_path / "runs"
    subprocess.run([sys.executable, str(ROOT / "main.py"), "import-tensorboard", str(tmp_path / "logs"),
                    "--out", str(out)], check=True, capture_output=True, timeout=120)
    proc = suspects(list_runs(out)[0])
    assert proc.returncode != 0
    assert "imported from TensorBoard" in proc.stderr and "run.batch(" in proc.stderr
    assert "record_examples" not in proc.stderr  # no retraining of what the app never trained


def test_a_script_without_per_example_figures_is_told_what_to_pass(tmp_path):
    import overfit_lab as ol

    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with ol.init("no-index", runs_dir=tmp_path) as run:
        for _ in range(2):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss)
            run.epoch(val_loss=1.0, val_accuracy=0.5)
    proc = suspects(list_runs(tmp_path)[0])
    assert proc.returncode != 0
    assert "gave no per-example figures" in proc.stderr and "ol.Indexed" in proc.stderr
