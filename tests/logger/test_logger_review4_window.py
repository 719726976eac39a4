"""Review round 4, finding 5 in the window: the Examples tab follows a script's run whose
drop_last epoch 1 missed some examples; when epoch 2 adds them, the tab shows every example
with the label it was given (it kept epoch 1's examples, or failed on the longer arrays)."""

from __future__ import annotations

import numpy as np
import overfit_lab as ol
import torch
from torch.utils.data import DataLoader, TensorDataset

from tests.gui.conftest import isolated_settings, no_dangling_threads, window  # noqa: F401 - the window's fixtures
from tests.logger.conftest import tiny_data, tiny_model
from tests.logger.test_logger_review4 import Rolling


def test_the_examples_tab_following_a_script_shows_the_examples_a_later_epoch_added(qtbot, window, tmp_path,  # noqa: F811
                                                                                     monkeypatch):
    from tests.gui.conftest import RUN_TIMEOUT

    x, y = tiny_data(100)
    loader = DataLoader(ol.Indexed(TensorDataset(x, y)), batch_size=40, drop_last=True, sampler=Rolling(100))
    model = tiny_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    run = ol.init("followed drop last", runs_dir=tmp_path)

    def epoch():
        for xb, yb, idx in loader:
            loss = torch.nn.functional.cross_entropy(logits := model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss, logits=logits, targets=yb, index=idx)
        run.epoch(val_loss=1.0)

    epoch()  # examples 80 … 99 left out
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getExistingDirectory", lambda *a, **k: str(run.path))
    window.examples_view.open_button.click()
    examples = window.examples
    qtbot.waitUntil(lambda: examples.folder == run.path and examples.tally is not None
                    and len(examples.tally.epochs) == 1, timeout=RUN_TIMEOUT)
    assert examples.tally.size == 80
    epoch()  # trains 99 … 20: the 20 missed come in
    qtbot.waitUntil(lambda: len(examples.tally.epochs) == 2, timeout=RUN_TIMEOUT)
    tally = examples.tally
    assert tally.size == 100 and window.examples_view.tally is tally
    assert np.array_equal(tally.given, y.numpy()[tally.positions])
    assert np.isnan(tally.margins[0].astype(np.float32)[80:]).all()
    run.finish()
