"""A run's name when the user did not give one: a run of the user's own data is named after
that data ("pets (image folder)"), not after the preset its settings started from."""

from __future__ import annotations

from pathlib import Path

from engine.core.config import Config, preset_names

OWN_DATA = {"image_folder": "image folder", "arrays": "arrays file", "python": "data file"}


def named_for_its_data(config: Config) -> Config:
    """`config` with run.name set after its own data (an image folder, an arrays file, a
    dataset file) where the name is empty or a preset's; a name the user typed is kept."""
    kind = OWN_DATA.get(config.data.dataset)
    name = config.run.name
    source = config.data.file if config.data.dataset == "python" else config.data.path
    if kind is None or not source or (name and name not in preset_names()):
        return config
    head, _, tail = str(source).rpartition(":")
    source = head if head and tail.isidentifier() else str(source)  # a data file's PATH:NAME
    stem = Path(source).stem if config.data.dataset != "image_folder" else Path(source).name
    return config.with_updates({"run.name": f"{stem or source} ({kind})"})
