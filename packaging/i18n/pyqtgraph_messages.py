"""The texts pyqtgraph shows in the window, for the catalog: a plot's right-click menu (ViewBox
options, its X axis / Y axis panels, Mouse Mode), the Plot Options submenu and its panels,
Export... and the export dialog (its labels, the formats, their options).

pyqtgraph asks Qt for them, QCoreApplication.translate("ViewBox", "View All"); the window
answers from the gettext catalog (gui/window/plot_menus_translator.py) with the context
"pyqtgraph <Qt context>". Read from the installed pyqtgraph's source, so a pyqtgraph upgrade
brings its new texts at the next `catalogs.py extract`. Texts with no letter ("0", "%") are
left out: nothing to translate.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

# (msgid, context or None, file, line, translator comments) as resource_messages yields them
Message = tuple[str, str | None, str, int, list[str]]

CONTEXT_PREFIX = "pyqtgraph "  # gui/window/plot_menus_translator.py asks with the same prefix

# The files that build what the window can show, and what each is (for the translators).
SHOWN = {
    "graphicsItems/ViewBox/ViewBoxMenu.py": "a plot's right-click menu",
    "graphicsItems/ViewBox/axisCtrlTemplate_generic.py":
        "a plot's right-click menu, its X axis / Y axis panel",
    "graphicsItems/PlotItem/PlotItem.py": "a plot's right-click menu, its Plot Options submenu",
    "graphicsItems/PlotItem/plotConfigTemplate_generic.py":
        "a plot's right-click menu, the panels of Plot Options (Transforms, Downsample, Grid...)",
    "GraphicsScene/GraphicsScene.py": "a plot's right-click menu",
    "GraphicsScene/exportDialogTemplate_generic.py": "the dialog Export... opens",
}
EXPORTERS = "exporters"  # each format the export dialog lists, and its options
NOT_SHOWN = {"PyQtGraph"}  # the title of a form pyqtgraph embeds in a menu: never a window
# What the file does not say about a text (translator comments), by (Qt context, text).
NOTES = {
    ("ViewBox", "axis"): "pyqtgraph writes the axis letter, a space, then this word: the submenus "
                         "“X axis” and “Y axis”",
    ("ViewBox", "3 button"): "a mouse mode: drag to pan, as with a three-button mouse",
    ("ViewBox", "1 button"): "a mouse mode: drag to zoom into a rectangle, as with a one-button mouse",
    ("Form", "x"): "the suffix of the downsampling factor (“plot every Nth sample”): 4x",
    ("Form", "Peak"): "a downsampling method: keep each stretch's minimum and maximum",
    ("Exporter", "columnMode"): "an export option: how the columns of the CSV file are laid out",
    ("Exporter", "invertValue"): "an export option: invert the image's values",
}


def pyqtgraph_dir() -> Path:
    import pyqtgraph

    return Path(pyqtgraph.__file__).resolve().parent


def _translate_calls(tree: ast.AST) -> Iterator[tuple[str, str, int]]:
    """(Qt context, text, line) of each translate("Context", "text") with literal arguments
    (pyqtgraph's `translate`, `_translate`, QCoreApplication.translate)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in ("translate", "_translate"):
            continue
        context, text = node.args[0], node.args[1]
        if (isinstance(context, ast.Constant) and isinstance(context.value, str)
                and isinstance(text, ast.Constant) and isinstance(text.value, str)):
            yield context.value, text.value, node.lineno


def _exporter_names(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Each exporter class's `Name` (the export dialog lists it via translate("Exporter", Name))."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "Name" for t in item.targets)
                        and isinstance(item.value, ast.Constant) and isinstance(item.value.value, str)):
                    yield item.value.value, item.lineno


def _worth_translating(text: str) -> bool:
    return any(ch.isalpha() for ch in text) and text not in NOT_SHOWN


def messages(root: Path | None = None) -> Iterator[Message]:  # noqa: ARG001 (the same call as the others)
    """Every text pyqtgraph translates in what the window shows, with its file and line."""
    base = pyqtgraph_dir()
    files = [(base / rel, what) for rel, what in SHOWN.items()]
    files += [(path, "the dialog Export... opens: a format or one of its options")
              for path in sorted((base / EXPORTERS).glob("*.py"))]
    for path, what in files:
        if not path.is_file():  # another pyqtgraph version moved it: its texts stay English
            continue
        where = "pyqtgraph/" + path.relative_to(base).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        comment = f"pyqtgraph (the plotting library): {what}"
        for context, text, line in _translate_calls(tree):
            if _worth_translating(text):
                note = NOTES.get((context, text))
                yield text, CONTEXT_PREFIX + context, where, line, [comment] + ([note] if note else [])
        if path.parent.name == EXPORTERS:
            for name, line in _exporter_names(tree):
                yield name, CONTEXT_PREFIX + "Exporter", where, line, [comment]
