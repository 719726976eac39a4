"""The messages the window translates from data rather than from a literal in the code: each
setting's label, help text and choices (engine/core/config.py), each preset's name and
description (resources/presets), each shipped lesson's shown texts (resources/lessons) and
the texts pyqtgraph shows in a plot's right-click menu (packaging/i18n/pyqtgraph_messages.py).

catalogs.py adds them to the catalog it extracts from the code. Each msgid is exactly the text
the window passes to _() / C_(): the label as the settings panel derives it
(gui.panels.setting_widgets.label_source), the description as engine.core.config reads it, a
lesson's texts as engine.core.lessons reads them (stripped). A lesson's `expect` claims are
never shown, so never yielded.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

# (msgid, context or None, file relative to the root, line, translator comments)
Message = tuple[str, str | None, str, int, list[str]]


def _importable(root: Path) -> None:
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))


def _field_lines(source: Path) -> dict[tuple[str, str], int]:
    """(class name, field name) -> the line of the field's declaration in config.py."""
    lines = {}
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    lines[(node.name, item.target.id)] = item.lineno
    return lines


def setting_messages(root: Path) -> Iterator[Message]:
    """Each setting's label (as the panel shows it), help text (its tooltip) and choices."""
    from engine.core.config import SECTIONS
    from gui.panels.setting_widgets import label_source

    where = "engine/core/config.py"
    lines = _field_lines(root / where)
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            key = f"{section}.{f.name}"
            line = lines.get((cls.__name__, f.name), 1)
            yield (label_source(key), None, where, line,
                   [f"the name of the setting {key} on the settings panel (and in what is said about it)"])
            yield (f.metadata["help"], None, where, line,
                   [f"help of the setting {key}: its tooltip on the settings panel"])
            for choice in f.metadata.get("choices") or ():
                yield (choice, "setting choice", where, line,
                       [f"a value of the setting {key}, as its box on the settings panel shows it; "
                        "files and the command line keep the English value"])


def description_of(path: Path) -> str:
    """A preset's description: the comment at the top of its file (as engine.core.config's
    preset_description reads it)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# "))
    return " ".join(lines)


def preset_messages(root: Path) -> Iterator[Message]:
    """Each preset's name (context "preset") and its description."""
    for path in sorted((root / "resources" / "presets").glob("*.toml")):
        where = path.relative_to(root).as_posix()
        yield (path.stem, "preset", where, 1,
               [f"the name of a preset (the settings panel's picker); its file is {path.name}"])
        description = description_of(path)
        if description:
            yield (description, None, where, 1, ["a preset's description, under the settings panel's picker"])


def lesson_messages(root: Path) -> Iterator[Message]:
    """Each shipped lesson's title and its steps' text, question and reveal."""
    from engine.core.lessons import line_of, read_lesson

    for path in sorted((root / "resources" / "lessons").glob("*.toml")):
        where = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        lesson = read_lesson(path)
        yield (lesson.title, None, where, line_of(text, "lesson", "title") or 1,
               ["a lesson's title: the Lessons menu and the lesson's panel"])
        for index, step in enumerate(lesson.steps):
            number = index + 1
            for key, comment in (("text", f"step {number} of the lesson “{lesson.title}”: what the class reads"),
                                 ("question", f"step {number}'s question (the lesson “{lesson.title}”)"),
                                 ("reveal", f"step {number}'s answer (the lesson “{lesson.title}”): each {{name}} "
                                            "is a figure the run measured, filled in; keep every {name} as it is "
                                            "(a brace itself is written {{ or }})")):
                message = getattr(step, key)
                if message:
                    yield (message, None, where, line_of(text, "lesson.step", key, index) or step.line or 1, [comment])


def messages(root: Path) -> Iterator[Message]:
    """Every message the window translates from data, with where it comes from."""
    root = Path(root).resolve()
    _importable(root)
    yield from setting_messages(root)
    yield from preset_messages(root)
    yield from lesson_messages(root)
    yield from pyqtgraph_texts(root)


def pyqtgraph_texts(root: Path) -> Iterator[Message]:
    """pyqtgraph's plot menus and export dialog (pyqtgraph_messages.py, beside this file)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    from pyqtgraph_messages import messages as shown_by_pyqtgraph

    yield from shown_by_pyqtgraph(root)
