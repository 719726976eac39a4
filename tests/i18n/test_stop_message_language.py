"""A run ended to go on with its plan (Experiments ▸ Next run of the plan) says so in the
window's language: who asked is part of the translated message, not English inside it."""

from __future__ import annotations

import re

import catalogs

from engine.core import events as ev
from engine.core import i18n
from engine.core.control import RunControl
from engine.experiments.experiment import Experiment
from engine.experiments.plans import curve_plan
from tests.engine.test_next_run import EndFirstRun
from tests.helpers import tiny_config


def test_a_run_ended_for_the_next_one_of_its_plan_says_who_asked_in_the_language(tmp_path, monkeypatch):
    monkeypatch.setattr(catalogs, "TEMPLATE", tmp_path / "no.pot")  # what the code marks now
    catalogs.pseudo(tmp_path / "locale")
    monkeypatch.setenv(i18n.EXTRA_LOCALES_ENV, str(tmp_path / "locale"))
    assert i18n.set_language(catalogs.PSEUDO) == catalogs.PSEUDO
    control = RunControl()
    experiment = Experiment(tiny_config({"optim.epochs": 3}), curve_plan("data.train_size", [128, 192], [0]),
                            control=control, subscribers=[EndFirstRun(control)], runs_dir=tmp_path / "runs",
                            kind="curve", meta={"over": "data.train_size"})
    first = experiment.run().trials[0].result
    assert first.reason == ev.USER_STOPPED
    assert catalogs.pseudo_text("the user, ended to go on with the plan") in first.message, first.message
    # Every letter of the pseudo-locale is accented: an English word came from no catalog.
    assert not re.findall(r"[A-Za-z]{3,}", first.message), first.message
