"""An evaluation after a plan of several runs names the run whose weights it evaluated."""

from tests.helpers import tiny_config


def test_a_test_evaluation_after_a_plan_names_its_last_run(qtbot, window, monkeypatch):
    monkeypatch.setattr("gui.dialogs.confirm", lambda *a: True)
    assert window.start_run(tiny_config({"optim.epochs": 1}), plan=[{"run.name": "first"}, {"run.name": "second"}])
    qtbot.waitUntil(lambda: window.actions["test"].isEnabled(), timeout=60_000)
    with qtbot.waitSignal(window.test_shown, timeout=60_000):
        window.actions["test"].trigger()
    headline = window.evaluation.headline.text()
    assert "second:" in headline and "first" not in headline
