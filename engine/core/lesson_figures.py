"""A lesson's figures, computed from a run's epochs, and the small expression language its
steps state their claims in (`expect = "final_val < best_val - 0.02"`).

Why not Python's eval(): a lesson is a file handed from one person to another and opened by a
double-click; evaluating its text would run whatever it says. This language has numbers, the
figures below, + - * /, parentheses, the comparisons < <= > >= == != and `and` / `or` / `not`
— nothing that can name a function, an attribute or a file — and every name is checked
against the figures when the lesson is read, not when the claim is tested."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.core.i18n import _, integer, number, percent

# name -> (what it is, how a reveal writes it: "percent", "loss" or "epoch")
FIGURES: dict[str, tuple[str, str]] = {
    "epoch": ("the last epoch trained (at a step: its pause epoch)", "epoch"),
    "best_val": ("the best validation accuracy so far", "percent"),
    "best_val_epoch": ("the epoch of the best validation accuracy", "epoch"),
    "final_val": ("the validation accuracy of the last epoch", "percent"),
    "final_train": ("the training accuracy of the last epoch", "percent"),
    "gap": ("training minus validation accuracy, last epoch", "percent"),
    "min_val_loss": ("the lowest validation loss so far", "loss"),
    "final_val_loss": ("the validation loss of the last epoch", "loss"),
    "val_loss_rise": ("how far the validation loss rose above its lowest", "loss"),
    "turn_epoch": ("the epoch the validation loss turned (its lowest)", "epoch"),
    "final_train_loss": ("the training loss of the last epoch", "loss"),
    "fitted_wrong": ("share of the wrong labels fitted (training accuracy on them; label noise on)", "percent"),
    "fitted_clean": ("training accuracy on the examples whose label is right (label noise on)", "percent"),
}
NOISE_FIGURES = ("fitted_wrong", "fitted_clean")  # only where data.label_noise > 0


def compute_figures(epochs: Sequence[dict], upto: int | None = None) -> dict[str, float | int | None]:
    """The figures of a run's epoch metrics (EpochMetrics as dicts), of epochs ≤ `upto`."""
    rows = [e for e in epochs if upto is None or e["epoch"] <= upto]
    if not rows:
        return dict.fromkeys(FIGURES)
    last = rows[-1]
    best = max(rows, key=lambda e: e["val_accuracy"])  # the first of equals
    lowest = min(rows, key=lambda e: e["val_loss"])
    return {
        "epoch": last["epoch"], "best_val": best["val_accuracy"], "best_val_epoch": best["epoch"],
        "final_val": last["val_accuracy"], "final_train": last["train_accuracy"],
        "gap": last["train_accuracy"] - last["val_accuracy"], "min_val_loss": lowest["val_loss"],
        "final_val_loss": last["val_loss"], "val_loss_rise": last["val_loss"] - lowest["val_loss"],
        "turn_epoch": lowest["epoch"], "final_train_loss": last["train_loss"],
        "fitted_wrong": last.get("train_accuracy_corrupted"), "fitted_clean": last.get("train_accuracy_clean"),
    }


def lesson_text(text: str) -> str:
    """A lesson's shown text (title, step, question, reveal) in the language: a shipped
    lesson's are in the catalog; a user's own lesson's are not, and pass through as written."""
    return _(text) if text else text  # (_("") would be the catalog's header)


def format_figure(name: str, value) -> str:
    """A figure as a reveal writes it, in the language's number format."""
    if value is None:
        return _("(not measured)")
    kind = FIGURES[name][1]
    if kind == "percent":
        return percent(100 * value, 1)
    if kind == "loss":
        return number(value, 3)
    return integer(int(value))


def reveal_names(text: str) -> list[str]:
    """The {figures} a reveal names (`{{` writes a brace)."""
    return re.findall(r"(?<!\{)\{([^{}]*)\}", text.replace("{{", "").replace("}}", ""))


def fill_reveal(text: str, figures: dict) -> str:
    """A reveal's template translated (lesson_text), then its {figures} filled in."""
    parts = re.split(r"(\{\{|\}\}|\{[^{}]*\})", lesson_text(text))
    out = []
    for part in parts:
        if part in ("{{", "}}"):
            out.append(part[0])
        elif part.startswith("{") and part.endswith("}"):
            out.append(format_figure(part[1:-1].strip(), figures.get(part[1:-1].strip())))
        else:
            out.append(part)
    return "".join(out)


# ---- the expression language -----------------------------------------------------------
class ExpressionError(ValueError):
    pass


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|([A-Za-z_]\w*)|(<=|>=|==|!=|[<>()+\-*/]))")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: math.isclose(a, b, abs_tol=1e-12),
    "!=": lambda a, b: not math.isclose(a, b, abs_tol=1e-12)}  # never both == and != of one pair
MAX_LENGTH, MAX_DEPTH = 500, 32  # a claim's characters and nesting: the parser and its evaluation recurse


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ExpressionError(_("cannot read {text} (at character {position})").format(
                text=repr(text[pos:].strip()), position=integer(pos + 1)))
        number, name, op = m.groups()
        if number is not None:
            out.append(("num", float(number)))
        elif name in ("and", "or", "not"):
            out.append(("op", name))
        elif name is not None:
            out.append(("name", name))
        else:
            out.append(("op", op))
        pos = m.end()
    return out


@dataclass(frozen=True)
class Expression:
    """A parsed claim: `names` are the figures it reads; `holds(figures)` tests it."""
    text: str
    tree: tuple
    names: tuple[str, ...]

    def holds(self, figures: dict) -> bool:
        return bool(_evaluate(self.tree, figures))


def parse_expression(text: str, known: Sequence[str] = tuple(FIGURES)) -> Expression:
    """Parse `text` (ExpressionError naming what is wrong: an unknown figure, a stray token)."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(_("a claim of at most {limit} characters (this one has {count})").format(
            limit=integer(MAX_LENGTH), count=integer(len(text))))
    tokens, names = _tokens(text), []
    at, depth = 0, 0

    def deeper(parse):  # each `(`, `not` and `-` nests: too deep is refused, not a RecursionError
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise ExpressionError(_("a claim nested at most {limit} deep (brackets, not, minus signs)").format(
                limit=integer(MAX_DEPTH)))
        try:
            return parse()
        finally:
            depth -= 1

    def peek():
        return tokens[at] if at < len(tokens) else ("end", None)

    def take(kind=None, value=None):
        nonlocal at
        tok = peek()
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            found = tok[1] if tok[0] != "end" else _("the end")
            # i18n: {expected} and {found} are tokens of a claim (")", a name), or "the end"
            raise ExpressionError(_("expected {expected} but found {found}").format(expected=value or kind, found=found))
        at += 1
        return tok

    def either():
        node = both()
        while peek() == ("op", "or"):
            take()
            node = ("or", node, both())
        return node

    def both():
        node = negated()
        while peek() == ("op", "and"):
            take()
            node = ("and", node, negated())
        return node

    def negated():
        if peek() == ("op", "not"):
            take()
            return ("not", deeper(negated))
        return comparison()

    def comparison():
        node = total()
        chain = []
        while peek()[0] == "op" and peek()[1] in _COMPARE:
            chain.append((take()[1], total()))
        return ("compare", node, tuple(chain)) if chain else node

    def total():
        node = product()
        while peek()[0] == "op" and peek()[1] in "+-":
            node = (take()[1], node, product())
        return node

    def product():
        node = unary()
        while peek()[0] == "op" and peek()[1] in "*/":
            node = (take()[1], node, unary())
        return node

    def unary():
        if peek() == ("op", "-"):
            take()
            return ("neg", deeper(unary))
        tok = peek()
        if tok[0] == "num":
            take()
            return ("num", tok[1])
        if tok[0] == "name":
            take()
            if tok[1] not in known:
                raise ExpressionError(_("unknown figure {name}; the figures are: {figures}").format(
                    name=repr(tok[1]), figures=", ".join(known)))
            names.append(tok[1])
            return ("name", tok[1])
        if tok == ("op", "("):
            take()
            node = deeper(either)
            take("op", ")")
            return node
        found = tok[1] if tok[0] != "end" else _("the end")
        raise ExpressionError(_("expected a number, a figure or '(' but found {found}").format(found=found))

    if not tokens:
        raise ExpressionError(_("an empty claim"))
    tree = either()
    if at != len(tokens):
        raise ExpressionError(_("unexpected {token} after a complete claim").format(token=repr(tokens[at][1])))
    if tree[0] not in ("compare", "and", "or", "not"):
        raise ExpressionError(_("a claim compares: e.g. final_val < best_val - 0.02"))
    return Expression(text, tree, tuple(dict.fromkeys(names)))


def _evaluate(node: tuple, figures: dict):
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        value = figures.get(node[1])
        if value is None:
            raise ExpressionError(_("the figure {name} was not measured in this run").format(name=node[1]))
        return float(value)
    if kind == "neg":
        return -_evaluate(node[1], figures)
    if kind == "not":
        return not _evaluate(node[1], figures)
    if kind == "and":
        return _evaluate(node[1], figures) and _evaluate(node[2], figures)
    if kind == "or":
        return _evaluate(node[1], figures) or _evaluate(node[2], figures)
    if kind == "compare":
        left = _evaluate(node[1], figures)
        for op, right_node in node[2]:
            right = _evaluate(right_node, figures)
            if not _COMPARE[op](left, right):
                return False
            left = right
        return True
    a, b = _evaluate(node[1], figures), _evaluate(node[2], figures)
    if kind == "/" and b == 0:
        raise ExpressionError(_("division by zero"))
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else 0.0}[kind]
