import torch

from engine.core.config import RegularizationConfig
from engine.data.augment import augment


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
