"""The logger's tests: a tiny real loop (a few hundred 2-D points, a small MLP) whose run
folder the engine's own readers read back."""

from __future__ import annotations

import pytest
import torch


def tiny_data(n: int = 120, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long() + (x[:, 2] > 1).long()  # three classes
    return x, y


def tiny_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def train(run, epochs: int = 3, n: int = 120, batch_size: int = 32, watch: bool = True, seen=None):
    """A hand-written loop logging to `run`: returns the model. `seen`: a list that gets, per
    epoch, {index: (logits row, target)} of the examples trained on (for checks by hand)."""
    import overfit_lab as ol
    from torch.utils.data import DataLoader, TensorDataset

    x, y = tiny_data(n)
    loader = DataLoader(ol.Indexed(TensorDataset(x, y)), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    if watch:
        ol.watch(model, optimizer)
    for _ in range(epochs):
        rows = {}
        for xb, yb, idx in loader:
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss, logits=logits, targets=yb, index=idx)
            rows.update({int(i): (logits[k].detach().clone(), int(yb[k])) for k, i in enumerate(idx)})
        if seen is not None:
            seen.append(rows)
        with torch.no_grad():
            val_logits = model(x)
            val_loss = torch.nn.functional.cross_entropy(val_logits, y)
            val_acc = (val_logits.argmax(1) == y).float().mean()
        run.epoch(val_loss=val_loss, val_accuracy=val_acc)
        if run.should_stop:
            break
    return model


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)  # (two cores shared by every test run on this machine)
    yield
