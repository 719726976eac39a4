"""Evaluation outside the loop: any model, any split, any run folder."""

import json

import numpy as np
import pytest
import torch

from engine.core import events as ev
from engine.experiments.experiment import run_single
from engine.runs.stored import evaluate_folder, open_run
from engine.runs.weights import WeightsError
from engine.training.evaluate import Evaluation, EvaluationStopped, evaluate
from engine.training.reports import classification_report
from tests.helpers import tiny_config


def test_report_matches_a_hand_count():
    y = torch.tensor([0, 0, 1, 1, 1, 2])
    # Confidences chosen by hand: the predicted class (argmax) and how sure it was.
    probs = torch.tensor([[0.9, 0.05, 0.05], [0.3, 0.6, 0.1], [0.1, 0.8, 0.1],
                          [0.2, 0.7, 0.1], [0.1, 0.35, 0.55], [0.05, 0.05, 0.9]])
    r = classification_report(Evaluation(0.5, 4 / 6, probs), y, ["a", "b", "c"], "val", "best")
    assert r.split == "val" and r.examples == 6
    assert r.confusion_matrix == [[1, 1, 0], [0, 2, 1], [0, 0, 1]]
    assert r.precision == pytest.approx([1.0, 2 / 3, 0.5])
    assert r.recall == pytest.approx([0.5, 2 / 3, 1.0])
    assert r.support == [2, 3, 1]
    f1 = [2 * p * q / (p + q) for p, q in zip(r.precision, r.recall, strict=True)]
    assert r.f1 == pytest.approx(f1) and r.macro_f1 == pytest.approx(np.mean(f1))
    assert r.most_confused() == [("a", "b", 1), ("b", "c", 1)]
    # ECE by hand, 15 equal bins of confidence: sum over bins of |accuracy - confidence| x share.
    conf, hit = probs.max(1).values.numpy(), (probs.argmax(1) == y).numpy()
    bins = np.minimum((conf * 15).astype(int), 14)
    ece = sum(abs(hit[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean()
              for b in np.unique(bins))
    assert r.ece == pytest.approx(ece, abs=1e-6)
    # The reliability diagram's points are those bins: their ECE is the same number.
    assert sum(n for _, _, n in r.reliability) == 6
    assert sum(abs(acc - c) * n / 6 for c, acc, n in r.reliability) == pytest.approx(ece, abs=1e-6)
    # Precision-recall curves, one-vs-rest: at a threshold of 0.5 on class b's probability,
    # three examples pass (rows 2, 3 and 4 of 6 have p_b >= 0.5: 0.6, 0.8, 0.7) — all three
    # are b except the first (true a): precision 2/3; recall 2 of the 3 b examples.
    precision, recall = r.pr_curves[1]
    thresholds = np.linspace(0, 1, 20)
    at = int(np.argmin(np.abs(thresholds - 0.5263)))  # the first threshold above 0.5
    assert precision[at] == pytest.approx(2 / 3) and recall[at] == pytest.approx(2 / 3)
    assert recall[0] == pytest.approx(1.0)


def test_evaluate_agrees_with_a_direct_forward_pass_and_can_be_stopped():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    x, y = torch.randn(1200, 4), torch.randint(0, 3, (1200,))
    result = evaluate(model, x, y)
    logits = model(x)
    assert result.loss == pytest.approx(torch.nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
    assert torch.equal(result.predictions, logits.argmax(1))
    assert torch.allclose(result.probabilities, torch.softmax(logits, 1))
    calls = []
    with pytest.raises(EvaluationStopped):
        evaluate(model, x, y, between_chunks=lambda: calls.append(1) or len(calls) == 2)
    assert len(calls) == 2 and model.training  # the mode it had is put back


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    trial = run_single(tiny_config({"optim.epochs": 2}), runs_dir=tmp_path_factory.mktemp("runs"))
    return trial


def test_a_run_folder_rebuilds_the_model_that_was_trained(run_folder):
    stored = open_run(run_folder.run_dir, "last")
    trainer = run_folder.trainer
    for k, v in trainer.last_weights.items():
        assert torch.equal(stored.model.state_dict()[k], v)
    assert torch.equal(stored.data.val_y, trainer.data.val_y)  # the same splits, from the seed
    again = evaluate(stored.model, stored.data.val_x, stored.data.val_y)
    assert again.accuracy == pytest.approx(trainer.history[-1].val_accuracy)


def test_a_folder_is_evaluated_on_the_test_split_once(run_folder, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(run_folder.run_dir, folder)
    first, new = evaluate_folder(folder, "test")
    assert new and sum(first.support) == 10_000 and first.weights == "best"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["test"]["accuracy"] == first.accuracy
    before = (folder / "metrics.jsonl").read_text()
    second, new = evaluate_folder(folder, "test")
    assert not new and second == first  # the recorded result, not a second look
    assert (folder / "metrics.jsonl").read_text() == before


def test_bad_folders_are_named_and_left_unchanged(run_folder, tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        open_run(tmp_path)
    import shutil

    folder = tmp_path / "wider"
    shutil.copytree(run_folder.run_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["model"]["width"] = 64
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match=r"shape mismatches: net.body.fc1.weight"):
        open_run(folder)
    empty = tmp_path / "cut"
    shutil.copytree(run_folder.run_dir, empty)
    for name in ("best.safetensors", "last.safetensors"):
        (empty / name).unlink()
    with pytest.raises(FileNotFoundError, match="no last weights saved"):
        evaluate_folder(empty, "test")
    assert "test" not in json.loads((empty / "summary.json").read_text())


def test_the_test_split_is_not_read_by_training():
    trial = run_single(tiny_config({"optim.epochs": 2}))
    assert trial.result.reason == ev.COMPLETED and trial.trainer.data.test.accesses == []
    trial.trainer.evaluate_test()  # the one opening on purpose is recorded
    assert len(trial.trainer.data.test.accesses) == 1


def test_validation_is_evaluated_as_often_as_wanted_with_the_weights_asked_for(run_folder, tmp_path):
    import shutil

    folder = tmp_path / "val"
    shutil.copytree(run_folder.run_dir, folder)
    best, new = evaluate_folder(folder, "val", "best")
    last, again = evaluate_folder(folder, "val", "last")
    assert new and again and best.split == last.split == "val"
    assert last.accuracy == pytest.approx(run_folder.trainer.history[-1].val_accuracy)
    assert best.examples == last.examples == 256
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["validation"]["weights"] == "last" and "test" not in summary
    (folder / "best.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"best.safetensors: no best weights saved \(this run has: last\)"):
        evaluate_folder(folder, "val", "best")


def test_errors_are_listed_most_confident_first_and_thumbnails_are_the_pixels(run_folder):
    trainer = run_folder.trainer
    from engine.data.thumbnails import thumbnails
    from engine.training.evaluate import evaluate
    from engine.training.reports import confident_errors

    result = evaluate(trainer.model, trainer.data.val_x, trainer.data.val_y)
    errors = confident_errors(result, trainer.data.val_y)
    wrong = int((result.predictions != trainer.data.val_y).sum())
    assert len(errors) == min(wrong, 500) and wrong > 0
    confidences = [e[3] for e in errors]
    assert confidences == sorted(confidences, reverse=True)
    index, true, predicted, conf = errors[0]
    assert true == int(trainer.data.val_y[index]) and predicted != true
    assert conf == pytest.approx(float(result.probabilities[index].max()))
    t = thumbnails(trainer.data, "val", [index, errors[1][0]])
    assert t.shape == (28, 28, 1) and len(t.pixels) == 2
    expected = (trainer.data.val_x[index, 0] * 255).round().to(torch.uint8).numpy().tobytes()
    assert t.pixels[0] == expected


def test_toy_errors_carry_their_points():
    from engine.experiments.experiment import run_single
    from engine.training.reports import evaluate_split

    trial = run_single(tiny_config({"data.dataset": "moons", "data.train_size": 64, "data.val_size": 64,
                                    "data.test_size": 32, "optim.epochs": 1}))
    d = trial.trainer.data
    report = evaluate_split(trial.trainer.model, d, "val", "last")
    assert not report.image_data and len(report.error_points) == len(report.errors) > 0
    for (index, *_), point in zip(report.errors, report.error_points, strict=True):
        assert point == pytest.approx(d.val_x[index].tolist())
