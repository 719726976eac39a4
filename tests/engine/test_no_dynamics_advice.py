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


def test_clean_and_evaluate_of_a_scripts_run_say_it_is_the_scripts_to_do(tmp_path):
    """The app holds neither a script's network nor its data: `clean` and `evaluate` refuse,
    saying so (they said 'data.file is empty' and 'no last weights saved')."""
    import overfit_lab as ol

    torch.manual_seed(0)
    x, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
    data = ol.Indexed(torch.utils.data.TensorDataset(x, y))
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with ol.init("script", runs_dir=tmp_path) as run:
        for _ in range(4):
            for xb, yb, idx in torch.utils.data.DataLoader(data, batch_size=16):
                logits = model(xb)
                loss = torch.nn.functional.cross_entropy(logits, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                run.batch(loss=loss, logits=logits, targets=yb, index=idx)
            run.epoch(val_loss=1.0, val_accuracy=0.5)
    folder = list_runs(tmp_path)[0]
    assert suspects(folder).returncode == 0  # its suspects are there to read
    for command in (["clean", str(folder)], ["evaluate", str(folder), "--split", "val"]):
        proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *command], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert "written by a script" in proc.stderr and "do it in the script" in proc.stderr, proc.stderr
