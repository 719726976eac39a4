import numpy as np
import pytest

from engine.data.splits import corrupt_labels, stratified_kfold, stratified_subset


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


def test_stratified_subset_keeps_class_proportions():
    labels = np.array([0] * 600 + [1] * 300 + [2] * 100)
    idx = stratified_subset(labels, 100, np.random.default_rng(0))
    assert np.bincount(labels[idx]).tolist() == [60, 30, 10]
    assert len(set(idx)) == 100


def test_kfold_partitions_are_disjoint_complete_and_stratified():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 21)
    folds = stratified_kfold(labels, 5, np.random.default_rng(1))
    joined = np.concatenate(folds)
    assert sorted(joined.tolist()) == list(range(len(labels)))  # every index exactly once
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1
    for f in folds:
        counts = np.bincount(labels[f], minlength=3)
        assert np.all(np.abs(counts - np.array([10, 6, 4.2])) <= 1), counts
    again = stratified_kfold(labels, 5, np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(folds, again, strict=True))
    with pytest.raises(ValueError, match=r"at least 2 folds"):
        stratified_kfold(labels, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"22 folds need at least 22 examples of every class; the smallest class \(2\) has 21"):
        stratified_kfold(labels, 22, np.random.default_rng(0))
