import pytest
import torch

from engine.nets.models import build_model, layer_norms, set_dropout, weight_layers
from engine.training.trainer import Trainer
from tests.helpers import tiny_config

EPOCHS = {"optim.epochs": 4}


def final_norms(updates):
    trainer = Trainer(tiny_config({**EPOCHS, **updates}))
    result = trainer.fit()
    assert result.reason == "completed", result.message
    return trainer, trainer.history[-1].weight_norms


@pytest.mark.parametrize("mode, strength", [("decoupled", 5.0), ("l2_penalty", 0.5)])
def test_weight_decay_ends_with_smaller_weight_norms(mode, strength):
    _, base = final_norms({})
    trainer, decayed = final_norms({"regularization.weight_decay": strength,
                                    "regularization.weight_decay_mode": mode})
    for layer in base:
        assert decayed[layer] < 0.9 * base[layer], layer
    if mode == "l2_penalty":
        assert trainer.history[-1].penalty > 0
    else:
        assert trainer.history[-1].penalty == 0


def test_weight_decay_leaves_biases_alone_by_default():
    trainer, _ = final_norms({"regularization.weight_decay": 50.0})
    base, _ = final_norms({})
    b1 = trainer.model.net.body.fc1.bias.norm().item()
    b0 = base.model.net.body.fc1.bias.norm().item()
    assert b1 > 0.5 * b0  # not crushed like the weights


def test_l1_drives_weights_toward_zero():
    base, _ = final_norms({})
    sparse, _ = final_norms({"regularization.l1": 1e-2})
    w0 = base.model.net.body.fc1.weight.abs()
    w1 = sparse.model.net.body.fc1.weight.abs()
    assert w1.sum() < 0.7 * w0.sum()
    assert (w1 < 1e-3).float().mean() > (w0 < 1e-3).float().mean()


def test_dropout_is_active_in_training_and_inactive_in_eval():
    cfg = tiny_config({"regularization.dropout": 0.5})
    model = build_model(cfg.model, (1, 28, 28), 10, 0.5)
    x = torch.rand(16, 1, 28, 28)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))
    set_dropout(model, 0.0)
    assert torch.equal(model(x), model(x))


def test_layer_norms_equal_vector_norm_per_parameter():
    cfg = tiny_config({"model.arch": "cnn", "model.width": 8})
    model = build_model(cfg.model, (1, 28, 28), 10, 0.0)
    layers = weight_layers(model)
    assert list(layers) == ["conv1", "conv2", "fc1", "out"]
    for (name, w), norm in zip(layers.items(), layer_norms(list(layers.values())), strict=True):
        assert norm == pytest.approx(torch.linalg.vector_norm(w).item(), rel=1e-5), name


def test_epoch_norms_are_the_norms_of_the_final_weights():
    trainer, norms = final_norms({"optim.epochs": 1})
    for name, w in weight_layers(trainer.model).items():
        assert norms[name] == pytest.approx(torch.linalg.vector_norm(w).item(), rel=1e-5)


@pytest.mark.parametrize("arch", ["mlp", "cnn", "resnet"])
def test_every_architecture_trains_with_named_layers(arch):
    trainer = Trainer(tiny_config({"model.arch": arch, "model.width": 8, "model.depth": 2,
                                   "model.batch_norm": True, "regularization.dropout": 0.2,
                                   "optim.epochs": 1}))
    result = trainer.fit()
    assert result.reason == "completed", result.message
    m = trainer.history[-1]
    assert set(m.weight_norms) == set(trainer.layers) and "out" in m.weight_norms
    assert all(v > 0 for v in m.grad_norms.values())
