"""Transfer learning from the shipped backbones: the four modes, cached features, the
shipped files' hashes, and what bad input gets."""

import shutil

import numpy as np
import pytest
import torch

from engine.core import events as ev
from engine.core.config import ConfigError
from engine.data.bundle import load_data
from engine.data.sources import DataError
from engine.nets.backbones import BACKBONES, backbones_dir, cached_features, sha256_of
from engine.training.callbacks import Callback
from engine.training.trainer import Trainer
from tests.helpers import tiny_config

FEW = {"data.classes": "odd", "data.train_size": 50, "data.val_size": 200, "model.backbone": "fashion_cnn",
       "optim.epochs": 3, "optim.batch_size": 16}


def backbone_state(trainer):
    return {k: v.detach().clone() for k, v in trainer.model.backbone.state_dict().items()}


@pytest.mark.parametrize("name", list(BACKBONES))
def test_the_shipped_backbones_match_their_pinned_hashes_and_carry_licences(name):
    spec = BACKBONES[name]
    path = backbones_dir() / spec.file
    assert sha256_of(path) == spec.sha256
    licence = backbones_dir() / f"LICENSE-{name}.txt"
    assert licence.is_file() and licence.stat().st_size > 100


def test_odd_classes_are_the_target_task_relabelled():
    d = load_data(tiny_config(FEW).data, seed=0)
    assert d.class_names == ["Trouser", "Dress", "Sandal", "Sneaker", "Ankle boot"]
    assert sorted(set(d.train_y.tolist())) == [0, 1, 2, 3, 4]
    assert np.bincount(d.train_y.numpy()).tolist() == [10] * 5
    with pytest.raises(ConfigError, match="data.classes"):
        load_data(tiny_config({"data.dataset": "moons", "data.classes": "odd"}).data, seed=0)


def test_frozen_mode_caches_features_trains_only_the_head_and_turns_augmentation_off():
    trainer = Trainer(tiny_config({**FEW, "model.transfer": "frozen", "regularization.augment_translate": True}))
    trainer.prepare()
    before = backbone_state(trainer)
    images = load_data(trainer.config.data, seed=0).train_x
    # The cached features are the backbone's forward pass of each image.
    fresh = cached_features(trainer.model, images)
    assert trainer.data.train_x.shape == (50, 1152)
    assert torch.allclose(trainer.data.train_x, fresh, atol=1e-5)
    head_before = trainer.model.head.out.weight.detach().clone()
    result = trainer.fit()
    assert result.reason == ev.COMPLETED
    after = backbone_state(trainer)
    assert all(torch.equal(before[k], after[k]) for k in before)  # frozen: not one number moved
    assert not torch.equal(head_before, trainer.model.head.out.weight)
    assert any("augmentation is off" in w for w in trainer.data.warnings)
    backbone_grads = [v for k, v in trainer.history[-1].grad_norms.items() if k.startswith("backbone")]
    assert len(backbone_grads) >= 2 and all(v == 0 for v in backbone_grads)
    # The locked test split goes through the whole network, images in.
    assert 0.2 < trainer.evaluate_test().accuracy <= 1.0


def test_random_frozen_starts_from_untrained_weights_and_keeps_them():
    pretrained = Trainer(tiny_config({**FEW, "model.transfer": "frozen"}))
    pretrained.prepare()
    control = Trainer(tiny_config({**FEW, "model.transfer": "random_frozen"}))
    control.prepare()
    a, b = backbone_state(pretrained), backbone_state(control)
    assert not torch.equal(a["body.conv1.weight"], b["body.conv1.weight"])
    control.fit()
    assert torch.equal(backbone_state(control)["body.conv1.weight"], b["body.conv1.weight"])


def test_fine_tuning_moves_the_backbone_less_than_the_head():
    trainer = Trainer(tiny_config({**FEW, "model.transfer": "finetune", "optim.epochs": 3}))
    trainer.prepare()
    before = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
    assert [g["lr"] for g in trainer.optimizer.param_groups] == pytest.approx([1e-4, 1e-3])
    trainer.fit()

    def moved(prefix):
        num = sum((p.detach() - before[k]).norm() ** 2 for k, p in trainer.model.named_parameters() if k.startswith(prefix))
        den = sum(before[k].norm() ** 2 for k, _ in trainer.model.named_parameters() if k.startswith(prefix))
        return float((num / den).sqrt())

    assert 0 < moved("backbone") < moved("head")


def test_a_pretrained_backbone_keeps_its_batch_norm_statistics_while_scratch_trains_them():
    from engine.nets.backbones import TransferNet

    for mode, kept in (("finetune", True), ("frozen", True), ("scratch", False)):
        net = TransferNet(BACKBONES["fashion_cnn"], 28, 5, 0.0, mode)
        net.backbone.norm = torch.nn.BatchNorm2d(32)  # a backbone with batch norm, as a user's may have
        net.train()
        assert net.backbone.norm.training is not kept and net.head.training


def test_fine_tune_after_frozen_epochs_unfreezes_then():
    class Snap:
        def __init__(self):
            self.states = []

        def on_event(self, event):
            pass

        def on_batch_end(self, trainer, step):
            pass

        def on_epoch_end(self, trainer, metrics):
            self.states.append(trainer.model.backbone.body.conv1.weight.detach().clone())

        def on_checkpoint(self, *a):
            pass

    snap = Snap()
    trainer = Trainer(tiny_config({**FEW, "model.transfer": "finetune", "model.frozen_epochs": 2,
                                   "optim.epochs": 3}), callbacks=[snap])
    trainer.prepare()
    start = trainer.model.backbone.body.conv1.weight.detach().clone()
    trainer.fit()
    assert torch.equal(snap.states[0], start) and torch.equal(snap.states[1], start)
    assert not torch.equal(snap.states[2], start)


def test_a_damaged_or_missing_backbone_file_is_refused_before_training(tmp_path, monkeypatch):
    folder = tmp_path / "backbones"
    shutil.copytree(backbones_dir(), folder)
    monkeypatch.setattr("engine.nets.backbones.backbones_dir", lambda: folder)
    damaged = folder / BACKBONES["fashion_cnn"].file
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    result = Trainer(tiny_config({**FEW, "model.transfer": "frozen"})).fit()
    assert result.reason == ev.FAILED and result.bad_input and result.epochs_completed == 0
    assert str(damaged) in result.message and "reinstall" in result.message
    damaged.unlink()
    with pytest.raises(DataError, match="not found.*reinstall"):
        Trainer(tiny_config({**FEW, "model.transfer": "finetune"})).prepare()


def test_weights_that_do_not_fit_name_the_keys_and_a_too_small_size_names_the_setting():
    wrong = backbones_dir() / BACKBONES["squeezenet"].file
    with pytest.raises(ConfigError) as info:
        Trainer(tiny_config({**FEW, "model.weights_file": str(wrong)})).prepare()
    assert info.value.key == "model.weights_file" and "missing keys: body.conv1.bias" in str(info.value)
    with pytest.raises(ConfigError) as info:
        Trainer(tiny_config({**FEW, "model.backbone": "squeezenet", "model.backbone_size": 16})).prepare()
    assert info.value.key == "model.backbone_size" and "at least 32" in str(info.value)


def test_squeezenet_on_a_folder_of_mixed_grayscale_and_colour_images(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, name in enumerate(("dark", "light")):
        (tmp_path / name).mkdir()
        for i in range(12):
            pixels = rng.integers(0, 90, (20, 20)) + 150 * c
            mode = "L" if i % 2 else "RGB"
            image = Image.fromarray(pixels.astype(np.uint8), "L").convert(mode)
            image.save(tmp_path / name / f"{i}.png")
    cfg = tiny_config({"data.dataset": "image_folder", "data.path": str(tmp_path), "data.train_size": 12,
                       "data.val_size": 6, "data.test_size": 6, "data.image_size": 32,
                       "model.backbone": "squeezenet", "model.transfer": "frozen", "optim.epochs": 5})
    trainer = Trainer(cfg)
    result = trainer.fit()
    assert result.reason == ev.COMPLETED, result.message
    assert trainer.data.train_x.shape == (12, 512)  # 3-channel features of grayscale and colour alike
    assert trainer.history[-1].val_accuracy == 1.0  # dark against light: easy for ImageNet features


def test_a_weights_file_that_is_not_there_names_the_setting(tmp_path):
    with pytest.raises(ConfigError) as info:
        Trainer(tiny_config({**FEW, "model.weights_file": str(tmp_path / "nope.safetensors")})).prepare()
    assert info.value.key == "model.weights_file" and "exists" in str(info.value)


def _backbone_norm(trainer):
    return float(sum(p.detach().pow(2).sum() for p in trainer.model.backbone.parameters() if p.ndim >= 2).sqrt())


@pytest.mark.parametrize("decay", [{"regularization.weight_decay": 50.0},
                                   {"regularization.weight_decay": 50.0, "regularization.weight_decay_mode": "l2_penalty"},
                                   {"regularization.l1": 0.05}])
def test_weight_decay_reaches_the_backbone_once_it_unfreezes(decay):
    """Fine-tuning with frozen_epochs: after the backbone unfreezes, L1 / L2 shrink it too."""
    cfg = {**FEW, "model.transfer": "finetune", "model.frozen_epochs": 1, "optim.epochs": 3}
    plain = Trainer(tiny_config(cfg))
    plain.prepare()
    start = _backbone_norm(plain)
    plain.fit()
    decayed = Trainer(tiny_config({**cfg, **decay}))
    decayed.fit()
    assert _backbone_norm(decayed) < _backbone_norm(plain) - 0.005 * start


def test_decoupled_decay_shrinks_the_head_at_the_heads_learning_rate():
    """A backbone frozen for the whole fine-tuning run: its learning rate scale reaches nothing,
    so two runs that differ only in it train the same head."""
    cfg = {**FEW, "model.transfer": "finetune", "model.frozen_epochs": 3, "optim.epochs": 3,
           "regularization.weight_decay": 20.0}
    heads = []
    for scale in (0.1, 1.0):
        trainer = Trainer(tiny_config({**cfg, "model.backbone_lr_scale": scale}))
        trainer.fit()
        heads.append(trainer.model.head.out.weight.detach().clone())
    assert torch.equal(heads[0], heads[1])


def test_the_reported_learning_rate_is_the_heads():
    from tests.helpers import Recorder

    rec = Recorder()
    trainer = Trainer(tiny_config({**FEW, "model.transfer": "finetune", "optim.lr": 2e-3}), callbacks=[rec])
    trainer.fit()
    assert [g["lr"] for g in trainer.optimizer.param_groups] == pytest.approx([2e-4, 2e-3])
    assert [m.lr for m in trainer.history] == [2e-3] * 3
    assert rec.of(ev.StepMetrics) and all(s.lr == 2e-3 for s in rec.of(ev.StepMetrics))

    class BlowUp(Callback):  # as a diverging step would: the next loss is not finite
        def on_epoch_end(self, trainer, metrics):
            with torch.no_grad():
                trainer.model.head.out.weight.fill_(float("inf"))

    diverging = Trainer(tiny_config({**FEW, "model.transfer": "finetune", "optim.lr": 2e-3}),
                        callbacks=[BlowUp()]).fit()
    assert diverging.reason == ev.DIVERGED and "(optim.lr = 0.002)" in diverging.message
