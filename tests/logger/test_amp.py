"""The logger with AMP's GradScaler (torch.amp.GradScaler("cpu") works on the CPU in torch
2.14): the gradient norms in the run folder are the unscaled ones, whether the loop unscales
itself (to clip) or leaves it to scaler.step(); steps the scaler skips (inf / NaN gradients)
are not counted."""

from __future__ import annotations

import math

import pytest
import torch

from engine.runs.reader import list_runs, read_run

LAYERS = ("0", "2")


def _loop(tmp_path, unscale_first: bool, init_scale: float, epochs: int = 2):
    """A hand-written AMP loop (float16 autocast on the CPU); returns the run folder and, per
    epoch, the unscaled per-layer gradient norms of the steps the optimizer really took."""
    import overfit_lab as ol

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    loader = torch.utils.data.DataLoader(ol.Indexed(torch.utils.data.TensorDataset(x, y)), batch_size=16)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scaler = torch.amp.GradScaler("cpu", init_scale=init_scale, growth_interval=2)
    run = ol.init("amp", runs_dir=tmp_path)
    ol.watch(model, optimizer, scaler=scaler)
    by_hand, skipped = [], 0
    for _ in range(epochs):
        taken = []
        for xb, yb, idx in loader:
            with torch.autocast("cpu", dtype=torch.float16):
                logits = model(xb)
                loss = torch.nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scale = scaler.get_scale()
            if unscale_first:
                scaler.unscale_(optimizer)  # as a loop that clips does
                grads = {k: model[int(k)].weight.grad.norm().item() for k in LAYERS}
            else:
                grads = {k: (model[int(k)].weight.grad / scale).norm().item() for k in LAYERS}
            scaler.step(optimizer)
            scaler.update()
            if scaler.get_scale() < scale:  # inf / NaN in some gradient: the step was skipped
                skipped += 1
            else:
                taken.append(grads)
            run.batch(loss=loss, logits=logits, targets=yb, index=idx)
        by_hand.append(taken)
        run.epoch()
    run.finish()
    (folder,) = list_runs(tmp_path)
    return read_run(folder), by_hand, skipped


@pytest.mark.parametrize("unscale_first", [False, True], ids=["scaler-step-unscales", "loop-unscales"])
def test_grad_norms_are_the_unscaled_ones(tmp_path, unscale_first):
    record, by_hand, _ = _loop(tmp_path, unscale_first, init_scale=2.0 ** 12)
    assert [e["epoch"] for e in record.epochs] == [1, 2]
    for e, taken in zip(record.epochs, by_hand, strict=True):
        for layer in LAYERS:
            expected = sum(t[layer] for t in taken) / len(taken)
            # (scaled by 4096 they would be thousands of times larger)
            assert e["grad_norms"][layer] == pytest.approx(expected, rel=1e-4)


def test_steps_the_scaler_skips_are_not_counted(tmp_path):
    # a scale beyond float16's range: the first steps' gradients overflow and are skipped (and
    # with growth_interval=2 the scale keeps growing back into overflow)
    record, by_hand, skipped = _loop(tmp_path, False, init_scale=2.0 ** 20, epochs=3)
    assert skipped > 0
    for e, taken in zip(record.epochs, by_hand, strict=True):
        for layer in LAYERS:
            if taken:
                assert e["grad_norms"][layer] == pytest.approx(sum(t[layer] for t in taken) / len(taken), rel=1e-4)
            else:  # an epoch of skipped steps only: no gradient norm to show
                assert math.isnan(e["grad_norms"][layer])


def test_lightning_16_mixed_grad_norms_are_unscaled_and_skipped_steps_left_out(tmp_path):
    import lightning.pytorch as pl
    import overfit_lab as ol

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
            self.steps = []  # per step: (unscaled grad norms, taken)

        def training_step(self, batch, batch_idx):
            x, y, _ = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def on_before_optimizer_step(self, optimizer):  # after Lightning's unscale_
            self.scale = self.trainer.precision_plugin.scaler.get_scale()
            self.steps.append([{k: self.net[int(k)].weight.grad.norm().item() for k in LAYERS}, True])

        def on_train_batch_end(self, outputs, batch, batch_idx):
            if self.trainer.precision_plugin.scaler.get_scale() < self.scale:
                self.steps[-1][1] = False  # inf / NaN gradients: the scaler skipped the step

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.05)

    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    loader = torch.utils.data.DataLoader(ol.Indexed(torch.utils.data.TensorDataset(x, y)), batch_size=16)
    torch.manual_seed(0)
    module = Module()
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 20, growth_interval=2)
    trainer = pl.Trainer(max_epochs=2, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         plugins=[pl.plugins.MixedPrecision("16-mixed", "cpu", scaler)],
                         callbacks=[ol.LightningCallback(runs_dir=tmp_path)])
    trainer.fit(module, loader)
    record = read_run(list_runs(tmp_path)[0])
    assert any(not taken for _, taken in module.steps), "no step was skipped: the test shows nothing"
    for number, e in enumerate(record.epochs):
        taken = [s for s, ok in module.steps[number * 6:(number + 1) * 6] if ok]
        for layer in LAYERS:
            expected = sum(t[layer] for t in taken) / len(taken) if taken else math.nan
            assert e["grad_norms"][f"net.{layer}"] == pytest.approx(expected, rel=1e-4, nan_ok=True)
