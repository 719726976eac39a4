"""Writes wine.npz, a tabular arrays file for `data.dataset = "arrays"`: scikit-learn's shipped
copy of the UCI Wine data (178 wines, 13 chemical measurements, 3 cultivars; UCI Machine
Learning Repository, CC BY 4.0; scikit-learn is BSD-3-Clause). No download: the data ships
inside scikit-learn.

    python docs/examples/make_wine_arrays.py [OUT.npz]
    python main.py train --preset overfit --set data.dataset=arrays --set data.path=wine.npz \\
        --set data.train_size=100 --set data.val_size=38 --set data.test_size=40 --set data.label_noise=0
"""

import sys

import numpy as np
from sklearn.datasets import load_wine


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "wine.npz"
    wine = load_wine()
    np.savez(out, x=wine.data.astype(np.float32), y=wine.target.astype(np.int64),
             classes=np.array([f"cultivar {name.split('_')[-1]}" for name in wine.target_names]))
    print(f"{out}: x {wine.data.shape[0]} × {wine.data.shape[1]}, {len(wine.target_names)} classes")


if __name__ == "__main__":
    main()
