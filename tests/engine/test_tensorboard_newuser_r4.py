"""main.py import-tensorboard, as a new user met it: a --pair naming a tag the folder lacks is
refused (not ignored), a cut-off event file does not import as "completed", and a folder
followed, stopped and followed again (what the window does) is followed again and keeps the
status its import had."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.cli.main import main
from engine.runs.reader import read_run

ROOT = Path(__file__).resolve().parents[2]


def write_scalars(logdir: Path, values: dict[str, list[float]], start: int = 0) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(logdir))
    for tag, series in values.items():
        for step, value in enumerate(series, start=start):
            writer.add_scalar(tag, value, step * 10)
    writer.close()


def import_folder(capsys, logdir: Path, out: Path, *more: str) -> tuple[int, str, str]:
    code = main(["import-tensorboard", str(logdir), "--out", str(out), *more])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_pair_naming_a_tag_the_folder_lacks_is_refused(tmp_path, capsys):
    write_scalars(tmp_path / "logs", {"Loss/train": [1.0, 0.5], "Loss/val": [1.1, 0.9]})
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out", "--pair", "Nope/train=Loss/val")
    assert code == 2, (out, err)
    assert "'Nope/train'" in err and "Loss/train, Loss/val" in err and str((tmp_path / "logs").absolute()) in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # nothing imported
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out", "--pair", "Loss/train=Loss/val")
    assert code == 0, err


def test_a_cut_off_event_file_imports_as_incomplete_saying_why(tmp_path, capsys):
    write_scalars(tmp_path / "logs", {"train_loss": [1.0, 0.7, 0.5], "val_loss": [1.2, 0.9, 0.8]})
    [path] = [p for p in (tmp_path / "logs").iterdir() if "tfevents" in p.name]
    os.truncate(path, path.stat().st_size - 7)  # the last record cut off, as mid-write
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    assert "incomplete: an event file is cut off" in out
    [folder] = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    run = read_run(folder)
    assert run.status == "incomplete" and len(run.epochs) == 2
    assert str(path) in run.summary["message"] and "may still be writing" in run.summary["message"]
    listing = subprocess.run([sys.executable, "main.py", "runs", str(tmp_path / "out")], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert "completed" not in listing.stdout, listing.stdout + listing.stderr

    write_scalars(tmp_path / "logs2", {"train_loss": [1.0, 0.7], "val_loss": [1.2, 0.9]})  # whole: completed
    code, out, err = import_folder(capsys, tmp_path / "logs2", tmp_path / "out2")
    [folder] = [p for p in (tmp_path / "out2").iterdir() if p.is_dir()]
    assert code == 0 and read_run(folder).status == "completed" and "incomplete" not in out


def test_a_folder_followed_again_after_stop_and_a_completed_import_stays_completed(tmp_path, capsys):
    from engine.runs.remote import send_command
    from engine.runs.tensorboard_follow import FollowedImport

    write_scalars(tmp_path / "logs", {"train_loss": [1.0, 0.7, 0.5], "val_loss": [1.2, 0.9, 0.8]})
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    [folder] = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    assert code == 0 and read_run(folder).status == "completed"

    following = FollowedImport(tmp_path / "logs", tmp_path / "out")  # the window opens it
    following.update()
    assert read_run(folder).status == "running"
    send_command(folder, "pause", by="window")
    following.update()
    paused = read_run(folder).events[-1]
    assert paused["event"] == "Paused" and paused["epoch"] == 3 and paused["step"] == 20  # TensorBoard's step
    send_command(folder, "resume", by="window")
    following.update()
    send_command(folder, "stop", by="window")
    following.update()
    assert following.ended is not None
    run = read_run(folder)  # nothing was written since the import: it is as the import left it
    assert run.status == "completed" and "nothing written since" in run.summary["message"]

    again = FollowedImport(tmp_path / "logs", tmp_path / "out")  # opened again: followed again
    for _ in range(3):
        again.update()
    assert again.ended is None and read_run(folder).status == "running"
    write_scalars(tmp_path / "logs", {"train_loss": [0.4], "val_loss": [0.85]}, start=3)
    again.update()
    send_command(folder, "stop", by="window")
    again.update()
    run = read_run(folder)  # an epoch came meanwhile: the following was stopped, not the import completed
    assert again.ended is not None and run.status == "user_stopped" and len(run.epochs) == 4

