"""An arrays file's images become showable pixels whatever their channels and range: four
channels give their first three (RGBA), any other count but 1 and 3 channel 0 in grey, floats
outside 0 … 1 (standardized) are stretched per image — in a folder's thumbnails and in the
images a live run hands the window."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core import events as ev
from engine.training.callbacks import Callback
from tests.helpers import tiny_config


class WantsImages(Callback):
    wants_images = True

    def __init__(self):
        self.images = None

    def on_event(self, event):
        if isinstance(event, ev.TrainingExamples):
            self.images = event.images


def arrays_run(tmp_path, x: np.ndarray):
    from engine.experiments.experiment import run_single

    path = tmp_path / "pictures.npz"
    np.savez(path, x=x, y=np.arange(len(x)) % 3)
    config = tiny_config({"data.dataset": "arrays", "data.path": str(path), "data.val_size": 20,
                          "data.test_size": 20, "data.train_size": len(x) - 40, "optim.epochs": 1})
    seen = WantsImages()
    folder = run_single(config, runs_dir=tmp_path / "runs", subscribers=[seen]).run_dir
    return folder, seen.images


def folder_thumbnails(folder, n: int) -> np.ndarray:
    from engine.data.thumbnails import thumbnails
    from engine.runs.stored import run_data

    t = thumbnails(run_data(folder), "train", list(range(n)))
    return np.stack([np.frombuffer(p, np.uint8).reshape(t.shape) for p in t.pixels])


@pytest.mark.parametrize(("channels", "shown"), [(2, 1), (3, 3), (4, 3), (5, 1)])
def test_standardized_images_of_any_channel_count_are_shown_with_their_contrast(tmp_path, channels, shown):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(70, channels, 6, 6)).astype(np.float32)  # mean 0, std 1: half the pixels negative
    folder, live = arrays_run(tmp_path, x)
    pictures = folder_thumbnails(folder, 10)
    assert pictures.shape == (10, 6, 6, shown)
    for picture in (*pictures, *live[:10]):
        assert picture.min() == 0 and picture.max() == 255  # stretched from its lowest to its highest value
        assert len(np.unique(picture)) > 10
        assert (picture == 0).mean() < 0.1  # its negative half was black (clamped to 0 … 1)
    assert live.shape[1:] == (6, 6, shown)
    assert np.array_equal(live[:10], pictures)  # the live run's and the folder's pictures agree


def test_images_within_zero_to_one_are_drawn_as_they_are(tmp_path):
    from engine.data.thumbnails import showable

    rng = np.random.default_rng(1)
    x = rng.integers(0, 200, size=(70, 3, 5, 5)).astype(np.uint8)  # uint8: read as 0 … 1, never stretched
    folder, live = arrays_run(tmp_path, x)
    pictures = folder_thumbnails(folder, 5)
    assert pictures.shape == (5, 5, 5, 3) and pictures.max() < 200
    import torch

    faint = torch.full((1, 1, 2, 2), 0.25)
    assert showable(faint).flatten().tolist() == [64, 64, 64, 64]  # not stretched to white
