"""A run the app did not train — written by a script through the logger (summary "source":
"script") or imported from TensorBoard ("source": "tensorboard") — is not the app's to train
again: in the Runs dock Open settings and Twin… are off, saying why; in the Examples tab Train
without the suspects… is off, saying why, and the tab does not point a script at
data.label_noise; the settings panel following such a run names it instead of the preset's
text. A script killed mid-run keeps its epochs and best validation accuracy in the dock.

Real runs: a logger script in a subprocess (import overfit_lab as ol), a TensorBoard folder
written by SummaryWriter and imported by `main.py import-tensorboard`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex

from gui.panels.runs_browser import BEST, EPOCHS, PATH_ROLE, RUN
from tests.gui.conftest import RUN_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = textwrap.dedent("""
    import sys, time
    import torch
    import overfit_lab as ol

    torch.set_num_threads(1)
    runs_dir, name, epochs, rest = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    torch.manual_seed(0)
    x, y = torch.randn(48, 6), torch.randint(0, 3, (48,))
    train = torch.utils.data.DataLoader(ol.Indexed(torch.utils.data.TensorDataset(x, y)), batch_size=16, shuffle=True)
    model = torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    run = ol.init(name, runs_dir=runs_dir)
    ol.watch(model, optimizer)
    for epoch in range(epochs):
        for xb, yb, index in train:
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.batch(loss=loss, logits=logits, targets=yb, index=index)
        run.epoch(val_loss=1.0 + 0.05 * epoch, val_accuracy=0.4 + 0.01 * epoch)
        time.sleep(rest)
    run.finish()
""")
SCRIPT_WHY = "written by a script: its network and data are the script's"


def run_script(tmp: Path, runs: Path, name: str, epochs: int, rest: float = 0.0) -> subprocess.Popen:
    script = tmp / "train_script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    return subprocess.Popen([sys.executable, str(script), str(runs), name, str(epochs), str(rest)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A finished script run, a script run killed with SIGKILL after 3 epochs, and a TensorBoard import."""
    tmp = tmp_path_factory.mktemp("foreign")
    runs = tmp / "runs"
    done = run_script(tmp, runs, "scripted", 8)
    out, _ = done.communicate(timeout=120)
    assert done.returncode == 0, out.decode(errors="replace")
    killed = run_script(tmp, runs, "killed", 500, rest=0.05)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            lines = [m.read_text(encoding="utf-8").count('"type": "epoch"') for m in runs.glob("*-killed-*/metrics.jsonl")]
            if lines and lines[0] >= 3:
                break
            time.sleep(0.05)
        os.kill(killed.pid, signal.SIGKILL)
    finally:
        killed.kill()
        killed.wait(30)
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp / "tb" / "version_0"))
    for epoch in range(5):
        writer.add_scalar("train_loss", 1.0 - 0.1 * epoch, epoch)
        writer.add_scalar("val_loss", 1.1 - 0.05 * epoch, epoch)
        writer.add_scalar("train_acc", 0.5 + 0.1 * epoch, epoch)
        writer.add_scalar("val_acc", 0.5 + 0.05 * epoch, epoch)
    writer.close()
    imported = subprocess.run([sys.executable, str(ROOT / "main.py"), "import-tensorboard", str(tmp / "tb"),
                               "--out", str(runs)], capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    return runs


def folder(runs: Path, name: str) -> Path:
    found = [p for p in runs.iterdir() if p.is_dir() and name in p.name]
    assert len(found) == 1, sorted(p.name for p in runs.iterdir())
    return found[0]


@pytest.fixture
def shown(made, window, qtbot):
    """The made runs copied into the window's runs folder, listed after Refresh."""
    runs = window.runs_dir
    runs.mkdir(parents=True, exist_ok=True)
    for run in made.iterdir():
        if run.is_dir():
            shutil.copytree(run, runs / run.name)
    browser = window.runs_dock.browser
    browser.actions_by_name["refresh"].trigger()
    qtbot.waitUntil(lambda: index_of(browser, folder(runs, "killed")) is not None, timeout=RUN_TIMEOUT)
    return runs


def index_of(browser, path: Path, parent=None):
    parent = parent or QModelIndex()
    for r in range(browser.proxy.rowCount(parent)):
        index = browser.proxy.index(r, RUN, parent)
        if index.data(PATH_ROLE) == path:
            return index
    return None


def click(browser, path: Path) -> None:
    """Select the run's row, as a click does."""
    index = index_of(browser, path)
    selection = QItemSelection(index, index)
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    browser.tree.selectionModel().select(selection, flags)


@pytest.mark.parametrize("name, why", [("scripted", SCRIPT_WHY),
                                       ("version_0", "imported from TensorBoard: its network and data are")])
def test_open_settings_and_twin_are_off_for_a_run_the_app_did_not_train(window, shown, qtbot, name, why):
    browser = window.runs_dock.browser
    click(browser, folder(shown, name))
    for action in ("open", "twin"):
        assert not browser.actions_by_name[action].isEnabled(), action
        assert why in browser.actions_by_name[action].toolTip(), action
    before = sorted(p.name for p in shown.iterdir())
    for action in ("open", "twin"):  # (a disabled action does nothing when triggered)
        browser.actions_by_name[action].trigger()
    qtbot.wait(200)
    assert sorted(p.name for p in shown.iterdir()) == before  # no twin's folder
    assert window.state == "idle"
    click(browser, folder(shown, "killed"))  # any script run, however it ended
    assert not browser.actions_by_name["twin"].isEnabled()


def test_open_settings_of_a_scripts_run_is_refused_with_the_reason(window, shown, qtbot):
    """Asked for anyway (the dock's signal, as a menu would send it): nothing loads, the status says why."""
    dataset = window.settings_panel.value("data.dataset")
    window.runs_dock.browser.open_requested.emit(folder(shown, "scripted"))
    assert window.settings_panel.value("data.dataset") == dataset  # (not the script's "python", with no file)
    assert "written by a script through the logger" in window.status.label.text()


def test_examples_tab_train_without_the_suspects_is_off_for_a_scripts_run(window, shown, qtbot):
    view = window.examples_view
    window.examples.open_folder(folder(shown, "scripted"))
    qtbot.waitUntil(lambda: view.tally is not None and len(view.tally.epochs) == 8, timeout=RUN_TIMEOUT)
    qtbot.wait(100)
    assert not view.train_button.isEnabled()
    assert SCRIPT_WHY in view.train_button.toolTip()
    note = view.quality_note.text()
    assert "label_noise" not in note and "unknown to the app" in note


def test_the_settings_panel_names_a_followed_scripts_run_not_the_preset(window, shown, qtbot):
    panel, path = window.settings_panel, folder(shown, "scripted")
    preset_text = panel.description.text()
    browser = window.runs_dock.browser
    browser.tree.doubleClicked.emit(index_of(browser, path))  # (as a double-click on its row)
    qtbot.waitUntil(lambda: window.followed.path == path, timeout=RUN_TIMEOUT)
    text = panel.description.text()
    assert text != preset_text and "trained by a script" in text and "scripted" in text


def test_a_killed_scripts_run_keeps_its_epochs_and_best_val_in_the_dock(window, shown):
    browser, path = window.runs_dock.browser, folder(shown, "killed")
    epochs = index_of(browser, path).siblingAtColumn(EPOCHS).data()
    assert epochs != "–" and int(epochs) >= 3
    assert index_of(browser, path).siblingAtColumn(BEST).data().endswith("%")


def test_compare_with_a_scripts_run_is_refused_saying_why(window, shown, qtbot, monkeypatch):
    """Experiments ▸ Compare with… and a script's run chosen in its folder dialog: no twin trains."""
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(folder(shown, "scripted")))
    before = sorted(p.name for p in shown.iterdir())
    window.menu_actions["Compare with… (a twin of a run, with the panel's changes)"].trigger()
    qtbot.waitUntil(lambda: window.experiments.notice is not None, timeout=RUN_TIMEOUT)
    assert "written by a script through the logger" in window.experiments.notice.text()
    qtbot.wait(300)
    assert window.state == "idle" and sorted(p.name for p in shown.iterdir()) == before
