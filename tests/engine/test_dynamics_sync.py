"""A run folder is made durable once, at the run's end, not every epoch: an fsync costs
milliseconds on the engine thread, a real share of a short epoch. Every epoch is still
written whole (temporary file + rename); the end syncs the examples file, the last epoch
written and the metrics, however the run ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.core import events as ev
from engine.core.control import RunControl
from engine.runs.dynamics import read_dynamics
from engine.training.callbacks import Callback
from tests.helpers import recorded_trainer, tiny_config

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell which file is synced")


@pytest.fixture
def synced(monkeypatch):
    """The paths os.fsync is called on, in order."""
    real, paths = os.fsync, []

    def counting(fd):
        paths.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return paths


class StopAfterEpoch(Callback):
    """A user's Stop as epoch `epoch` ends."""

    def __init__(self, control: RunControl, epoch: int):
        self.control, self.epoch = control, epoch

    def on_event(self, event):
        if isinstance(event, ev.EpochMetrics) and event.epoch == self.epoch:
            self.control.request_stop()


def fsyncs_of_a_run(tmp_path, synced, epochs: int, stop_after: int | None = None) -> tuple[list[str], Path]:
    control = RunControl()
    callbacks = [StopAfterEpoch(control, stop_after)] if stop_after else []
    trainer, writer = recorded_trainer(tiny_config({"optim.epochs": epochs}), tmp_path / f"runs{epochs}",
                                       control=control, callbacks=callbacks)
    synced.clear()
    trainer.fit()
    return list(synced), writer.path


def test_a_run_syncs_a_fixed_number_of_files_whatever_its_epochs(tmp_path, synced):
    short, _ = fsyncs_of_a_run(tmp_path, synced, 1)
    five, run = fsyncs_of_a_run(tmp_path, synced, 5)
    assert len(read_dynamics(run).epochs) == 5
    assert len(five) == len(short) <= 8  # O(1) a run: was 3 an epoch (two for the dynamics, one for metrics.jsonl)
    dynamics = [p for p in five if "/dynamics" in p]
    assert sorted(Path(p).name for p in dynamics) == ["dynamics", "epoch-0005.safetensors", "examples.safetensors"]
    assert str(run / "metrics.jsonl") in five


def test_a_stopped_run_syncs_the_last_epoch_it_wrote(tmp_path, synced):
    paths, run = fsyncs_of_a_run(tmp_path, synced, 6, stop_after=2)
    assert read_dynamics(run).epochs == [1, 2]
    assert str(run / "dynamics" / "epoch-0002.safetensors") in paths
    assert str(run / "dynamics" / "examples.safetensors") in paths
