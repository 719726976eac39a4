"""How a run or an experiment ended reaches the window in its language: the Experiment tab's
headline names a run left out of the ranking by its state word (not the summary's code, "user
stopped"), and the status line says each way an experiment can end as a whole sentence. In the
pseudo-locale (every message accented and bracketed ⟦…⟧, made from what the code marks now) no
unaccented English word is left."""

from __future__ import annotations

import re

import pytest

from engine.core import events as ev
from engine.core import i18n
from engine.experiments.experiment import run_single
from gui.window import language
from tests.gui import visible_texts as vt
from tests.gui.test_experiment_tab import _rewrite_end, _show_in_the_dock
from tests.helpers import tiny_config

catalogs = vt.catalogs()


@pytest.fixture
def pseudo(qapp, tmp_path, monkeypatch):
    monkeypatch.setattr(catalogs, "TEMPLATE", tmp_path / "no.pot")  # what the code marks now
    catalogs.pseudo(tmp_path / "locale")
    monkeypatch.setenv(i18n.EXTRA_LOCALES_ENV, str(tmp_path / "locale"))
    assert language.install(qapp, catalogs.PSEUDO) == catalogs.PSEUDO


def english_words(text: str, names: tuple[str, ...] = ()) -> list[str]:
    """Unaccented words: every letter of the pseudo-locale is accented, so these came from no
    catalog (paths, tags and the runs' own names aside)."""
    for name in names:
        text = text.replace(name, " ")
    return re.findall(r"[A-Za-z]{3,}", re.sub(r"<[^>]*>|\S*[/\\]\S*", " ", text))


def test_a_run_left_out_of_the_ranking_is_named_by_its_state_word(qtbot, pseudo, window):
    runs = [run_single(tiny_config({"run.name": name, "optim.epochs": 3}), runs_dir=window.runs_dir).run_dir
            for name in ("overfit", "dropout", "third")]
    _rewrite_end(runs[2], reason="user_stopped")
    _show_in_the_dock(window, *runs)
    view = window.experiment_view
    not_ranked = i18n._("Not ranked, they did not train to their end: {runs}").split("{runs}")[0]
    qtbot.waitUntil(lambda: not_ranked in view.title.text(), timeout=30_000)
    caveat = view.title.text().split(not_ranked, 1)[1]
    assert catalogs.pseudo_text("stopped") in caveat, caveat
    assert not english_words(caveat, names=("third",)), caveat


@pytest.mark.parametrize("reason", ev.REASONS)
def test_each_way_an_experiment_ends_is_said_in_the_language(qtbot, pseudo, window, reason):
    window.router.dispatch(ev.ExperimentFinished(reason=reason, message=i18n._("stopped by request"),
                                                 trials_completed=1, experiment_dir=str(window.runs_dir / "exp")))
    said = window.status.label.text()
    assert said.startswith("⟦") and not english_words(said), said
