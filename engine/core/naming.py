"""A run's name when the user did not give one: a run of the user's own data or network is
named after it ("pets (image folder)", "my_net (own network)"), not after the preset its
settings started from."""

from __future__ import annotations

from pathlib import Path

from engine.core.config import Config, preset_names

OWN_DATA = {"image_folder": "image folder", "arrays": "arrays file", "python": "data file"}


def _stem(source: str, folder: bool = False) -> str:
    head, _, tail = source.rpartition(":")
    source = head if head and tail.isidentifier() else source  # a file's PATH:NAME
    if ":" not in source and "/" not in source and "\\" not in source and not source.endswith(".py"):
        return source  # package.module
    return (Path(source).name if folder else Path(source).stem) or source


def named_for_its_data(config: Config) -> Config:
    """`config` with run.name set after its own data (an image folder, an arrays file, a
    dataset file) or, on shipped data, its own network (model.file), where the name is empty
    or a preset's; a name the user typed is kept."""
    name = config.run.name
    if name and name not in preset_names():
        return config
    kind = OWN_DATA.get(config.data.dataset)
    source = config.data.file if config.data.dataset == "python" else config.data.path
    if kind is not None and source:
        return config.with_updates({"run.name": f"{_stem(str(source), config.data.dataset == 'image_folder')} ({kind})"})
    if config.model.file:
        return config.with_updates({"run.name": f"{_stem(config.model.file)} (own network)"})
    return config
