"""How mnist1d.npz was made (not run by the app, which never downloads or generates it):

    pip install mnist1d==0.0.2.post1 scipy
    python resources/data/mnist1d/make_mnist1d.py

MNIST-1D (Greydanus 2020, arXiv 2011.14439; github.com/greydanus/mnist1d, Apache-2.0): its
published procedure (`make_dataset` with the default arguments: 10 digit templates, padded,
scaled, sheared, shifted, with correlated and i.i.d. noise, 40 numbers each) for 16,000
signals, seed 42, nothing downloaded. The app uses the first 10,000 for training and
validation and the last 6,000 as the locked test split."""

from pathlib import Path

import numpy as np
from mnist1d.data import get_dataset_args, make_dataset

args = get_dataset_args()
args.num_samples, args.train_split = 16_000, 0.5
data = make_dataset(args)
x = np.concatenate([data["x"], data["x_test"]]).astype(np.float32)
y = np.concatenate([data["y"], data["y_test"]]).astype(np.int64)
out = Path(__file__).with_name("mnist1d.npz")
np.savez_compressed(out, x=x, y=y)
print(out, x.shape, np.bincount(y))
