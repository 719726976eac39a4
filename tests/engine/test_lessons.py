"""Lessons from the command line: each shipped lesson shows what it claims and reruns bit for bit,
a lesson trains as a settings file, its locks hold against --set, and bad lesson files are
refused naming the key and the line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core.lesson_figures import ExpressionError, parse_expression
from engine.core.lessons import shipped_lessons

ROOT = Path(__file__).resolve().parents[2]
TIMING = ("epoch_time", "samples_per_sec", "time", "wall_time")


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


TINY_LESSON = """\
schema_version = 1

[lesson]
title = "Tiny"
hide = ["data.dataset"]
lock = ["regularization.dropout", "model.width"]

[[lesson.step]]
text = "Two epochs of moons."
pause_at = 1
question = "Up or down?"
reveal = "Validation accuracy {final_val} at epoch {epoch}."
expect = "{expect}"

[[lesson.step]]
text = "The end."
reveal = "Best {best_val}."

[data]
dataset = "moons"
train_size = 120
val_size = 80
label_noise = {noise}

[model]
width = 16

[optim]
epochs = 2
batch_size = 40

[run]
device = "cpu"
"""


def lesson_file(tmp_path, expect="final_val >= 0", noise=0.2, text=None, name="tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(text if text is not None else TINY_LESSON.replace("{expect}", expect).replace(
        "{noise}", str(noise)), encoding="utf-8")
    return path


def epochs_of(run_dir: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows if r.get("type", "epoch") == "epoch"]


@pytest.mark.parametrize("lesson", shipped_lessons(), ids=lambda p: p.stem)
def test_each_shipped_lesson_holds_its_claims_and_reruns_bit_identically(lesson, tmp_path):
    assert len(shipped_lessons()) >= 4
    done = cli("lesson", str(lesson), "--check", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "DOES NOT HOLD" not in done.stdout and "every step holds" in done.stdout
    assert "the same metrics bit for bit" in done.stdout
    first, second = sorted(p for p in tmp_path.iterdir() if (p / "metrics.jsonl").is_file())
    assert epochs_of(first) == epochs_of(second) and len(epochs_of(first)) >= 2  # read back from the two folders


def test_a_lesson_is_a_settings_file_that_trains(tmp_path):
    done = cli("train", "--config", str(lesson_file(tmp_path)), "--out", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "config.json").read_text())["data"]["dataset"] == "moons"


@pytest.mark.parametrize("command", ["train", "lesson"])
def test_a_locked_setting_given_by_set_is_refused_naming_it_and_the_lesson(tmp_path, command):
    path, runs = str(lesson_file(tmp_path)), str(tmp_path / "runs")
    args = (["train", "--config", path] if command == "train" else ["lesson", path, "--check"]) + [
        "--set", "regularization.dropout=0.5", "--out", runs]
    done = cli(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "regularization.dropout" in done.stderr and "Tiny" in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())  # nothing trained


def test_a_setting_it_does_not_lock_may_be_set(tmp_path):
    done = cli("train", "--config", str(lesson_file(tmp_path)), "--set", "run.seed=3", "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr


def test_a_claim_that_does_not_hold_fails_the_check_naming_the_step(tmp_path):
    done = cli("lesson", str(lesson_file(tmp_path, expect="final_val > 1.5")), "--check")
    assert done.returncode == 1
    assert "step 1 (epoch 1): DOES NOT HOLD: final_val > 1.5" in done.stdout
    assert "rerun: the same metrics bit for bit" in done.stdout


def bad(tmp_path, old: str, new: str) -> str:
    text = TINY_LESSON.replace("{expect}", "final_val >= 0").replace("{noise}", "0.2")
    assert old in text
    done = cli("lesson", str(lesson_file(tmp_path, text=text.replace(old, new))))
    assert done.returncode == 2, done.stdout + done.stderr
    return done.stderr


@pytest.mark.parametrize("old, new, named", [
    ("width = 16", "widht = 16", "line 26: model.widht"),  # an unknown setting
    ("reveal = \"Best {best_val}.\"", "reveal = \"Best {best_vall}.\"", "line 17: lesson.step[2].reveal"),
    ("pause_at = 1", "pause_at = 3", "line 10: lesson.step[1].pause_at = 3"),  # past optim.epochs = 2
    ("\"model.width\"]", "\"model.widht\"]", "line 6: lesson.lock = 'model.widht'"),  # no such setting
    ("hide = [\"data.dataset\"]", "hide = [\"data.set\"]", "line 5: lesson.hide = 'data.set'"),
    ("label_noise = 0.2", "label_noise = 0.0\n", "line 13: lesson.step[1].expect"),  # fitted_wrong without noise
    ("question = \"Up or down?\"", "questoin = \"Up or down?\"", "line 11: lesson.step[1].questoin"),
])
def test_bad_lesson_files_are_refused_naming_the_key_and_the_line(tmp_path, old, new, named):
    if "label_noise = 0.0" in new:  # a claim on a figure the run cannot measure
        text = TINY_LESSON.replace("{expect}", "fitted_wrong > 0.5").replace("{noise}", "0.0")
        done = cli("lesson", str(lesson_file(tmp_path, text=text)))
        assert done.returncode == 2 and named in done.stderr and "label noise is off" in done.stderr, done.stderr
        return
    message = bad(tmp_path, old, new)
    assert named in message, message


def test_a_claim_is_read_not_run_as_python(tmp_path):
    marker = tmp_path / "ran"
    claim = f"__import__('pathlib').Path('{marker}').touch() or final_val > 0"
    done = cli("lesson", str(lesson_file(tmp_path, expect=claim)))
    assert done.returncode == 2 and "lesson.step[1].expect" in done.stderr, done.stderr
    assert not marker.exists()


@pytest.mark.parametrize("text, figures, holds", [
    ("final_val < best_val - 0.02", {"final_val": 0.6, "best_val": 0.7}, True),
    ("final_val < best_val - 0.02", {"final_val": 0.69, "best_val": 0.7}, False),
    ("0.1 < gap <= 0.5 and not fitted_wrong > 0.9", {"gap": 0.3, "fitted_wrong": 0.5}, True),
    ("(final_train - final_val) * 100 >= 30 or epoch == 1", {"final_train": 0.9, "final_val": 0.7, "epoch": 4}, False),
])
def test_the_claim_language(text, figures, holds):
    assert parse_expression(text).holds(figures) is holds


@pytest.mark.parametrize("text", ["final_val", "final_val <", "best_val.__class__ > 0", "open('x') > 0",
                                  "final_val < 0.5 0.3", "unknown > 0"])
def test_the_claim_language_refuses_what_is_not_a_claim(text):
    with pytest.raises(ExpressionError):
        parse_expression(text)


def test_a_lesson_written_for_settings_shaped_otherwise_says_all_that_differs(tmp_path):
    text = TINY_LESSON.replace("{expect}", "final_val >= 0").replace("{noise}", "0.2")
    text = text.replace("width = 16", "widht = 16\nlayers = 3").replace("[optim]", "[optimizer]")
    done = cli("lesson", str(lesson_file(tmp_path, text=text)))
    assert done.returncode == 2
    assert "line 26: model.widht" in done.stderr
    for said in ("model.widht (did you mean model.width?)", "model.layers (no such setting)",
                 "optimizer (no such section; did you mean [optim]?)"):
        assert said in done.stderr, done.stderr
