"""The Evaluation tab's gallery title for toy data (2-D points, not images) is one pattern in
the window's language, not a translated sentence glued to the title with an English ". "."""

from __future__ import annotations

from engine.core import i18n
from gui.window import language
from tests.gui import visible_texts as vt
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

catalogs = vt.catalogs()


def outside_brackets(text: str) -> str:
    """What the pseudo-locale's ⟦…⟧ do not enclose: text no single message holds."""
    depth, out = 0, []
    for ch in text:
        depth += (ch == "⟦") - (ch == "⟧")
        if depth == 0 and ch not in "⟦⟧":
            out.append(ch)
    return "".join(out).strip()


def test_a_toy_runs_gallery_title_is_one_message(qtbot, qapp, request, tmp_path, monkeypatch):
    monkeypatch.setattr(catalogs, "TEMPLATE", tmp_path / "no.pot")  # what the code marks now
    catalogs.pseudo(tmp_path / "locale")
    monkeypatch.setenv(i18n.EXTRA_LOCALES_ENV, str(tmp_path / "locale"))
    assert language.install(qapp, catalogs.PSEUDO) == catalogs.PSEUDO
    window = request.getfixturevalue("window")  # built after the language, as at start
    window.settings_panel.set_config(tiny_config({"data.dataset": "spirals", "data.train_size": 64,
                                                  "data.val_size": 64, "optim.epochs": 2}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        window.start_run()
    with qtbot.waitSignal(window.test_shown, timeout=RUN_TIMEOUT) as shown:
        window.actions["validate"].trigger()
    assert shown.args[0].errors and not shown.args[0].image_data
    title = window.evaluation.gallery_title.text()
    assert catalogs.pseudo_text("2-D points, not images")[1:-1].split("·")[0] in title, title
    assert title.startswith("⟦") and not outside_brackets(title), title
