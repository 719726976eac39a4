"""Review 30's findings on lessons from the command line: locks hold in `curve` and `search`
and in a lesson's own sweeps, a deeply nested lesson file or claim is refused (not a
RecursionError), `==`/`!=` agree, and `lesson --check` sees identical NaN figures as equal."""

import subprocess
import sys
from pathlib import Path

import pytest

from engine.core.lesson_figures import ExpressionError, parse_expression

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "resources" / "lessons" / "1_memorizing.toml"


def cli(*args):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_curve_over_a_locked_setting_is_refused_naming_it_and_the_lesson(tmp_path):
    done = cli("curve", "--config", str(LESSON), "--over", "regularization.dropout=0.5", "--seeds", "1",
               "--out", str(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "regularization.dropout" in done.stderr and "Memorizing" in done.stderr
    assert not list(tmp_path.iterdir())  # nothing trained, no folder made


def test_search_of_a_lesson_whose_space_varies_a_locked_setting_is_refused(tmp_path):
    done = cli("search", "--config", str(LESSON), "--trials", "1", "--out", str(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "locks it" in done.stderr and "Memorizing" in done.stderr
    assert not list(tmp_path.iterdir())


def lesson_with(tmp_path, extra: str) -> Path:
    path = tmp_path / "own.toml"
    path.write_text(LESSON.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize("extra, key", [
    ('[curve]\nover = "regularization.dropout"\nvalues = [0.0, 0.5]\nseeds = 1\n', "curve.over"),
    ('[search.params."regularization.weight_decay"]\nlow = 1e-5\nhigh = 1e-2\nlog = true\n',
     "search.params.regularization.weight_decay")])
def test_a_lessons_own_sweep_over_a_locked_setting_is_refused_at_its_line(tmp_path, extra, key):
    path = lesson_with(tmp_path, extra)
    done = cli("lesson", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert key in done.stderr and "line" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["lesson"], ["train", "--config"]])
def test_a_lesson_file_nested_too_deeply_is_refused_naming_the_file(tmp_path, command):
    path = tmp_path / "deep.toml"
    path.write_text(LESSON.read_text(encoding="utf-8") + "\n[extra]\nx = " + "[" * 3000 + "]" * 3000 + "\n",
                    encoding="utf-8")
    done = cli(*command, str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    assert str(path) in done.stderr


def test_a_claim_nested_too_deeply_is_refused_naming_its_step(tmp_path):
    text = LESSON.read_text(encoding="utf-8").replace('expect = "final_val > 0.5"',
                                                       'expect = "' + "not " * 40 + 'final_val > 0.5"')
    path = tmp_path / "deep_claim.toml"
    path.write_text(text, encoding="utf-8")
    done = cli("lesson", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "lesson.step[1].expect" in done.stderr and "nested" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("claim", ["(" * 3000 + "final_val" + ")" * 3000 + " < 1", "not " * 3000 + "final_val < 1",
                                   "-" * 5000 + "final_val < 1", "(" * 200 + "final_val" + ")" * 200 + " < 1"])
def test_deep_claims_are_refused_as_claims(claim):
    with pytest.raises(ExpressionError):
        parse_expression(claim)


def test_equal_and_not_equal_never_both_hold():
    claim = parse_expression("final_val == final_val + 1e-13 and final_val != final_val + 1e-13")
    assert not claim.holds({"final_val": 0.5})
    assert parse_expression("final_val != final_val + 0.01").holds({"final_val": 0.5})


def test_the_rerun_comparison_sees_identical_nan_figures_as_the_same():
    from engine.experiments.lesson_check import metrics_differ

    run = [{"epoch": 1, "val_loss": float("nan"), "val_accuracy": 0.5}]
    assert metrics_differ(run, [dict(run[0])]) == ""  # NaN != NaN, yet the runs agree bit for bit
    assert "val_loss" in metrics_differ(run, [dict(run[0], val_loss=1.0)])
    assert "val_accuracy" in metrics_differ(run, [dict(run[0], val_accuracy=0.5 + 1e-16)])
