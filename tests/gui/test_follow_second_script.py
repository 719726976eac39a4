"""A second script's run followed after the first: its per-layer norm plots fill as the first's
did (a new user saw them stay empty from the second followed run on)."""

from __future__ import annotations

from tests.gui.conftest import RUN_TIMEOUT
from tests.gui.test_follow_script_run import epochs_shown, followed, script  # noqa: F401  (fixture)


def test_the_second_scripts_run_draws_its_layer_norms(qtbot, window, script, tmp_path):  # noqa: F811
    runs = window.runs_dir
    first = script(runs, epochs=6, rest=0.03)
    followed(qtbot, window, first)
    first_path = window.followed.path
    first.wait(120)
    qtbot.waitUntil(lambda: window.state == "idle", timeout=RUN_TIMEOUT)
    assert window.plots.layer_series["0"].n >= 2

    # picked up between ol.init and its first batch (its data loading, say), as a user's script is
    go = tmp_path / "go"
    second = script(runs, epochs=400, first_batch_after=go)
    qtbot.waitUntil(lambda: window.followed.path not in (None, first_path), timeout=RUN_TIMEOUT)
    path = window.followed.path
    go.touch()
    seen = epochs_shown(window)
    qtbot.waitUntil(lambda: epochs_shown(window) >= seen + 3, timeout=RUN_TIMEOUT)
    assert window.followed.path == path  # still the second run
    assert list(window.plots.layer_series) == ["0", "2"]
    assert window.plots.layer_series["0"].n >= 3 and window.plots.grad_series["2"].n >= 3
    window.actions["stop"].trigger()
    second.wait(60)
    qtbot.waitUntil(lambda: window.state == "idle", timeout=RUN_TIMEOUT)
