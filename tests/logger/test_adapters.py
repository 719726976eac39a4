"""The Lightning and Hugging Face adapters, each with a tiny real model trained on the CPU,
writing into a temporary runs folder that the app's reader opens; a Stop sent as
`main.py stop RUN_DIR` sends it ends each early, as stopped by the user."""

from __future__ import annotations

import time

import lightning.pytorch as pl  # (the dev extra: a missing one fails, never skips)
import numpy as np
import pytest
import torch

from engine.runs.dynamics import read_dynamics
from engine.runs.reader import list_runs, read_run
from engine.runs.remote import send_command

torch.set_num_threads(1)

N, FEATURES, CLASSES = 96, 8, 3


def _data(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, FEATURES, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()  # 3 learnable classes
    return x, y


class TinyClassifier(pl.LightningModule):
    """A few linear layers; training_step returns logits, targets and index for the margins,
    and records the gradient norms it sees after backward (what the logger must report)."""

    def __init__(self, width: int = 16, lr: float = 0.05):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(FEATURES, width), torch.nn.ReLU(),
                                       torch.nn.Linear(width, CLASSES))
        self.seen_grad_norms: list[dict[str, float]] = []
        self.val_accuracies: list[float] = []  # the module's own, per validation (sanity check too)
        self._correct = self._count = 0

    def training_step(self, batch, batch_idx):
        x, y, idx = batch
        logits = self.net(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        return {"loss": loss, "logits": logits, "targets": y, "index": idx}

    def on_before_optimizer_step(self, optimizer):
        self.seen_grad_norms.append({"net.0": float(self.net[0].weight.grad.norm()),
                                     "net.2": float(self.net[2].weight.grad.norm())})

    def validation_step(self, batch, batch_idx):
        x, y, _ = batch
        logits = self.net(x)
        self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
        self._correct += int((logits.argmax(1) == y).sum())
        self._count += len(y)

    def on_validation_epoch_end(self):
        # logged here, as torchmetrics users do: after the callbacks' on_validation_epoch_end
        self.val_accuracies.append(self._correct / self._count)
        self.log("val_acc", self.val_accuracies[-1])
        self._correct = self._count = 0

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def _loaders():
    import overfit_lab as ol

    x, y = _data()
    train = ol.Indexed(torch.utils.data.TensorDataset(x, y))
    val = ol.Indexed(torch.utils.data.TensorDataset(*_data(1)))
    return (torch.utils.data.DataLoader(train, batch_size=16, shuffle=True),
            torch.utils.data.DataLoader(val, batch_size=32))


def _trainer(epochs, callbacks):
    return pl.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, callbacks=callbacks)


class StopAfter(pl.Callback):
    """Sends a Stop to the run folder, as `main.py stop RUN_DIR` does, at the end of epoch `epoch`."""

    def __init__(self, runs_dir, epoch):
        self.runs_dir, self.epoch = runs_dir, epoch

    def on_train_epoch_end(self, trainer, pl_module):
        if trainer.current_epoch + 1 == self.epoch:
            (run_dir,) = list_runs(self.runs_dir)
            send_command(run_dir, "stop", by="test")
            time.sleep(1.1)  # the logger looks at control.json at most once a second


def test_lightning_callback_writes_a_run_the_app_reads(tmp_path):
    import overfit_lab as ol

    torch.manual_seed(0)
    model = TinyClassifier()
    train, val = _loaders()
    _trainer(3, [ol.LightningCallback(runs_dir=tmp_path)]).fit(model, train, val)

    (folder,) = list_runs(tmp_path)
    record = read_run(folder)
    assert record.status == "completed"
    assert record.summary["name"] == "TinyClassifier"
    assert record.summary["source"] == "script"
    assert record.summary["script"]["config"] == {"width": 16, "lr": 0.05}
    assert [e["epoch"] for e in record.epochs] == [1, 2, 3]
    # the validation figures are the epoch's own (not the sanity check's, nor the last epoch's)
    assert [e["val_accuracy"] for e in record.epochs] == pytest.approx(model.val_accuracies[1:])
    for e in record.epochs:
        assert np.isfinite(e["val_loss"])
        assert np.isfinite(e["train_loss"]) and 0.0 <= e["train_accuracy"] <= 1.0
    assert record.epochs[-1]["val_loss"] < record.epochs[0]["val_loss"] * 1.5
    # per-example dynamics: every training example, every epoch
    d = read_dynamics(folder)
    assert d.epochs == [1, 2, 3] and d.size == N
    assert np.all(np.isfinite(d.margin))
    assert d.given.tolist() == _data()[1].tolist()
    # grad norms: the mean of what the module saw after backward, epoch by epoch (not the
    # previous step's gradients, which an optimizer step pre-hook sees under Lightning)
    steps = N // 16
    for number, e in enumerate(record.epochs):
        seen = model.seen_grad_norms[number * steps:(number + 1) * steps]
        for layer in ("net.0", "net.2"):
            assert e["grad_norms"][layer] == pytest.approx(np.mean([s[layer] for s in seen]), rel=1e-4)
        assert e["weight_norms"]["net.0"] > 0


def test_lightning_stop_from_the_window_ends_the_fit(tmp_path):
    import overfit_lab as ol

    torch.manual_seed(0)
    train, val = _loaders()
    trainer = _trainer(50, [ol.LightningCallback("stop-me", runs_dir=tmp_path), StopAfter(tmp_path, 2)])
    trainer.fit(TinyClassifier(), train, val)

    (folder,) = list_runs(tmp_path)
    record = read_run(folder)
    assert record.status == "user_stopped"
    assert "test" in record.summary["message"]
    assert trainer.current_epoch < 5, "the fit went on after the Stop"
    assert 2 <= len(record.epochs) < 5


def test_lightning_exception_ends_the_run_failed(tmp_path):
    import overfit_lab as ol

    class Exploding(TinyClassifier):
        def training_step(self, batch, batch_idx):
            if self.current_epoch == 1:
                raise RuntimeError("boom in training_step")
            return super().training_step(batch, batch_idx)

    train, val = _loaders()
    with pytest.raises(RuntimeError, match="boom"):
        _trainer(3, [ol.LightningCallback(runs_dir=tmp_path)]).fit(Exploding(), train, val)
    record = read_run(list_runs(tmp_path)[0])
    assert record.status == "failed"
    assert "boom in training_step" in record.summary["message"]
    assert len(record.epochs) == 1


# ---- Hugging Face ---------------------------------------------------------------------------

VOCAB, LENGTH = 24, 6


class TokenDataset(torch.utils.data.Dataset):
    """Sequences whose label is which of three tokens they start with."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(3, VOCAB, (n, LENGTH), generator=g)
        self.labels = torch.randint(0, 3, (n,), generator=g)
        self.ids[:, 0] = self.labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(LENGTH, dtype=torch.long),
                "labels": self.labels[i]}


def _hf_trainer(tmp_path, epochs, callbacks, eval_strategy="epoch"):
    import transformers
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=16, num_labels=3)
    model = transformers.BertForSequenceClassification(config)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "hf"), num_train_epochs=epochs, per_device_train_batch_size=16,
        per_device_eval_batch_size=32, learning_rate=5e-3, eval_strategy=eval_strategy, logging_steps=2,
        save_strategy="no", report_to=[], use_cpu=True, disable_tqdm=True, dataloader_num_workers=0, seed=0)

    def accuracy(prediction):
        return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}

    return transformers.Trainer(model=model, args=args, train_dataset=TokenDataset(64, 0),
                                eval_dataset=TokenDataset(32, 1), compute_metrics=accuracy, callbacks=callbacks)


def test_huggingface_callback_writes_a_run_the_app_reads(tmp_path):
    import overfit_lab as ol

    runs = tmp_path / "runs"
    trainer = _hf_trainer(tmp_path, 3, [ol.HuggingFaceCallback(runs_dir=runs)])
    trainer.train()

    (folder,) = list_runs(runs)
    record = read_run(folder)
    assert record.status == "completed"
    assert record.summary["name"] == "BertForSequenceClassification"
    assert record.summary["source"] == "script"
    assert record.summary["script"]["config"]["training_args"]["learning_rate"] == 5e-3
    assert record.config["optim"]["lr"] == 5e-3 and record.config["optim"]["batch_size"] == 16
    assert record.config["optim"]["epochs"] == 3
    assert [e["epoch"] for e in record.epochs] == [1, 2, 3]
    assert all(np.isfinite(e["val_loss"]) and 0.0 <= e["val_accuracy"] <= 1.0 for e in record.epochs)
    assert all(np.isfinite(e["train_loss"]) for e in record.epochs)
    # the Trainer's own evaluation figures, as its log history says them
    evaluated = [h for h in trainer.state.log_history if "eval_loss" in h]
    assert [e["val_loss"] for e in record.epochs] == pytest.approx([h["eval_loss"] for h in evaluated])
    assert [e["val_accuracy"] for e in record.epochs] == pytest.approx([h["eval_accuracy"] for h in evaluated])
    # per-layer norms from the optimizer's steps
    layers = record.epochs[0]["grad_norms"]
    assert "classifier" in layers and all(np.isfinite(v) and v > 0 for v in layers.values())
    # trainer.evaluate() after training adds nothing to the ended run
    trainer.evaluate()
    assert len(read_run(folder).epochs) == 3


def test_huggingface_stop_from_the_window_ends_training(tmp_path):
    import overfit_lab as ol
    from transformers import TrainerCallback

    runs = tmp_path / "runs"

    class StopAfterFirstEpoch(TrainerCallback):
        def on_epoch_end(self, args, state, control, **kwargs):
            if round(state.epoch) == 1:
                send_command(list_runs(runs)[0], "stop", by="test")
                time.sleep(1.1)  # the logger looks at control.json at most once a second

    trainer = _hf_trainer(tmp_path, 40, [ol.HuggingFaceCallback("hf-stop", runs_dir=runs), StopAfterFirstEpoch()])
    trainer.train()
    record = read_run(list_runs(runs)[0])
    assert record.status == "user_stopped"
    assert trainer.state.epoch < 4, "training went on after the Stop"
    assert 1 <= len(record.epochs) < 4


def test_huggingface_without_evaluation_writes_an_epoch_line_per_epoch(tmp_path):
    import overfit_lab as ol

    runs = tmp_path / "runs"
    _hf_trainer(tmp_path, 2, [ol.HuggingFaceCallback(runs_dir=runs)], eval_strategy="no").train()
    record = read_run(list_runs(runs)[0])
    assert [e["epoch"] for e in record.epochs] == [1, 2]
    assert all(np.isnan(e["val_loss"]) for e in record.epochs)


def test_huggingface_with_default_logging_steps_records_each_epochs_training_loss(tmp_path):
    """The Trainer logs the training loss every 500 steps by default: an epoch of a few steps had
    none (NaN on every epoch line, "nan %" in the window); the callback asks for a log before each
    evaluation."""
    import overfit_lab as ol

    runs = tmp_path / "runs"
    trainer = _hf_trainer(tmp_path, 3, [ol.HuggingFaceCallback(runs_dir=runs)])
    trainer.args.logging_steps = 500
    trainer.train()
    record = read_run(list_runs(runs)[0])
    assert [e["epoch"] for e in record.epochs] == [1, 2, 3]
    assert all(np.isfinite(e["train_loss"]) for e in record.epochs), [e["train_loss"] for e in record.epochs]


def test_suspects_of_a_huggingface_run_say_why_it_has_no_per_example_figures(tmp_path):
    """`main.py suspects` told a Hugging Face run to pass logits to run.batch(), which the
    callback's user never calls."""
    import subprocess
    import sys
    from pathlib import Path

    import overfit_lab as ol

    runs = tmp_path / "runs"
    _hf_trainer(tmp_path, 1, [ol.HuggingFaceCallback(runs_dir=runs)]).train()
    main = Path(__file__).resolve().parents[2] / "main.py"
    proc = subprocess.run([sys.executable, str(main), "suspects", str(list_runs(runs)[0])],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "Hugging Face Trainer hands its callbacks no logits" in proc.stderr, proc.stderr
