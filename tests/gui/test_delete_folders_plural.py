"""Deleting folders for good when the trash refused some: the question agrees with how many
could not be moved ("1 of the 2 folders … Delete it permanently?"), not with how many were
chosen; one folder alone is "The folder"."""

from __future__ import annotations

from PySide6.QtCore import QFile

from tests.gui.test_runs_browser import made, make_browser, runs_dir, select  # noqa: F401  (fixtures)


def test_the_second_question_agrees_with_the_folders_the_trash_refused(qtbot, made, runs_dir, monkeypatch):  # noqa: F811
    run, experiment = (runs_dir / p.name for p in made)
    refused = {str(run)}
    monkeypatch.setattr(QFile, "moveToTrash", staticmethod(lambda path: path not in refused))
    browser = make_browser(qtbot, runs_dir)
    asked = []
    monkeypatch.setattr(browser, "_confirm", lambda text: asked.append(text) or len(asked) == 1)
    select(browser, run, experiment)
    browser.delete_selected()
    assert len(asked) == 2 and asked[1].startswith("1 of the 2 folders could not be moved"), asked
    assert "Delete it permanently?" in asked[1] and run.name in asked[1] and experiment.name not in asked[1]

    refused.add(str(experiment))
    asked.clear()
    select(browser, run, experiment)
    browser.delete_selected()
    assert asked[1].startswith("2 of the 2 folders") and "Delete them permanently?" in asked[1], asked

    asked.clear()
    select(browser, run)
    browser.delete_selected()
    assert asked[1].startswith("The folder could not be moved") and "Delete it permanently?" in asked[1], asked
