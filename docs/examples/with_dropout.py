"""A small CNN with its own dropout layers (nn.Dropout2d after each block, nn.Dropout before
the head). regularization.dropout sets p of all of them, at the start and live.

    python main.py train --preset overfit --set model.file=docs/examples/with_dropout.py:DropoutCNN \\
        --set regularization.dropout=0.3
"""

from torch import nn


class DropoutCNN(nn.Module):
    def __init__(self, input_shape, num_classes, channels=16):
        super().__init__()
        c = input_shape[0]
        self.features = nn.Sequential(
            nn.Conv2d(c, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout2d(0.1),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout2d(0.1),
        )
        side = input_shape[1] // 4
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(2 * channels * side * side, 128), nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.head(self.features(x))
