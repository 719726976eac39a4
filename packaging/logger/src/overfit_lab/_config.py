"""config.json for a script's run: the app's settings format (engine.core.config), so the
window's settings panel and every reader open it. The user's own config is kept whole in the
summary (`script.config`); the few of its keys that mean what an app setting means (lr,
batch_size, epochs, seed, weight_decay, dropout, label_noise) are copied into the settings
where their values are ones the app accepts."""

from __future__ import annotations

import math

# the user's key -> (section, setting, type, low, high): the ranges the app's settings accept
KNOWN = {
    "lr": ("optim", "lr", float, 0.0, 100.0), "learning_rate": ("optim", "lr", float, 0.0, 100.0),
    "batch_size": ("optim", "batch_size", int, 1, 65536), "epochs": ("optim", "epochs", int, 1, 100000),
    "seed": ("run", "seed", int, 0, 2**31 - 1),
    "weight_decay": ("regularization", "weight_decay", float, 0.0, 100.0),
    "dropout": ("regularization", "dropout", float, 0.0, 0.999),
    "label_noise": ("data", "label_noise", float, 0.0, 1.0),
    "momentum": ("optim", "momentum", float, 0.0, 0.999),
}


def app_config(name: str, user: dict) -> dict:
    """The run's settings: "python" data (the user's own), the user's known keys, the app's
    defaults for the rest (a settings reader fills in what is not written)."""
    config = {"schema_version": 1, "data": {"dataset": "python"}, "model": {}, "optim": {},
              "regularization": {}, "run": {"name": name, "record_examples": True}}
    for key, (section, setting, kind, low, high) in KNOWN.items():
        value = user.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or setting in config[section]:
            continue
        if kind is int and (not float(value).is_integer()):
            continue
        value = kind(value)
        if math.isfinite(value) and low <= value <= high and not (setting == "lr" and value == 0):
            config[section][setting] = value
    optimizer = str(user.get("optimizer", "")).lower()
    if optimizer in ("sgd", "adam"):
        config["optim"]["optimizer"] = optimizer
    return config
