"""The catalog's messages from data (packaging/i18n/resource_messages.py) are exactly what the
window translates: the settings panel's labels, tooltips, choices and presets, and a shipped
lesson's texts, shown translated under a catalog made of those messages alone."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from PySide6.QtWidgets import QComboBox, QFormLayout

from engine.core import i18n

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "resources" / "lessons" / "1_memorizing.toml"


def resource_messages():
    spec = importlib.util.spec_from_file_location(
        "resource_messages_r", ROOT / "packaging" / "i18n" / "resource_messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.messages(ROOT))


def shown(message: str) -> str:
    return f"⟦{message}⟧"


@pytest.fixture
def messages():
    return resource_messages()


@pytest.fixture
def bracketed(messages, tmp_path, monkeypatch):
    """The language "qps": each message from data bracketed, nothing else translated; English
    again afterwards, whatever the test did."""
    catalog = Catalog(locale="en", domain=i18n.DOMAIN)
    for message, context, _path, _line, _comments in messages:
        catalog.add(message, shown(message), context=context)
    folder = tmp_path / "qps" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / f"{i18n.DOMAIN}.mo", "wb") as fp:
        write_mo(fp, catalog)
    monkeypatch.setenv(i18n.EXTRA_LOCALES_ENV, str(tmp_path))
    assert i18n.set_language("qps") == "qps"
    try:
        yield
    finally:
        i18n.set_language(i18n.ENGLISH)


def rows(panel):
    """(key, its label, its field widget) for each setting on the panel."""
    for key, widget in panel.widgets.items():
        holder = widget.parentWidget()
        form = holder.parentWidget().layout()
        assert isinstance(form, QFormLayout)
        yield key, form.labelForField(holder), widget


def test_every_label_help_choice_and_preset_on_the_panel_is_a_message(qtbot, messages):
    from engine.core.config import load_preset, preset_description, preset_names
    from gui.panels.settings import SettingsPanel

    plain = {m for m, context, *_ in messages if context is None}
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    keys = list(panel.widgets)
    assert len(keys) > 40
    for key, label, widget in rows(panel):
        assert label.text() in plain, key  # the label exactly as the panel shows it in English
        assert label.toolTip() in plain, key  # its help text
        assert widget.property("help") in plain, key
        if isinstance(widget, QComboBox):
            for i in range(widget.count()):
                assert (widget.itemText(i), "setting choice") in {(m, c) for m, c, *_ in messages}, key
    presets = {m for m, context, *_ in messages if context == "preset"}
    assert presets == set(preset_names())
    for name in preset_names():
        assert preset_description(name) in plain, name
        panel.set_config(load_preset(name), name)
        assert panel.description.text() == preset_description(name)


def test_every_shown_text_of_the_memorizing_lesson_is_a_message(messages):
    raw = tomllib.loads(LESSON.read_text(encoding="utf-8"))["lesson"]
    ours = {m for m, _context, path, _line, _comments in messages if path == "resources/lessons/1_memorizing.toml"}
    steps = raw["step"]
    assert len(steps) == 2
    assert raw["title"].strip() in ours
    for step in steps:
        for key in ("text", "question", "reveal"):
            assert step[key].strip() in ours, key
        assert step["expect"] not in ours  # a claim is never shown
    lines = LESSON.read_text(encoding="utf-8").splitlines()
    for message, _context, path, line, comments in messages:  # each located on its own line, commented
        if path == "resources/lessons/1_memorizing.toml":
            assert message[:30] in lines[line - 1], (message, line)
            assert comments


def test_the_panel_shows_each_message_from_data_translated(qtbot, bracketed):
    from engine.core.config import load_preset
    from gui.panels.settings import SettingsPanel

    panel = SettingsPanel()
    qtbot.addWidget(panel)
    for key, label, widget in rows(panel):
        assert label.text().startswith("⟦") and label.text().endswith("⟧"), (key, label.text())
        assert label.toolTip().startswith("⟦"), key
        if isinstance(widget, QComboBox):
            assert all(widget.itemText(i).startswith("⟦") for i in range(widget.count())), key
    panel.set_config(load_preset("dropout"), "dropout")
    assert panel.preset_box.currentText() == shown("dropout")
    assert panel.description.text().startswith("⟦")
    panel.set_value("model.arch", "cnn")  # found by its value, shown translated
    assert panel.value("model.arch") == "cnn"
    assert panel.widgets["model.arch"].currentText() == shown("cnn")
    assert panel.config().model.arch == "cnn"


def test_a_lessons_texts_are_shown_translated_and_a_users_own_as_written(qtbot, bracketed, tmp_path):
    from engine.core.lesson_figures import fill_reveal
    from engine.core.lessons import read_lesson
    from gui.panels.lesson_panel import REVEALED, LessonPanel

    view = LessonPanel()
    qtbot.addWidget(view)
    lesson = read_lesson(LESSON)
    step = lesson.steps[0]
    figures = {"final_train": 0.9, "final_val": 0.7, "best_val": 0.75, "best_val_epoch": 3}
    view.show_step(lesson.title, 1, 2, step, REVEALED, fill_reveal(step.reveal, figures))
    assert view.title.text() == shown(lesson.title)
    assert view.text.text() == shown(step.text)
    assert view.question.text() == shown(step.question)
    # the template translated, then filled: the figures inside the brackets
    assert view.reveal.text().startswith("⟦So far: training accuracy 90.0 %") and view.reveal.text().endswith("⟧")

    own = tmp_path / "own.toml"
    own.write_text(LESSON.read_text(encoding="utf-8").replace("Memorizing", "My own lesson").replace(
        "Watch the two accuracy curves.", "Look at both curves."), encoding="utf-8")
    mine = read_lesson(own)
    view.show_step(mine.title, 1, 2, mine.steps[0], REVEALED, fill_reveal(mine.steps[0].reveal, figures))
    assert view.title.text() == "My own lesson"
    assert view.text.text() == mine.steps[0].text and "Look at both curves." in view.text.text()
