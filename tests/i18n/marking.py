"""The static check that every text a user can see is marked for translation.

It reads the source (ast) of gui/ and of the engine outside engine/cli (the headless command
line speaks English) and finds, in a call that puts text on screen or in an exception the
engine raises, a literal or an f-string that holds words and is not wrapped in _(), n_(),
C_() or N_(); in the engine also a message= argument (an event's, a trial's) and a sentence a
function returns (what a run's message or the window puts it in). A line ending
`# i18n: not shown` is passed over (a text no user sees).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKERS = {"_", "n_", "C_", "N_"}
NOT_SHOWN = "# i18n: not shown"

# Calls whose string arguments reach the screen: Qt's setters and constructors, pyqtgraph's,
# and the window's own ways of saying something (status.say / warn / refuse, dialogs.confirm).
SHOWN_METHODS = {
    "setText", "setToolTip", "setStatusTip", "setWhatsThis", "setWindowTitle", "setPlaceholderText",
    "showMessage", "addMenu", "addTab", "insertTab", "setTabText", "setTabToolTip", "setTitle",
    "setLabelText", "setLabel", "setLabels", "setHeaderLabels", "setHorizontalHeaderLabels",
    "setVerticalHeaderLabels", "addItems", "setItemText", "setItemData", "setSuffix",
    "setPrefix", "setSpecialValueText", "setFormat", "setInformativeText", "setDetailedText", "addRow",
    "setAccessibleName", "setAccessibleDescription", "setNameFilter", "setNameFilters", "getOpenFileName",
    "getSaveFileName", "getExistingDirectory", "getOpenFileNames", "getText", "getItem", "getInt",
    "getDouble", "setButtonText", "addButton", "setHtml", "setPlainText", "information", "warning",
    "critical", "question", "about", "say", "warn", "refuse", "confirm", "announce", "setWindowIconText",
    "setCheckBoxText", "setOption_text",
}
SHOWN_CLASSES = {
    "QLabel", "QPushButton", "QCheckBox", "QRadioButton", "QGroupBox", "QAction", "QToolButton",
    "QMessageBox", "QDockWidget", "QToolBar", "QMenu", "QTableWidgetItem", "QListWidgetItem",
    "QTreeWidgetItem", "QStandardItem", "QCommandLinkButton", "TextItem", "LabelItem", "QLineEdit",
}
SHOWN_KEYWORDS = {"text", "title", "tip", "tooltip", "toolTip", "label", "name", "message", "question", "html"}
# Keywords that are shown only for these calls (name= is also a Python identifier elsewhere).
KEYWORD_CALLS = {"plot", "addPlot", "PlotDataItem", "ScatterPlotItem", "PlotCurveItem", "BarGraphItem",
                 "addLegend", "setLabel", "TextItem", "InfiniteLine", "LinearRegionItem", "addItem"}

WORD = re.compile(r"[^\W\d_]{2,}")
IDENTIFIER = re.compile(r"^[\w.\-/*]*$")  # snake_case keys, dotted settings keys, globs, paths
TAG = re.compile(r"<[^<>]*>|&[a-z]+;|\{[^{}]*\}|%\(?\w*\)?[sdfg]|\*\.\w+")
POSITIONS = {"left", "right", "top", "bottom"}  # pyqtgraph's axis names: setLabel("left", …)
LOGGERS = {"log", "logger", "logging", "_log", "LOG", "warnings"}  # their texts go to a log, not the screen


def holds_words(text: str) -> bool:
    """Words a user would read: letters outside tags, fields and identifiers."""
    if text in POSITIONS:
        return False
    bare = TAG.sub(" ", text).strip()
    if not WORD.search(bare):
        return False
    if IDENTIFIER.match(bare) and ("_" in bare or "." in bare or "/" in bare or "*" in bare):
        return False
    return True


def _literal_words(node: ast.AST) -> bool:
    """A node that builds shown text from English words without a marker."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return holds_words(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_literal_words(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _literal_words(node.left) or _literal_words(node.right)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in MARKERS:
            return False
        if isinstance(func, ast.Attribute) and func.attr in ("format", "join", "strip", "rstrip", "lstrip",
                                                             "replace", "capitalize", "upper", "lower", "title"):
            # ", ".join(["first words", "more words"]): the items too, not only the separator
            joined = func.attr == "join" and node.args and isinstance(node.args[0], (ast.List, ast.Tuple))
            return _literal_words(func.value) or bool(joined and _literal_words(node.args[0]))
        return False
    if isinstance(node, ast.IfExp):
        return _literal_words(node.body) or _literal_words(node.orelse)
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_literal_words(e) for e in node.elts)
    return False


def _stringish(node: ast.AST) -> bool:
    return (isinstance(node, (ast.JoinedStr, ast.BinOp)) or (isinstance(node, ast.Constant) and isinstance(node.value, str))
            or (isinstance(node, ast.Call) and (_call_name(node) in MARKERS or _call_name(node) in ("format", "join"))))


def _item_text(node: ast.Call) -> list[ast.AST]:
    """The text argument of addItem(text, data), addItem(icon, text, data), a legend's
    addItem(item, name), insertItem(index, …) likewise; its data is not shown."""
    args = node.args[1:] if _call_name(node) == "insertItem" else node.args
    if len(args) >= 3 or (len(args) == 2 and not _stringish(args[0])):
        return [args[1]]
    return args[:1]


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


# Where a setting error names its key (a dotted key, shown as a key, never translated): the
# check passes over that argument only, not the error's reason.
KEY_ARGUMENT = {"ConfigError": 0, "LessonError": 2}


def _is_error(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        name = _call_name(node)
        return name.endswith(("Error", "Exception", "Refusal", "Refused", "Problem")) or name in ("Warning",)
    return False


def _sentence(node: ast.AST) -> bool:
    """A literal (or an f-string's literal parts) of three words or more: a message, not a key
    or a command ("python main.py")."""
    if isinstance(node, ast.JoinedStr):
        text = " ".join(v.value for v in node.values if isinstance(v, ast.Constant))
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    else:
        return False
    return holds_words(text) and sum(bool(WORD.search(t)) for t in TAG.sub(" ", text).split()) >= 3


# Engine calls that record a trial's message: failed_quietly(text), set_user_attr("message", text).
MESSAGE_CALLS = {"failed_quietly", "set_user_attr", "set_trial_user_attr"}


def unmarked(source: str, path: str, *, engine: bool) -> list[str]:
    """'path:line: text' for each shown text that is not marked."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found: list[str] = []

    def exempt(node: ast.AST) -> bool:
        end = getattr(node, "end_lineno", node.lineno)
        return any(NOT_SHOWN in lines[i - 1] for i in range(node.lineno, end + 1))

    def report(node: ast.AST, arg: ast.AST) -> None:
        if not exempt(node):
            text = ast.get_source_segment(source, arg) or ""
            found.append(f"{path}:{arg.lineno}: {text[:90]}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and engine and node.exc is not None and _is_error(node.exc):
            at = KEY_ARGUMENT.get(_call_name(node.exc))
            for i, arg in enumerate(node.exc.args):
                if i != at and _literal_words(arg):
                    report(node, arg)
            for kw in node.exc.keywords:
                if (at is None or kw.arg != "key") and _literal_words(kw.value):
                    report(node, kw.value)
        if isinstance(node, ast.Return) and engine and node.value is not None and _sentence(node.value):
            report(node, node.value)
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if engine:
            for kw in node.keywords:
                if kw.arg == "message" and _literal_words(kw.value):
                    report(node, kw.value)
            if name in MESSAGE_CALLS:
                keys = [i for i, a in enumerate(node.args) if isinstance(a, ast.Constant) and a.value == "message"]
                for arg in node.args[keys[0] + 1:] if keys else node.args if name == "failed_quietly" else []:
                    if _literal_words(arg):
                        report(node, arg)
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in LOGGERS:
            continue
        if name in SHOWN_METHODS or name in SHOWN_CLASSES or name in ("addItem", "insertItem"):
            for arg in _item_text(node) if name in ("addItem", "insertItem") else node.args:
                if _literal_words(arg):
                    report(node, arg)
        for kw in node.keywords:
            if kw.arg in SHOWN_KEYWORDS and (name in SHOWN_METHODS or name in SHOWN_CLASSES or name in KEYWORD_CALLS):
                if _literal_words(kw.value):
                    report(node, kw.value)
    return found


def checked_files() -> list[tuple[Path, bool]]:
    files = [(p, False) for p in sorted((ROOT / "gui").rglob("*.py"))]
    files += [(p, True) for p in sorted((ROOT / "engine").rglob("*.py"))
              if "cli" not in p.relative_to(ROOT / "engine").parts[:1] and p.name != "i18n.py"]
    return files


def unmarked_in_tree() -> list[str]:
    found = []
    for path, engine in checked_files():
        found += unmarked(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), engine=engine)
    return found


SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp,
          ast.DictComp, ast.GeneratorExp)


def _own_nodes(scope: ast.AST):
    """The nodes of `scope` outside the scopes nested in it."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def _binds(scope: ast.AST) -> list[int]:
    lines = []
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = scope.args
        lines += [scope.lineno for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
                  if arg is not None and arg.arg == "_"]
    if isinstance(scope, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        lines += [n.lineno for g in scope.generators for n in ast.walk(g.target)
                  if isinstance(n, ast.Name) and n.id == "_"]
    for node in _own_nodes(scope):
        if isinstance(node, SCOPES):
            continue
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            lines.append(node.lineno)
        elif isinstance(node, ast.ExceptHandler) and node.name == "_":
            lines.append(node.lineno)
    return lines


def hides_the_translation_function(source: str, path: str) -> list[str]:
    """Where a scope binds the name `_` (a throwaway loop variable, an unpacked value, an
    argument) while `_()` — the translation function — is called in it: there `_(...)` calls
    the throwaway instead (a TypeError at the first message, or an UnboundLocalError)."""
    tree = ast.parse(source)
    found = []
    for scope in ast.walk(tree):
        if not isinstance(scope, SCOPES):
            continue
        bound = _binds(scope)
        if bound and any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                         for n in ast.walk(scope)):
            found += [f"{path}:{line}: `_` bound where `_()` translates" for line in bound]
    return sorted(set(found))


def hidden_in_tree() -> list[str]:
    found = []
    for path in sorted([*(ROOT / "gui").rglob("*.py"), *(ROOT / "engine").rglob("*.py")]):
        found += hides_the_translation_function(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return found
