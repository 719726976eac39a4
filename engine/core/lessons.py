"""A lesson: a settings file with a `[lesson]` table, so `main.py train --config LESSON` trains
it as it stands. The table holds the lesson's `title`, settings it `hide`s from the panel and
settings it `lock`s (setting keys such as "regularization.dropout"), and its ordered
`[[lesson.step]]` tables: `text`, the epoch to `pause_at`, a `question`, a `reveal` whose
{figures} are computed from the run (engine.core.lesson_figures) and the claim it `expect`s.

Every problem is refused naming the key and its line. A locked setting is refused wherever
settings are applied (`--set`, the panel, a settings file opened over the lesson): the
message names the setting and the lesson."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from engine.core.config import Config, ConfigError, field_info
from engine.core.files import resources_dir
from engine.core.i18n import _
from engine.core.lesson_figures import (
    FIGURES,
    NOISE_FIGURES,
    ExpressionError,
    parse_expression,
    reveal_names,
)

LESSON_KEYS = ("title", "hide", "lock", "step")
STEP_KEYS = ("text", "pause_at", "question", "reveal", "expect")


class LessonError(ConfigError):
    """A lesson file's problem, with the file and the line it is on."""

    def __init__(self, path: Path | str, line: int | None, key: str, value: Any, allowed: str):
        super().__init__(key, value, allowed)
        self.path, self.line = Path(path), line
        fields = dict(path=self.path, line=line, key=key, value=repr(value), reason=allowed)
        # i18n: {path} is a lesson file, {key} a setting or lesson key, {value} what was given, {reason} what is allowed
        self.args = ((_("{path}, line {line}: {key} = {value} is not allowed: {reason}") if line
                      else _("{path}: {key} = {value} is not allowed: {reason}")).format(**fields),)


class LessonLocked(ConfigError):
    """A setting a lesson locks, asked to change."""

    def __init__(self, key: str, value: Any, locked: Any, title: str, path: Path):
        super().__init__(key, value, _("the lesson “{title}” ({file}) locks it at {locked}").format(
            title=title, file=path.name, locked=repr(locked)))
        self.lesson = title


@dataclass(frozen=True)
class Step:
    text: str
    pause_at: int | None = None
    question: str = ""
    reveal: str = ""
    expect: Any = None  # an Expression, or None
    line: int | None = None  # its [[lesson.step]] header
    pause_line: int | None = None


@dataclass(frozen=True)
class Lesson:
    path: Path
    title: str
    hide: tuple[str, ...]
    lock: tuple[str, ...]
    steps: tuple[Step, ...]
    config: Config

    def locked_values(self) -> dict[str, Any]:
        return {key: self.config.get(key) for key in self.lock}

    def refuse_locked(self, config: Config) -> Config:
        """`config`, or LessonLocked naming the first locked setting it changes."""
        for key, locked in self.locked_values().items():
            if config.get(key) != locked:
                raise LessonLocked(key, config.get(key), locked, self.title, self.path)
        return config

    def refuse_plan(self, base: Config, plan=(), searched=()) -> Config:
        """`base`, or LessonLocked naming the first locked setting that `base`, a change of the
        `plan` (a curve's values, a resumed experiment's runs) or a `searched` key varies."""
        self.refuse_locked(base)
        locked = self.locked_values()
        for changes in plan:
            for key, value in changes.items():
                if key in locked and value != locked[key]:
                    raise LessonLocked(key, value, locked[key], self.title, self.path)
        for key in searched:
            if key in locked:
                raise ConfigError(key, _("searched"), _(
                    "the lesson “{title}” ({file}) locks it at {locked}; search a space "
                    "without it (a [search] table whose params leave out the lesson's locked settings)").format(
                    title=self.title, file=self.path.name, locked=repr(locked[key])))
        return base

    def check_epochs(self, config: Config) -> None:
        """A step's pause epoch past the run's end (the lesson's own, or after --set) is refused."""
        for number, step in enumerate(self.steps, 1):
            if step.pause_at is not None and step.pause_at > config.optim.epochs:
                raise LessonError(self.path, step.pause_line or step.line, f"lesson.step[{number}].pause_at", step.pause_at,
                                  _("at most the run's last epoch, optim.epochs = {epochs}").format(epochs=config.optim.epochs))


def lessons_dir() -> Path:
    return resources_dir() / "lessons"


def shipped_lessons() -> list[Path]:
    return sorted(lessons_dir().glob("*.toml"))


def line_of(text: str, table: str | None, key: str | None, occurrence: int = 0) -> int | None:
    """The 1-based line of `key = ...` in the `occurrence`-th table named `table` ([data],
    [[lesson.step]]; None: the top of the file), or of the table's header where `key` is None."""
    current, seen, header_line = None, -1, None
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", line)
        if header:
            current = header.group(1).replace(" ", "")
            if current == table:
                seen += 1
                header_line = number
                if key is None and seen == occurrence:
                    return number
            continue
        in_table = current == table and (table is None or seen == occurrence)
        if key is not None and in_table and re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
            return number
    return header_line if table is not None and seen >= occurrence else None


def read_lesson(path: str | Path) -> Lesson:
    """Read and check a lesson file (LessonError names the key and the line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except RecursionError:  # tomllib recurses into nested arrays and tables
        raise LessonError(path, None, _("(file)"), str(path), _("a lesson file nested less deeply")) from None
    except OSError as exc:
        raise LessonError(path, None, _("(file)"), str(path), _("a readable lesson file ({error})").format(error=exc.strerror)) from exc
    except UnicodeDecodeError:
        raise LessonError(path, None, _("(file)"), str(path), _("a lesson file of text")) from None
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(path, getattr(exc, "lineno", None), _("(file)"), str(path), _("valid {format} ({error})").format(format="TOML", error=exc)) from exc
    return lesson_from_raw(path, text, raw)


def shape_differences(settings: dict) -> list[tuple[str, str]]:
    """Each section or key of a lesson's settings this version does not have, with the nearest
    one it has (a setting renamed since the lesson was written)."""
    import dataclasses
    import difflib

    from engine.core.config import SECTIONS

    out = []
    for section, table in settings.items():
        if section == "schema_version" or section in ("search", "curve"):
            continue
        if section not in SECTIONS:
            near = difflib.get_close_matches(section, list(SECTIONS), n=1)
            out.append((section, _("no such section; did you mean [{near}]?").format(near=near[0]) if near
                        else _("no such section")))
            continue
        if not isinstance(table, dict):
            continue
        known = [f.name for f in dataclasses.fields(SECTIONS[section])]
        for key in table:
            if key not in known:
                near = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
                out.append((f"{section}.{key}", _("did you mean {key}?").format(key=f"{section}.{near[0]}") if near
                            else _("no such setting")))
    return out


def lesson_from_raw(path: Path, text: str, raw: dict) -> Lesson:
    def refuse(table, key, occurrence, name, value, allowed):
        raise LessonError(path, line_of(text, table, key, occurrence), name, value, allowed)

    table = raw.get("lesson")
    if not isinstance(table, dict):
        refuse(None, "lesson", 0, "lesson", table, _("a [lesson] table: title, hide, lock and [[lesson.step]]s"))
    settings = {k: v for k, v in raw.items() if k != "lesson"}
    differs = shape_differences(settings)
    if differs:  # written for settings shaped otherwise (a renamed or removed setting): all of it said
        first = differs[0][0]
        section, name = first.partition(".")[::2]
        refuse(section, name or None, 0, first, settings.get(section, {}).get(name) if name else settings.get(section),
               _("a setting of this version; the lesson's settings differ from this version's shape: {differences}").format(
                   differences="; ".join(f"{key} ({why})" for key, why in differs)))
    try:
        config = Config.from_dict(settings)
    except ConfigError as exc:
        section, name = exc.key.partition(".")[::2]
        refuse(section, name or None, 0, exc.key, exc.value, exc.allowed)
    for key in table:
        if key not in LESSON_KEYS:
            refuse("lesson", key, 0, f"lesson.{key}", table[key], _("a key of [lesson]: {keys}").format(keys=", ".join(LESSON_KEYS)))
    title = table.get("title")
    if not isinstance(title, str) or not title.strip():
        refuse("lesson", "title", 0, "lesson.title", title, _("the lesson's title, a text"))
    lists = {}
    for name in ("hide", "lock"):
        keys = table.get(name, [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            refuse("lesson", name, 0, f"lesson.{name}", keys, _("a list of setting keys, e.g. [\"regularization.dropout\"]"))
        for key in keys:
            try:
                field_info(key)
            except ConfigError as exc:
                refuse("lesson", name, 0, f"lesson.{name}", key, _("a setting that exists ({reason})").format(reason=exc.allowed))
        lists[name] = tuple(keys)
    raw_steps = table.get("step")
    if not isinstance(raw_steps, list) or not raw_steps or not all(isinstance(s, dict) for s in raw_steps):
        refuse("lesson", None, 0, "lesson.step", raw_steps, _("at least one [[lesson.step]] table"))
    noise = config.data.label_noise > 0
    known = [n for n in FIGURES if noise or n not in NOISE_FIGURES]
    steps, previous = [], 0
    for index, s in enumerate(raw_steps):
        number = index + 1

        def bad(key, allowed, index=index, number=number, s=s):
            refuse("lesson.step", key, index, f"lesson.step[{number}].{key}", s.get(key), allowed)

        for key in s:
            if key not in STEP_KEYS:
                bad(key, _("a key of [[lesson.step]]: {keys}").format(keys=", ".join(STEP_KEYS)))
        for key in ("text", "question", "reveal", "expect"):
            if key in s and not isinstance(s[key], str):
                bad(key, _("a text"))
        if not s.get("text", "").strip():
            bad("text", _("what the class reads at this step, a text"))
        pause = s.get("pause_at")
        if pause is not None:
            if not isinstance(pause, int) or isinstance(pause, bool) or pause < 1:
                bad("pause_at", _("an epoch, a whole number from 1"))
            if pause < previous:
                bad("pause_at", _("at least the previous step's epoch ({epoch}): steps are in order").format(epoch=previous))
            previous = pause
        for name in reveal_names(s.get("reveal", "")):
            if name.strip() not in known:
                fields = dict(name="{" + name + "}", figures=", ".join(known))
                # i18n: {name} is a figure's name in braces, {figures} the names the run computes
                bad("reveal", (_("figures the run computes (label noise is off in this lesson): {name} is not one; "
                                 "they are {figures}") if name.strip() in NOISE_FIGURES
                               else _("figures the run computes: {name} is not one; they are {figures}")).format(**fields))
        expect = None
        if s.get("expect"):
            try:
                expect = parse_expression(s["expect"], known)
            except ExpressionError as exc:
                off = [n for n in NOISE_FIGURES if n in s["expect"]]
                bad("expect", (_("a claim about the run's figures: {error} ({figures}: label noise is off in this lesson)")
                               if off else _("a claim about the run's figures: {error}")).format(
                    error=exc, figures=", ".join(off)))
        steps.append(Step(s["text"].strip(), pause, s.get("question", "").strip(), s.get("reveal", "").strip(),
                          expect, line_of(text, "lesson.step", None, index),
                          line_of(text, "lesson.step", "pause_at", index)))
    lesson = Lesson(path, title.strip(), lists["hide"], lists["lock"], tuple(steps), config)
    lesson.check_epochs(config)
    own_sweeps(lesson, text, raw)
    return lesson


def own_sweeps(lesson: Lesson, text: str, raw: dict) -> None:
    """A lesson's own `[curve]` or `[search]` over a setting it locks is refused at its line."""
    curve, search = raw.get("curve"), raw.get("search")
    over = curve.get("over") if isinstance(curve, dict) else None
    params = search.get("params") if isinstance(search, dict) else None
    for table, key, name in [("curve", "over", over)] + [("search.params", k, k) for k in (
            params if isinstance(params, dict) else ())]:
        if name in lesson.lock:
            raise LessonError(lesson.path, sweep_line(text, table, key), f"{table}.{key}",
                              name, _("a setting the lesson does not lock: it locks {key} at {locked}, so its own "
                                      "sweep may not vary it").format(key=name, locked=repr(lesson.locked_values()[name])))


def is_lesson(path: str | Path) -> bool:
    """A .toml file with a [lesson] table (False for anything unreadable: Config.load names it)."""
    try:
        return Path(path).suffix.lower() == ".toml" and "lesson" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False


def refuse_locked(config_file: str | Path | None, config: Config) -> Config:
    """`config` as a command line resolved it from `config_file`: where that file is a lesson,
    checked as one, and refused where it changes a setting the lesson locks (--set)."""
    if not config_file or not is_lesson(config_file):
        return config
    lesson = read_lesson(config_file)
    lesson.check_epochs(config)
    return lesson.refuse_locked(config)


def sweep_line(text: str, table: str, key: str) -> int | None:
    """The line naming `key` in the file's first [curve] / [search...] table (a quoted key's
    header, [search.params."model.width"], is one line_of does not read)."""
    start = next((n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(f"[{table.split('.')[0]}")), 0)
    return next((n for n, line in enumerate(text.splitlines(), 1) if n >= start and key in line), None) if start else None


def refuse_locked_plan(config_file: str | Path | None, base: Config, plan=(), searched=()) -> Config:
    """`base` with the runs a command line's `plan` makes of it (or the keys its search varies):
    where `config_file` is a lesson, refused where any of them changes a setting it locks."""
    if not config_file or not is_lesson(config_file):
        return base
    return read_lesson(config_file).refuse_plan(base, plan, searched)
