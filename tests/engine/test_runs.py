import json

import pytest
import torch

from engine.core import events as ev
from engine.nets.models import build_model
from engine.runs.reader import INCOMPLETE, read_run
from engine.runs.weights import WeightsError, load_weights, save_weights
from tests.helpers import recorded_trainer, tiny_config


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    # no later epoch improves on the first by 100: the best weights (epoch 1) differ from the last
    config = tiny_config({"optim.epochs": 3, "regularization.min_delta": 100.0})
    trainer, writer = recorded_trainer(config, tmp_path_factory.mktemp("runs"))
    trainer.fit()
    trainer.evaluate_test()
    return trainer, writer.path


def test_run_folder_round_trip(finished_run):
    trainer, run_dir = finished_run
    result = trainer.result
    run = read_run(run_dir)
    assert run.complete and run.status == ev.COMPLETED
    assert run.config == trainer.config.to_dict()
    assert [e["epoch"] for e in run.epochs] == [1, 2, 3]
    assert run.epochs[-1]["val_loss"] == pytest.approx(trainer.history[-1].val_loss)
    assert run.summary["best_epoch"] == result.best_epoch
    assert run.summary["test"]["accuracy"] == trainer.test_result.accuracy
    assert run.summary["versions"]["torch"] == torch.__version__
    assert {"RunStarted", "RunFinished", "Evaluated"} <= {e["event"] for e in run.events}
    assert run.skipped_lines == 0


def test_weights_reload_into_a_fresh_model(finished_run):
    trainer, run_dir = finished_run
    fresh = build_model(trainer.config.model, trainer.data.input_shape, 10, 0.0)
    assert trainer.result.best_epoch == 1
    for kind, saved in (("last", trainer.last_weights), ("best", trainer.tracker.best_weights)):
        load_weights(fresh, f"{run_dir}/{kind}.safetensors")
        loaded = fresh.state_dict()
        assert loaded.keys() == saved.keys()
        for k, v in saved.items():
            assert torch.equal(loaded[k], v), f"{kind}: {k}"


def test_no_pickle_in_the_run_folder(finished_run):
    _, run_dir = finished_run
    from pathlib import Path

    names = sorted(p.name for p in Path(run_dir).iterdir())
    assert names == ["best.safetensors", "config.json", "dynamics", "last.safetensors", "metrics.jsonl",
                     "summary.json"]
    dynamics = sorted(p.suffix for p in (Path(run_dir) / "dynamics").iterdir())
    assert set(dynamics) == {".safetensors"}  # per-example dynamics: safetensors too, never pickle


def test_a_truncated_metrics_file_loads_and_a_crashed_run_reads_incomplete(finished_run, tmp_path, dead_pid):
    _, run_dir = finished_run
    import shutil

    crashed = tmp_path / "crashed"
    shutil.copytree(run_dir, crashed)
    text = (crashed / "metrics.jsonl").read_text()
    (crashed / "metrics.jsonl").write_text(text[: len(text) - 40])  # cut mid-line
    summary = json.loads((crashed / "summary.json").read_text())
    summary["status"] = "running"  # as written at the start, before a crash
    summary["pid"] = dead_pid  # the writer is gone
    (crashed / "summary.json").write_text(json.dumps(summary))
    run = read_run(crashed)
    assert run.skipped_lines == 1
    assert run.status == INCOMPLETE and not run.complete
    assert len(run.epochs) == 3


def test_non_safetensors_file_is_refused(tmp_path):
    cfg = tiny_config()
    model = build_model(cfg.model, (1, 28, 28), 10, 0.0)
    fake = tmp_path / "weights.safetensors"
    fake.write_bytes(b"\x80\x04\x95 this is a pickle, not safetensors")
    with pytest.raises(WeightsError, match="weights.safetensors: not a safetensors weights file"):
        load_weights(model, fake)
    with pytest.raises(WeightsError, match="not found"):
        load_weights(model, tmp_path / "absent.safetensors")


def test_mismatched_weights_name_the_keys(tmp_path):
    cfg = tiny_config()
    small = build_model(cfg.model, (1, 28, 28), 10, 0.0)
    wide = build_model(tiny_config({"model.width": 64}).model, (1, 28, 28), 10, 0.0)
    deep = build_model(tiny_config({"model.depth": 3}).model, (1, 28, 28), 10, 0.0)
    save_weights(wide.state_dict(), tmp_path / "wide.safetensors")
    with pytest.raises(WeightsError, match=r"shape mismatches: net.body.fc1.weight: file \(64, 784\), model \(32, 784\)"):
        load_weights(small, tmp_path / "wide.safetensors")
    save_weights(deep.state_dict(), tmp_path / "deep.safetensors")
    with pytest.raises(WeightsError, match=r"unexpected keys: net.body.fc3.bias, net.body.fc3.weight"):
        load_weights(small, tmp_path / "deep.safetensors")
