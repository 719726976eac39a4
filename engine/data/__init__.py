"""The data a run trains on: sources (Fashion-MNIST, toy sets, folders), splits (stratified,
nested, k-fold, label noise, the locked test split), augmentation, a run's splits as tensors."""
