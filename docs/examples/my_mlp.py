"""The `overfit` preset's MLP as your own file: the same layers, in the same order, so the
same seed starts from the same weights. Nothing is imported from Overfit Lab.

    python main.py train --preset overfit --set model.file=docs/examples/my_mlp.py:build
"""

from collections import OrderedDict

from torch import nn


def build(input_shape, num_classes, hidden=1024):
    inputs = 1
    for size in input_shape:
        inputs *= size
    # Named layers: the weight-norm plots show fc1, fc2, out (a bare nn.Sequential: 1, 4, 7).
    return nn.Sequential(OrderedDict(
        flatten=nn.Flatten(),
        fc1=nn.Linear(inputs, hidden), act1=nn.ReLU(), drop1=nn.Dropout(0.0),
        fc2=nn.Linear(hidden, hidden), act2=nn.ReLU(), drop2=nn.Dropout(0.0),
        out=nn.Linear(hidden, num_classes),
    ))
