"""ol.Indexed: a dataset whose items carry their index, so each batch says which examples it
holds (per-example dynamics need it)."""

from __future__ import annotations

import weakref

_made: list = []  # weak references to the Indexed datasets made, in order


class Indexed:
    """`Indexed(dataset)[i]` is `(*dataset[i], i)`: `for x, y, idx in loader`."""

    def __init__(self, dataset):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"ol.Indexed(dataset): a map-style dataset (with __getitem__ and __len__), "
                            f"not {type(dataset).__name__}")
        self.dataset = dataset
        _made.append(weakref.ref(self))

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i):
        item = self.dataset[i]
        return (*item, i) if isinstance(item, tuple | list) else (item, i)

    def __getattr__(self, name):  # (the dataset's own attributes: classes, targets, …)
        # Not its special names: a DataLoader fetches a batch with the dataset's __getitems__
        # where it has one (a Subset does), which would skip the index.
        if name == "dataset" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dataset, name)


def indexed_size() -> int | None:
    """The number of training examples, where the ol.Indexed datasets alive say it: all of one
    size (the usual case: the training set alone is wrapped). None otherwise (none made, or a
    validation set wrapped too): the run then counts the examples its first epoch trains on."""
    sizes = {len(d) for d in (r() for r in _made) if d is not None}
    return sizes.pop() if len(sizes) == 1 else None
