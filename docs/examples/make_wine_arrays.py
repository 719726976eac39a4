"""How docs/examples/wine.npz was made: a tabular arrays file for `data.dataset = "arrays"`,
from scikit-learn's shipped copy of the UCI Wine data (178 wines, 13 chemical measurements,
3 cultivars; UCI Machine Learning Repository, CC BY 4.0; scikit-learn is BSD-3-Clause).
The app ships the file, so training on it needs no scikit-learn; this script (which does)
remakes it byte for byte:

    python docs/examples/make_wine_arrays.py [OUT.npz]
    python main.py train --preset overfit --set data.dataset=arrays --set data.path=docs/examples/wine.npz \\
        --set data.train_size=100 --set data.val_size=38 --set data.test_size=40

(the `overfit` preset's 30 % wrong labels included: the MLP memorizes them; add
`--set data.label_noise=0` for the clean labels.)
"""

import sys
import zipfile

import numpy as np
from sklearn.datasets import load_wine


def save_npz(out: str, **arrays: np.ndarray) -> None:
    """np.savez, with a fixed date in the zip entries: the same data gives the same bytes."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w") as fh:
                np.lib.format.write_array(fh, np.asanyarray(array), allow_pickle=False)


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "wine.npz"
    wine = load_wine()
    save_npz(out, x=wine.data.astype(np.float32), y=wine.target.astype(np.int64),
             classes=np.array([f"cultivar {name.split('_')[-1]}" for name in wine.target_names]))
    print(f"{out}: x {wine.data.shape[0]} × {wine.data.shape[1]}, {len(wine.target_names)} classes")


if __name__ == "__main__":
    main()
