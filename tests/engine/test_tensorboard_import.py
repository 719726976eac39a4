"""main.py import-tensorboard: event files written by torch's SummaryWriter, Lightning's
TensorBoardLogger, Keras's TensorBoard callback and the Hugging Face Trainer become run folders
the engine reads; a folder still being written is imported again with its new epochs; a damaged
file, a folder without scalars and tags that cannot be paired are said, naming the file / tags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.runs.reader import read_run

ROOT = Path(__file__).resolve().parents[2]


def run_script(tmp_path: Path, source: str, env: dict | None = None) -> None:
    """A writer in a process of its own (as a user's training script is)."""
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(source))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})
    assert done.returncode == 0, done.stderr[-3000:]


def import_folder(capsys, logdir: Path, out: Path, *more: str) -> tuple[int, str, str]:
    code = main(["import-tensorboard", str(logdir), "--out", str(out), *more])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def imported(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir())


def write_scalars(logdir: Path, values: dict[str, list[float]], start: int = 0) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(logdir))
    for tag, series in values.items():
        for step, value in enumerate(series, start=start):
            writer.add_scalar(tag, value, step)
    writer.close()


def test_torch_summary_writer_tutorial_tags(tmp_path, capsys):
    losses, val_losses = [1.0, 0.6, 0.4, 0.3], [1.1, 0.8, 0.75, 0.9]
    write_scalars(tmp_path / "runs" / "exp1", {"Loss/train": losses, "Loss/val": val_losses,
                                               "Accuracy/train": [0.5, 0.7, 0.8, 0.9],
                                               "Accuracy/val": [0.45, 0.6, 0.62, 0.6]})
    code, out, err = import_folder(capsys, tmp_path / "runs", tmp_path / "out")
    assert code == 0, err
    [folder] = imported(tmp_path / "out")
    assert str(folder) in out
    run = read_run(folder)
    assert [round(e["train_loss"], 6) for e in run.epochs] == losses
    assert [round(e["val_loss"], 6) for e in run.epochs] == val_losses
    assert [round(e["accuracy_gap"], 6) for e in run.epochs] == [0.05, 0.1, 0.18, 0.3]
    assert run.summary["source"] == "tensorboard"
    assert run.summary["logdir"] == str((tmp_path / "runs").absolute())
    assert run.summary["best_epoch"] == 3 and run.status == "completed"
    assert run.config["run"]["name"] == "exp1"


def test_torch_add_scalars_tutorial_one_run(tmp_path, capsys):
    """PyTorch's "TensorBoard support" tutorial: add_scalars writes each key in a folder of its own
    (<run>/Training vs. Validation Loss_Training, …_Validation) beside the run's event file."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "runs" / "fashion_trainer_1"))
    for epoch, (train, val) in enumerate([(0.9, 1.0), (0.5, 0.7), (0.3, 0.75)]):
        writer.add_scalars("Training vs. Validation Loss", {"Training": train, "Validation": val}, epoch + 1)
    writer.close()
    code, out, err = import_folder(capsys, tmp_path / "runs", tmp_path / "out")
    assert code == 0, err
    [folder] = imported(tmp_path / "out")
    run = read_run(folder)
    assert run.config["run"]["name"] == "fashion_trainer_1"
    assert [e["train_loss"] for e in run.epochs] == pytest.approx([0.9, 0.5, 0.3])
    assert [e["val_loss"] for e in run.epochs] == pytest.approx([1.0, 0.7, 0.75])


LIGHTNING = """
import torch, lightning as L
from torch import nn
import torch.nn.functional as F
from lightning.pytorch.loggers import TensorBoardLogger
torch.manual_seed(0); torch.set_num_threads(1)
seen, steps = [], {}
class Net(L.LightningModule):
    def __init__(self):
        super().__init__(); self.net = nn.Linear(4, 3)
    def training_step(self, batch, i):
        x, y = batch; out = self.net(x); loss = F.cross_entropy(out, y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        accuracy = (out.argmax(1) == y).float().mean()
        self.log("train_acc", accuracy)  # per step only (Lightning's default in training_step)
        steps.setdefault(self.current_epoch, []).append(float(accuracy))
        return loss
    def validation_step(self, batch, i):
        x, y = batch; out = self.net(x)
        self.log("val_loss", F.cross_entropy(out, y)); self.log("val_acc", (out.argmax(1) == y).float().mean())
    def on_validation_epoch_end(self):
        seen.append(None)
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.5)
class Record(L.Callback):
    def on_validation_end(self, trainer, module):
        seen[-1] = float(trainer.callback_metrics["val_loss"])
x = torch.randn(64, 4); y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
trainer = L.Trainer(max_epochs=3, logger=TensorBoardLogger("logs"), callbacks=[Record()], enable_progress_bar=False,
                    enable_checkpointing=False, enable_model_summary=False, num_sanity_val_steps=0,
                    log_every_n_steps=1)
trainer.fit(Net(), data, data)
open("val_losses.json", "w").write(__import__("json").dumps([seen, [sum(a) / len(a) for a in steps.values()]]))
"""


def test_lightning_tensorboard_logger(tmp_path, capsys):
    run_script(tmp_path, LIGHTNING)
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    [folder] = imported(tmp_path / "out")
    run = read_run(folder)
    expected, train_accuracies = json.loads((tmp_path / "val_losses.json").read_text())
    assert [round(e["val_loss"], 5) for e in run.epochs] == [round(v, 5) for v in expected]
    assert all(e["train_loss"] is not None for e in run.epochs)
    assert run.summary["tags"]["pairs"]["loss"] == ["train_loss_epoch", "val_loss"]
    # a curve logged per step: each epoch's value is the mean of its steps
    assert run.summary["tags"]["pairs"]["accuracy"] == ["train_acc", "val_acc"]
    assert [e["train_accuracy"] for e in run.epochs] == pytest.approx(train_accuracies)
    assert "train_loss_step" in err  # the per-step curve is said to be left out


KERAS = """
import os, sys, types, numpy as np
os.environ["KERAS_BACKEND"] = "torch"
sys.modules["tensorboard.compat.notf"] = types.ModuleType("tensorboard.compat.notf")  # the shim is no TensorFlow
import keras
np.random.seed(0)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
x = np.random.rand(64, 4).astype("float32"); y = np.random.randint(0, 3, 64)
history = model.fit(x, y, validation_split=0.25, epochs=3, verbose=0,
                    callbacks=[keras.callbacks.TensorBoard("logs/fit", write_graph=False)])
open("history.json", "w").write(__import__("json").dumps(history.history))
"""

# Keras's TensorBoard callback writes through tf.summary, and TensorFlow is not installed here:
# this stands in for tf.summary's scalar writer (TensorBoard's own EventFileWriter, tensor
# summaries whose kind is said on a tag's first value only, as TensorFlow 2 writes them).
TF_SUMMARY_SHIM = '''
import contextlib, time
import numpy as np
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util
_default = []
class _Writer:
    def __init__(self, logdir):
        self._w, self._seen = EventFileWriter(logdir), set()
    @contextlib.contextmanager
    def as_default(self, step=None):
        _default.append(self)
        try:
            yield self
        finally:
            _default.pop()
    def write(self, tag, value, step):
        metadata = None
        if tag not in self._seen:
            self._seen.add(tag)
            metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
        v = Summary.Value(tag=tag, tensor=tensor_util.make_tensor_proto(np.float32(float(value))), metadata=metadata)
        self._w.add_event(Event(wall_time=time.time(), step=int(step), summary=Summary(value=[v])))
    def flush(self):
        self._w.flush()
    def close(self):
        self._w.close()
def create_file_writer(logdir):
    return _Writer(logdir)
def scalar(name, data, step=None):
    if not _default:
        return False
    _default[-1].write(name, data, step)
    return True
'''


def test_keras_tensorboard_callback(tmp_path, capsys):
    shim = tmp_path / "shim" / "tensorflow"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("")
    (shim / "summary.py").write_text(TF_SUMMARY_SHIM)
    run_script(tmp_path, KERAS, env={"PYTHONPATH": str(tmp_path / "shim")})
    assert {p.name for p in (tmp_path / "logs" / "fit").iterdir()} == {"train", "validation"}
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    [folder] = imported(tmp_path / "out")  # train/ and validation/ are one run
    run = read_run(folder)
    history = json.loads((tmp_path / "history.json").read_text())
    assert [round(e["train_loss"], 5) for e in run.epochs] == [round(v, 5) for v in history["loss"]]
    assert [round(e["val_loss"], 5) for e in run.epochs] == [round(v, 5) for v in history["val_loss"]]
    assert [round(e["val_accuracy"], 5) for e in run.epochs] == [round(v, 5) for v in history["val_accuracy"]]
    assert run.epochs[0]["lr"] == pytest.approx(0.001)


HUGGING_FACE = """
import os, json, numpy as np, torch
torch.manual_seed(0); torch.set_num_threads(1)
os.environ["TENSORBOARD_LOGGING_DIR"] = "logs/run1"
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments
config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                    max_position_embeddings=16, num_labels=2)
class Tokens(torch.utils.data.Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(n); self.x = torch.randint(0, 50, (n, 8), generator=g)
        self.y = (self.x[:, 0] > 25).long()
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return {"input_ids": self.x[i], "labels": self.y[i]}
def accuracy(p): return {"accuracy": float((np.argmax(p.predictions, -1) == p.label_ids).mean())}
args = TrainingArguments(output_dir="out", num_train_epochs=3, per_device_train_batch_size=8, eval_strategy="epoch",
                         logging_strategy="steps", logging_steps=2, report_to=["tensorboard"], save_strategy="no",
                         use_cpu=True, disable_tqdm=True)
trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=Tokens(48),
                  eval_dataset=Tokens(16), compute_metrics=accuracy)
trainer.train()
json.dump([h for h in trainer.state.log_history if "eval_loss" in h], open("evals.json", "w"))
"""


def test_hugging_face_trainer(tmp_path, capsys):
    run_script(tmp_path, HUGGING_FACE)
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    [folder] = imported(tmp_path / "out")
    run = read_run(folder)
    evals = json.loads((tmp_path / "evals.json").read_text())
    assert [round(e["val_loss"], 5) for e in run.epochs] == [round(h["eval_loss"], 5) for h in evals]
    assert [e["val_accuracy"] for e in run.epochs] == pytest.approx([h["eval_accuracy"] for h in evals])
    assert all(e["train_loss"] is not None for e in run.epochs)  # train/loss's points of each epoch
    assert run.summary["tags"]["pairs"]["loss"] == ["train/loss", "eval/loss"]
    assert "eval/accuracy has no train curve" in err


def test_ambiguous_tags_left_unpaired_then_paired_by_the_user(tmp_path, capsys):
    write_scalars(tmp_path / "logs", {"Loss/train": [1.0, 0.5, 0.3], "Loss/val": [1.1, 0.9, 1.0],
                                      "Loss/test": [1.2, 1.0, 1.1]})
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    assert "Loss/test, Loss/val could each be" in err and "--pair" in err
    [folder] = imported(tmp_path / "out")
    assert [e["val_loss"] for e in read_run(folder).epochs] == [None] * 3
    assert [e["train_loss"] for e in read_run(folder).epochs] == pytest.approx([1.0, 0.5, 0.3])

    out2 = tmp_path / "out"  # imported again, paired now: written anew
    code, out, err = import_folder(capsys, tmp_path / "logs", out2, "--pair", "Loss/train=Loss/val")
    assert code == 0, err
    assert imported(out2) == [folder]
    assert [e["val_loss"] for e in read_run(folder).epochs] == pytest.approx([1.1, 0.9, 1.0])
    write_scalars(tmp_path / "logs", {"Loss/train": [0.2], "Loss/val": [1.3], "Loss/test": [1.4]}, start=3)
    code, out, err = import_folder(capsys, tmp_path / "logs", out2)  # the choice is kept
    assert [e["val_loss"] for e in read_run(folder).epochs] == pytest.approx([1.1, 0.9, 1.0, 1.3])

    code, out, err = import_folder(capsys, tmp_path / "logs", out2, "--pair", "Loss/train")
    assert code == 2 and "TRAIN_TAG=VAL_TAG" in err


def test_a_folder_still_being_written_appends_its_new_epochs(tmp_path, capsys):
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "logs"))
    for epoch, (loss, val) in enumerate([(1.0, 1.2), (0.7, 0.9)]):
        writer.add_scalar("train_loss", loss, epoch)
        writer.add_scalar("val_loss", val, epoch)
    writer.flush()
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0 and "2 epochs (2 new)" in out
    [folder] = imported(tmp_path / "out")
    before = (folder / "metrics.jsonl").read_bytes()
    for epoch, (loss, val) in enumerate([(0.5, 0.8), (0.3, 0.85)], start=2):
        writer.add_scalar("train_loss", loss, epoch)
        writer.add_scalar("val_loss", val, epoch)
    writer.flush()
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0 and "4 epochs (2 new)" in out
    assert imported(tmp_path / "out") == [folder]
    after = (folder / "metrics.jsonl").read_bytes()
    assert after.startswith(before)  # appended: a reader tailing the file reads on
    assert [e["val_loss"] for e in read_run(folder).epochs] == pytest.approx([1.2, 0.9, 0.8, 0.85])
    writer.close()


def one_event_file(logdir: Path) -> Path:
    [path] = [p for p in logdir.iterdir() if "tfevents" in p.name]
    return path


def test_a_file_cut_off_mid_record_imports_what_comes_before(tmp_path, capsys):
    write_scalars(tmp_path / "logs", {"train_loss": [1.0, 0.7, 0.5], "val_loss": [1.2, 0.9, 0.8]})
    path = one_event_file(tmp_path / "logs")
    os.truncate(path, path.stat().st_size - 7)  # the last record (val_loss, epoch 3) cut off
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    assert f"{path}: its last record is cut off" in err
    [folder] = imported(tmp_path / "out")
    assert [e["val_loss"] for e in read_run(folder).epochs] == pytest.approx([1.2, 0.9])


def test_a_damaged_file_and_a_garbage_file_are_named(tmp_path, capsys):
    write_scalars(tmp_path / "logs", {"train_loss": [1.0, 0.7, 0.5, 0.4], "val_loss": [1.2, 0.9, 0.8, 0.85]})
    path = one_event_file(tmp_path / "logs")
    data = bytearray(path.read_bytes())
    data[len(data) * 3 // 4] ^= 0xFF  # a flipped byte in a record near the end
    path.write_bytes(bytes(data))
    garbage = tmp_path / "logs" / "events.out.tfevents.123.host.1"
    garbage.write_bytes(os.urandom(300))
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    assert f"{path}: damaged" in err and f"{garbage}: damaged" in err
    [folder] = imported(tmp_path / "out")
    epochs = read_run(folder).epochs
    assert 1 <= len(epochs) < 4
    assert [e["val_loss"] for e in epochs] == pytest.approx([1.2, 0.9, 0.8, 0.85][:len(epochs)])


def test_no_scalars_and_no_event_files_are_said(tmp_path, capsys):
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "logs" / "notes"))
    writer.add_text("config", "lr = 0.1", 0)
    writer.close()
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 2
    assert f"{tmp_path / 'logs' / 'notes'}: no scalars in its event files" in err
    (tmp_path / "empty").mkdir()
    code, out, err = import_folder(capsys, tmp_path / "empty", tmp_path / "out")
    assert code == 2 and f"{tmp_path / 'empty'}: no TensorBoard event files" in err


def test_without_tensorboard_the_app_starts_and_the_command_says_how_to_install_it(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        sys.modules["tensorboard"] = None  # as if not installed
        import gui.window.main_window, engine.runs.tensorboard_import  # the app's modules import
        from engine.cli.main import main
        sys.exit(main(["import-tensorboard", {str(tmp_path)!r}, "--out", {str(tmp_path / "out")!r}]))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 1, done.stderr
    assert "pip install tensorboard" in done.stderr


def test_a_followed_folder_reads_running_until_stopped_like_a_script(tmp_path):
    """What the window does with an open folder (engine.runs.tensorboard_follow): its run folders
    read running, written by this process; `main.py stop RUN_DIR` (or the toolbar) ends the
    following, Pause holds the reading until Resume."""
    from torch.utils.tensorboard import SummaryWriter

    from engine.runs.remote import send_command
    from engine.runs.tensorboard_follow import FollowedImport

    writer = SummaryWriter(str(tmp_path / "logs"))
    for epoch, (loss, val) in enumerate([(1.0, 1.2), (0.7, 0.9)]):
        writer.add_scalar("train_loss", loss, epoch)
        writer.add_scalar("val_loss", val, epoch)
    writer.flush()
    following = FollowedImport(tmp_path / "logs", tmp_path / "out")
    [result] = following.update()
    folder = result.folder
    run = read_run(folder)
    assert run.status == "running" and run.summary["pid"] == os.getpid() and len(run.epochs) == 2

    send_command(folder, "pause", by="test")
    writer.add_scalar("train_loss", 0.5, 2)
    writer.add_scalar("val_loss", 0.8, 2)
    writer.flush()
    assert following.update() == [] and following.paused
    assert len(read_run(folder).epochs) == 2 and read_run(folder).events[-1]["event"] == "Paused"
    send_command(folder, "resume", by="test")
    following.update()
    assert len(read_run(folder).epochs) == 3

    stop = subprocess.Popen([sys.executable, "main.py", "stop", str(folder)], cwd=ROOT)  # waits for it to stop
    while following.ended is None and stop.poll() is None:
        following.update()  # (the window's every few seconds)
        time.sleep(0.1)
    assert stop.wait(60) == 0
    writer.add_scalar("train_loss", 0.4, 3)
    writer.add_scalar("val_loss", 0.85, 3)
    writer.close()
    assert following.update() == []
    run = read_run(folder)
    assert run.status == "user_stopped" and len(run.epochs) == 3


def test_a_run_in_a_subfolder_with_an_underscore_is_a_run_of_its_own(tmp_path, capsys):
    """logs/ written by one SummaryWriter, logs/run_2/ by another: two runs (only add_scalars'
    <main tag>_<key> folders are parts of the run beside them)."""
    write_scalars(tmp_path / "logs", {"Loss/train": [1.0, 0.9, 0.8], "Loss/val": [1.2, 1.1, 1.0]})
    write_scalars(tmp_path / "logs" / "run_2", {"Loss/train": [5.0, 4.9, 4.8], "Loss/val": [5.2, 5.1, 5.0]})
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    runs = {read_run(f).config["run"]["name"]: read_run(f) for f in imported(tmp_path / "out")}
    assert sorted(runs) == ["logs", "run_2"]
    assert [e["val_loss"] for e in runs["logs"].epochs] == pytest.approx([1.2, 1.1, 1.0])
    assert [e["train_loss"] for e in runs["run_2"].epochs] == pytest.approx([5.0, 4.9, 4.8])
    assert [e["val_loss"] for e in runs["run_2"].epochs] == pytest.approx([5.2, 5.1, 5.0])
    assert "run_2/" not in out  # (its tags were not taken for the parent's)


def test_importing_again_completes_the_last_epoch_imported_half_written(tmp_path, capsys):
    """Lightning writes an epoch's validation value before its train value: an import between
    the two has that epoch without its train loss; the next import fills it in."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "logs" / "version_0"))
    writer.add_scalar("train_loss", 1.0, 9)
    writer.add_scalar("val_loss", 1.2, 9)
    writer.add_scalar("val_loss", 1.0, 19)  # epoch 2's validation, its train value not yet written
    writer.flush()
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    [folder] = imported(tmp_path / "out")
    writer.add_scalar("train_loss", 0.7, 19)
    writer.add_scalar("train_loss", 0.5, 29)
    writer.add_scalar("val_loss", 0.9, 29)
    writer.close()
    code, out, err = import_folder(capsys, tmp_path / "logs", tmp_path / "out")
    assert code == 0, err
    run = read_run(folder)
    assert [e["train_loss"] for e in run.epochs] == pytest.approx([1.0, 0.7, 0.5])
    assert [e["val_loss"] for e in run.epochs] == pytest.approx([1.2, 1.0, 0.9])
    assert [e["epoch"] for e in run.epochs] == [1, 2, 3]


def test_a_followed_run_paired_anew_reads_whole_in_a_tail_already_reading_it(tmp_path):
    """A tag that appears later (an accuracy first logged at epoch 3) pairs the run anew, so its
    metrics.jsonl is written again: a reader tailing it (the window's Training tab, the Runs
    dock) starts over and reads every epoch with the new columns, and the Paused / Resumed lines
    are kept."""
    from torch.utils.tensorboard import SummaryWriter

    from engine.runs.index import MetricsTail
    from engine.runs.remote import send_command
    from engine.runs.tensorboard_follow import FollowedImport

    writer = SummaryWriter(str(tmp_path / "logs"))
    for epoch, (loss, val) in enumerate([(1.0, 1.2), (0.7, 0.9)]):
        writer.add_scalar("train_loss", loss, epoch)
        writer.add_scalar("val_loss", val, epoch)
    writer.flush()
    following = FollowedImport(tmp_path / "logs", tmp_path / "out")
    [result] = following.update()
    tail = MetricsTail(result.folder)
    send_command(result.folder, "pause", by="test")
    following.update()
    send_command(result.folder, "resume", by="test")
    following.update()
    assert tail.read() == 2 and [e["event"] for e in tail.events] == ["Paused", "Resumed"]

    for epoch, (loss, val, acc, val_acc) in enumerate([(0.5, 0.8, 0.7, 0.6), (0.4, 0.85, 0.8, 0.62)], start=2):
        writer.add_scalar("train_loss", loss, epoch)
        writer.add_scalar("val_loss", val, epoch)
        writer.add_scalar("train_accuracy", acc, epoch)
        writer.add_scalar("val_accuracy", val_acc, epoch)
    writer.close()
    [result] = following.update()
    assert result.pairing.pairs["accuracy"] == ("train_accuracy", "val_accuracy")
    tail.read()
    run = read_run(result.folder)
    assert tail.skipped == 0
    assert tail.epochs == run.epochs and len(run.epochs) == 4
    assert [e["val_accuracy"] for e in tail.epochs] == pytest.approx([None, None, 0.6, 0.62])
    assert [e["event"] for e in tail.events] == ["Paused", "Resumed"]
    following.finish()
