"""A TensorBoard log folder's event files, read as they grow: its runs (a folder of event files;
Keras's train/ and validation/ folders and torch's add_scalars folders are parts of one), each
run's scalar curves, and what is wrong with a file (damaged, cut off).

Read with TensorBoard's own loader (it handles a record cut off mid-write), imported only when
a folder is read: the app starts without tensorboard installed."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.i18n import _

SPLIT_FOLDERS = {"train", "validation", "val", "eval"}  # Keras: <run>/train, <run>/validation
INSTALL = ("pip install tensorboard", "pip install 'overfit-lab[tensorboard]'")  # (the package, or the extra)


class TensorBoardMissing(RuntimeError):
    """tensorboard is not installed; the message says how to install it."""


def loader_class():
    try:
        # (not EventFileLoader: its read-time migration of every value to a tensor more than
        # doubled the time of reading a long log)
        from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
    except ImportError as exc:
        # i18n: {command} and {extra} are command lines to type
        raise TensorBoardMissing(_("reading TensorBoard folders needs the tensorboard package: {command} (or: "
                                   "{extra})").format(command=INSTALL[0], extra=INSTALL[1])) from exc
    return LegacyEventFileLoader


def is_event_file(name: str) -> bool:
    return "tfevents" in name


def is_part(folder: Path) -> bool:
    """A folder of event files that is part of its parent's run: Keras's train/ and validation/,
    torch's add_scalars("Loss", {"train": …, "val": …}) writing <parent>/Loss_train and Loss_val
    beside the parent's own event file: named after the tag it holds (its main tag, "/" as "_",
    then "_" and the key). Any other folder (run_2/ beside a run's event file) is a run."""
    if folder.name.lower() in SPLIT_FOLDERS:
        return True
    if "_" not in folder.name or not any(p.is_file() and is_event_file(p.name) for p in folder.parent.iterdir()):
        return False
    tag = _first_tag(folder)
    if tag is None:  # nothing written in it yet: taken for a part until its first value says
        return True
    return folder.name.startswith(tag.replace("/", "_") + "_")


_FIRST_TAGS: dict[Path, str] = {}  # event file -> its first tag (read once: the folder is looked at every read)


def _first_tag(folder: Path) -> str | None:
    """The tag of the first value in the folder's event files (add_scalars writes one tag there)."""
    for path in sorted(p for p in folder.iterdir() if p.is_file() and is_event_file(p.name)):
        if path not in _FIRST_TAGS:
            try:
                for count, event in enumerate(loader_class()(str(path)).Load()):
                    if event.HasField("summary") and event.summary.value:
                        _FIRST_TAGS[path] = event.summary.value[0].tag
                        break
                    if count > 100:
                        break
            except Exception:  # noqa: BLE001 - unreadable here: said when the run's files are read
                continue
        if path in _FIRST_TAGS:
            return _FIRST_TAGS[path]
    return None


def child_tag(folder: str, tag: str) -> str:
    """A tag of a part of the run as the run's tag (add_scalars' main tag and key joined)."""
    if not folder:
        return tag
    stem = tag.replace("/", "_") + "_"
    if folder.startswith(stem) and len(folder) > len(stem):
        return f"{tag}/{folder[len(stem):]}"
    return f"{folder}/{tag}"


def find_runs(logdir: Path) -> dict[str, Path]:
    """The runs of a log folder: name (its path inside logdir) -> its folder."""
    runs = {}
    for folder, _folders, files in os.walk(logdir):
        if not any(is_event_file(f) for f in files):
            continue
        folder = Path(folder)
        run = folder.parent if folder != logdir and is_part(folder) else folder
        name = run.relative_to(logdir).as_posix() if run != logdir else logdir.name
        runs[name if name != "." else logdir.name] = run
    return dict(sorted(runs.items()))


class _Problems(logging.Handler):
    """TensorBoard's loader swallows a damaged or cut-off record (saying so only at debug
    level) and stops reading the file there: this hears it, to tell the user."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record) -> None:
        text = record.getMessage()
        if text.startswith("Truncated record"):
            self.messages.append(text)


@dataclass
class EventFiles:
    """One run's event files, read as they grow (each file's loader keeps its offset)."""
    folder: Path
    loaders: dict[Path, object] = field(default_factory=dict)
    series: dict[str, dict[int, tuple[float, float]]] = field(default_factory=dict)  # tag -> step -> (wall, value)
    scalar_tags: set[str] = field(default_factory=set)
    other_tags: set[str] = field(default_factory=set)  # histograms, text…: not curves
    problems: dict[Path, str] = field(default_factory=dict)  # event file -> what is wrong with it now
    cut_off: set[Path] = field(default_factory=set)  # event files whose last record is cut off now

    def files(self) -> list[Path]:
        found = sorted(p for p in self.folder.iterdir() if p.is_file() and is_event_file(p.name))
        for sub in sorted(p for p in self.folder.iterdir() if p.is_dir() and is_part(p)):
            found += sorted(p for p in sub.iterdir() if p.is_file() and is_event_file(p.name))
        return found

    def prefix(self, path: Path) -> str:
        return "" if path.parent == self.folder else path.parent.name

    def load(self) -> None:
        """Read what was added to the event files since the last load."""
        from tensorboard.util import tensor_util

        loader = loader_class()
        tb_log = logging.getLogger("tensorboard")
        for path in self.files():
            heard = _Problems()
            level, propagate = tb_log.level, tb_log.propagate
            tb_log.addHandler(heard)
            tb_log.setLevel(logging.DEBUG)
            tb_log.propagate = False  # its debug lines stay out of the app's log
            try:
                if path not in self.loaders:
                    self.loaders[path] = loader(str(path))
                for event in self.loaders[path].Load():
                    self._add(event, self.prefix(path), tensor_util)
            except Exception as exc:  # noqa: BLE001 - an unreadable file is said, the others read
                self.problems[path] = _("cannot be read ({error})").format(error=exc)
                continue
            finally:
                tb_log.removeHandler(heard)
                tb_log.setLevel(level)
                tb_log.propagate = propagate
            self._judge(path, heard.messages)

    def _judge(self, path: Path, messages: list[str]) -> None:
        self.cut_off.discard(path)
        if not messages:
            self.problems.pop(path, None)
        elif any("crc32" in m for m in messages):
            self.problems[path] = _("damaged (a record fails its checksum): what comes before it was read, "
                                    "the rest of the file cannot be")
        else:  # the last record is cut off: still being written, or the writer died mid-record
            self.problems[path] = _("its last record is cut off (still being written?): read up to it")
            self.cut_off.add(path)

    def _add(self, event, prefix: str, tensor_util) -> None:
        if not event.HasField("summary"):
            return
        for value in event.summary.value:
            tag = child_tag(prefix, value.tag)
            kind = value.WhichOneof("value")
            plugin = value.metadata.plugin_data.plugin_name
            if kind == "simple_value":  # written by torch's SummaryWriter, TensorFlow 1
                number = value.simple_value
            elif kind != "tensor" or (plugin and plugin != "scalars") or tag in self.other_tags:
                self.other_tags.add(tag)
                continue
            elif not plugin and tag not in self.scalar_tags:
                continue  # (TensorFlow 2 says a tag's kind on its first value only)
            else:
                try:
                    number = float(tensor_util.make_ndarray(value.tensor).reshape(()))
                except (TypeError, ValueError):
                    self.other_tags.add(tag)
                    continue
            self.scalar_tags.add(tag)
            self.series.setdefault(tag, {})[int(event.step)] = (float(event.wall_time), float(number))

    def counts(self) -> dict[str, int]:
        return {tag: len(points) for tag, points in self.series.items()}
