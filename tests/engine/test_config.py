import json

import pytest

from engine.core.config import (
    SCHEMA_VERSION,
    Config,
    ConfigError,
    live_keys,
    load_preset,
    preset_names,
)
from engine.data.bundle import load_data


def error_for(updates):
    with pytest.raises(ConfigError) as info:
        Config().with_updates(updates)
    return info.value


@pytest.mark.parametrize("key, value, allowed", [
    ("optim.lr", -0.1, "in (0.0, 100.0]"),
    ("regularization.dropout", 1.0, "[0.0, 1.0)"),
    ("regularization.dropout", -0.2, "[0.0, 1.0)"),
    ("optim.batch_size", 0, "in [1, 65536]"),
    ("data.dataset", "imagenet", "one of fashion_mnist"),
    ("optim.epochs", "ten", "a whole number"),
    ("optim.lr", True, "a number"),
    ("regularization.early_stopping", 1, "true or false"),
    ("regularization.weight_decay_mode", "l3", "decoupled, l2_penalty"),
])
def test_invalid_values_name_key_value_and_what_is_allowed(key, value, allowed):
    err = error_for({key: value})
    assert err.key == key
    assert err.value == value
    assert key in str(err) and repr(value) in str(err) and allowed in str(err)


def test_unknown_key_and_section_are_rejected():
    with pytest.raises(ConfigError, match=r"optim\.learning_rate.*a known key of \[optim\]"):
        Config.from_dict({"optim": {"learning_rate": 0.1}})
    with pytest.raises(ConfigError, match=r"training.*a known section"):
        Config.from_dict({"training": {}})


def test_newer_schema_version_is_refused():
    err = pytest.raises(ConfigError, Config.from_dict, {"schema_version": SCHEMA_VERSION + 1}).value
    assert err.key == "schema_version" and "newer" in str(err)


def test_train_size_larger_than_the_dataset_names_the_key():
    cfg = Config().with_updates({"data.train_size": 60000, "data.val_size": 5000})
    with pytest.raises(ConfigError) as info:
        load_data(cfg.data, 0)
    assert info.value.key == "data.train_size"
    assert "at most 55000" in str(info.value)


def test_int_widens_to_float_and_round_trips(tmp_path):
    cfg = Config().with_updates({"optim.lr": 1, "regularization.dropout": 0.25, "data.dataset": "moons"})
    assert cfg.optim.lr == 1.0 and isinstance(cfg.optim.lr, float)
    for suffix in (".toml", ".json"):
        path = cfg.save(tmp_path / f"run{suffix}")
        assert Config.load(path) == cfg
    assert json.loads((tmp_path / "run.json").read_text())["schema_version"] == SCHEMA_VERSION


def test_overrides_parse_toml_literals_and_bare_words():
    cfg = Config().with_overrides(["regularization.dropout=0.5", "data.dataset=moons",
                                   "regularization.augment_hflip=true", "optim.epochs=3"])
    assert (cfg.regularization.dropout, cfg.data.dataset, cfg.regularization.augment_hflip,
            cfg.optim.epochs) == (0.5, "moons", True, 3)


def test_bad_file_names_the_path(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[optim\nlr = ")
    with pytest.raises(ConfigError, match="broken.toml"):
        Config.load(bad)
    with pytest.raises(ConfigError, match="missing.toml"):
        Config.load(tmp_path / "missing.toml")


def test_every_field_has_help_text_and_live_fields_are_the_remedies():
    for section in ("data", "model", "regularization", "optim", "run"):
        for f in Config.__dataclass_fields__[section].default_factory.__dataclass_fields__.values():
            assert len(f.metadata["help"]) > 10, f.name
    live = set(live_keys())
    assert {"regularization.dropout", "regularization.weight_decay", "regularization.l1",
            "regularization.augment_hflip", "regularization.patience", "optim.lr"} <= live
    assert not {"data.dataset", "model.arch", "data.train_size"} & live


def test_all_presets_load():
    names = preset_names()
    for required in ("overfit", "dropout", "weight_decay", "augmentation", "early_stopping",
                     "all_remedies", "memorize", "cnn", "toy_spirals"):
        assert required in names
    base = load_preset("overfit")
    for remedy in ("dropout", "weight_decay", "augmentation", "early_stopping", "all_remedies"):
        cfg = load_preset(remedy)
        # Same data, model and seed as the overfit preset: only the remedy differs.
        assert (cfg.data, cfg.model, cfg.optim, cfg.run.seed) == (base.data, base.model, base.optim, base.run.seed)
        assert cfg.regularization != base.regularization
