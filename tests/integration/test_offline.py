"""Offline, proven: with network sockets blocked (tests/conftest.py), every preset and every
built-in dataset trains one epoch."""

import socket

import pytest

from engine.core import events as ev
from engine.core.config import TOY_DATASETS, load_preset, preset_names
from engine.training.trainer import Trainer
from tests.helpers import tiny_config


def test_the_network_really_is_blocked():
    with pytest.raises(RuntimeError, match="network access attempted"):
        socket.create_connection(("pypi.org", 443), timeout=1)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_trains_one_epoch_offline(name):
    cfg = load_preset(name).with_updates({"optim.epochs": 1, "run.device": "cpu"})
    result = Trainer(cfg).fit()
    assert result.reason == ev.COMPLETED, result.message


@pytest.mark.parametrize("dataset", ["fashion_mnist", *TOY_DATASETS])
def test_every_built_in_dataset_trains_one_epoch_offline(dataset):
    cfg = tiny_config({"data.dataset": dataset, "optim.epochs": 1, "data.test_size": 100})
    result = Trainer(cfg).fit()
    assert result.reason == ev.COMPLETED, result.message


@pytest.mark.parametrize("backbone", ["fashion_cnn", "squeezenet"])
def test_every_shipped_backbone_loads_and_fine_tunes_offline(backbone):
    cfg = tiny_config({"data.classes": "odd", "data.train_size": 20, "data.val_size": 20, "optim.epochs": 1,
                       "model.backbone": backbone, "model.transfer": "finetune", "model.backbone_size": 32})
    result = Trainer(cfg).fit()
    assert result.reason == ev.COMPLETED, result.message
