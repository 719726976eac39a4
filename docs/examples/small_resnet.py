"""A small ResNet-style network: a stem, residual blocks with skip connections (the second
of each stage halving the size), global average pooling and a linear head.

    python main.py train --preset overfit --set model.file=docs/examples/small_resnet.py:SmallResNet \\
        --set optim.epochs=10
"""

from torch import nn


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, input_shape, num_classes, width=16, blocks_per_stage=1):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(input_shape[0], width, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        stages, c = [], width
        for stage in range(3):
            c_out = width * 2 ** stage
            for i in range(blocks_per_stage):
                stages.append(Block(c, c_out, 2 if stage > 0 and i == 0 else 1))
                c = c_out
        self.encoder = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.0)
        self.head = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.pool(self.encoder(self.stem(x))).flatten(1)
        return self.head(self.dropout(x))
