import numpy as np
import pytest
import torch

from engine.config import Config, RegularizationConfig
from engine.data import (
    DataError,
    augment,
    corrupt_labels,
    load_data,
    load_image_folder,
    stratified_subset,
)
from engine.trainer import Trainer
from tests.helpers import tiny_config


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


@pytest.mark.parametrize("mode", ["different", "uniform"])
def test_label_noise_replaces_exactly_that_fraction(mode):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1000)
    noisy, changed = corrupt_labels(labels, 0.3, 10, mode, np.random.default_rng(1))
    assert np.array_equal(changed, noisy != labels)
    if mode == "different":
        assert changed.sum() == 300
    else:  # a redrawn label keeps its class one time in ten
        assert 240 <= changed.sum() <= 300


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


def test_stratified_subset_keeps_class_proportions():
    labels = np.array([0] * 600 + [1] * 300 + [2] * 100)
    idx = stratified_subset(labels, 100, np.random.default_rng(0))
    assert np.bincount(labels[idx]).tolist() == [60, 30, 10]
    assert len(set(idx)) == 100


def test_augmentation_draws_independently_per_example():
    x = torch.rand(1, 1, 28, 28).repeat(64, 1, 1, 1)
    gen = torch.Generator().manual_seed(0)
    for switch in ("augment_hflip", "augment_rotate", "augment_translate", "augment_noise", "augment_erase"):
        reg = RegularizationConfig(**{switch: True})
        out = augment(x, reg, gen)
        assert out.shape == x.shape
        distinct = torch.unique(out.reshape(64, -1), dim=0).shape[0]
        assert distinct > 1, f"{switch} gave every example the same draw"
    flipped = augment(x, RegularizationConfig(augment_hflip=True), gen)
    n_flipped = sum(torch.equal(f, x[0].flip(-1)) for f in flipped)
    assert 16 < n_flipped < 48  # about half, each example on its own coin
    assert torch.equal(augment(x, RegularizationConfig(), gen), x)


def test_toy_datasets_generate_offline():
    for name in ("moons", "circles", "spirals", "xor", "blobs"):
        cfg = Config().with_updates({"data.dataset": name, "data.train_size": 100, "data.val_size": 50,
                                     "data.test_size": 50})
        d = load_data(cfg.data, seed=0)
        assert d.train_x.shape == (100, 2) and d.is_toy and len(d.test) == 50


def _png(path, value=128, size=(8, 8)):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", size, value).save(path)


def test_image_folder_loads_and_names_problems(tmp_path):
    for c in ("cat", "dog"):
        for i in range(3):
            _png(tmp_path / "ok" / c / f"{i}.png", value=40 * i)
    x, y, classes = load_image_folder(str(tmp_path / "ok"), 16)
    assert x.shape == (6, 1, 16, 16) and classes == ["cat", "dog"] and y.tolist() == [0, 0, 0, 1, 1, 1]

    with pytest.raises(DataError, match="nowhere.*folder not found"):
        load_image_folder(str(tmp_path / "nowhere"), 16)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no class folders"):
        load_image_folder(str(tmp_path / "empty"), 16)
    _png(tmp_path / "hollow" / "cat" / "0.png")
    (tmp_path / "hollow" / "dog").mkdir()
    with pytest.raises(DataError, match=r"no images: .*hollow/dog"):
        load_image_folder(str(tmp_path / "hollow"), 16)
    _png(tmp_path / "stray" / "cat" / "0.png")
    _png(tmp_path / "stray" / "dog" / "0.png")
    (tmp_path / "stray" / "dog" / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"not images.*notes.txt"):
        load_image_folder(str(tmp_path / "stray"), 16)
    _png(tmp_path / "broken" / "cat" / "0.png")
    (tmp_path / "broken" / "dog").mkdir(parents=True)
    (tmp_path / "broken" / "dog" / "0.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"unreadable images: .*broken/dog/0.png"):
        load_image_folder(str(tmp_path / "broken"), 16)


def test_torchvision_dataset_missing_files_are_listed(tmp_path):
    cfg = Config().with_updates({"data.dataset": "mnist", "data.path": str(tmp_path)})
    with pytest.raises(DataError, match=r"MNIST/raw: missing train-images-idx3-ubyte.*never downloaded"):
        load_data(cfg.data, 0)
