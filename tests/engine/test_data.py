import numpy as np
import pytest
import torch

from engine.core import events as ev
from engine.core.config import Config, ConfigError
from engine.data.bundle import load_data
from engine.data.sources import DataError
from engine.training.trainer import Trainer
from tests.helpers import Recorder, tiny_config


def test_fashion_mnist_ships_complete():
    cfg = Config().with_updates({"data.train_size": 1000, "data.val_size": 5000})
    d = load_data(cfg.data, seed=0)
    assert d.train_x.shape == (1000, 1, 28, 28) and len(d.val_y) == 5000 and len(d.test) == 10000
    assert d.class_names[0] == "T-shirt/top" and d.num_classes == 10
    assert 0.0 <= d.train_x.min() and d.train_x.max() <= 1.0
    # Stratified: 100 examples of every class.
    assert torch.bincount(d.train_y_clean, minlength=10).tolist() == [100] * 10

def test_splits_are_disjoint_and_reproducible():
    cfg = tiny_config({"data.train_size": 2000, "data.val_size": 3000})
    a, b = load_data(cfg.data, seed=3), load_data(cfg.data, seed=3)
    assert not set(a.train_indices) & set(a.val_indices)
    assert np.array_equal(a.train_indices, b.train_indices)
    c = load_data(cfg.data, seed=4)
    assert not np.array_equal(a.train_indices, c.train_indices)

def test_training_never_reads_the_test_split():
    trainer = Trainer(tiny_config({"regularization.early_stopping": True, "regularization.patience": 0}))
    trainer.fit()
    assert trainer.data.test.accesses == []
    result = trainer.evaluate_test()
    assert trainer.data.test.accesses == ["final evaluation"]
    assert len(result.precision) == 10 and sum(result.support) == 10000
    assert sum(map(sum, result.confusion_matrix)) == 10000
    with pytest.raises(RuntimeError, match="already evaluated"):
        trainer.evaluate_test()

def test_test_metrics_match_their_definitions():
    trainer = Trainer(tiny_config())
    trainer.fit()
    t = trainer.evaluate_test()
    cm = np.array(t.confusion_matrix)
    tp = np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(tp / cm.sum(0))
        recall = tp / cm.sum(1)
    assert np.allclose(t.precision, precision, atol=1e-6)
    assert np.allclose(t.recall, recall, atol=1e-6)
    assert t.accuracy == pytest.approx(tp.sum() / cm.sum())

def test_label_noise_is_tracked_through_training():
    trainer = Trainer(tiny_config({"data.label_noise": 0.25}))
    trainer.fit()
    d = trainer.data
    assert int(d.corrupted.sum()) == 64
    assert torch.equal(d.corrupted, d.train_y != d.train_y_clean)
    m = trainer.history[-1]
    assert m.train_accuracy_clean is not None and m.train_accuracy_corrupted is not None
    # The overall accuracy is the clean / corrupted mix weighted by their counts.
    assert m.train_accuracy == pytest.approx(0.75 * m.train_accuracy_clean + 0.25 * m.train_accuracy_corrupted)

def test_toy_datasets_generate_offline():
    for name in ("moons", "circles", "spirals", "xor", "blobs"):
        cfg = Config().with_updates({"data.dataset": name, "data.train_size": 100, "data.val_size": 50,
                                     "data.test_size": 50})
        d = load_data(cfg.data, seed=0)
        assert d.train_x.shape == (100, 2) and d.is_toy and len(d.test) == 50

def test_torchvision_dataset_missing_files_are_listed(tmp_path):
    cfg = Config().with_updates({"data.dataset": "mnist", "data.path": str(tmp_path)})
    with pytest.raises(DataError, match=r"MNIST/raw: missing train-images-idx3-ubyte.*never downloaded"):
        load_data(cfg.data, 0)


def _folder(root, counts, size=(8, 8)):
    from PIL import Image

    for c, n in counts.items():
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.new("L", size, 20 * i % 255).save(root / c / f"{i}.png")
    return root


def test_a_small_folder_gets_sizes_that_fit_suggested(tmp_path):
    folder = _folder(tmp_path / "small", {"cat": 45, "dog": 45})
    cfg = Config().with_updates({"data.dataset": "image_folder", "data.path": str(folder)})
    with pytest.raises(ConfigError) as info:
        load_data(cfg.data, 0)
    message = str(info.value)
    assert info.value.key == "data.val_size" and "90 images" in message
    assert "data.train_size = 54, data.val_size = 18, data.test_size = 18" in message
    fits = cfg.with_updates({"data.train_size": 54, "data.val_size": 18, "data.test_size": 18})
    d = load_data(fits.data, 0)
    assert len(d.train_y) == 54 and len(d.val_y) == 18 and len(d.test) == 18


def test_an_unreadable_image_is_left_out_with_a_warning_or_refuses_the_folder(tmp_path):
    folder = _folder(tmp_path / "photos", {"cat": 20, "dog": 20})
    (folder / "dog" / "broken.png").write_bytes(b"not a png")
    cfg = Config().with_updates({"data.dataset": "image_folder", "data.path": str(folder),
                                 "data.train_size": 20, "data.val_size": 10, "data.test_size": 10})
    d = load_data(cfg.data, 0)
    assert len(d.train_y) + len(d.val_y) + len(d.test) == 40
    assert len(d.warnings) == 1 and "broken.png" in d.warnings[0] and "left out 1" in d.warnings[0]
    with pytest.raises(DataError, match=r"unreadable images: .*broken.png.*skip_unreadable"):
        load_data(cfg.with_updates({"data.skip_unreadable": False}).data, 0)
    rec = Recorder()
    Trainer(cfg.with_updates({"optim.epochs": 1, "model.width": 8}), callbacks=[rec]).fit()
    assert rec.of(ev.RunStarted)[0].warnings == d.warnings
