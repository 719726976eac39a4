"""The README's "Your own training loop" examples run as shown: each ```python block of that
section, copied into a file and run in the dev environment, writes a run folder into the
default runs folder (here a temporary one: XDG_DATA_HOME) that the app's reader reads whole;
the TensorBoard one writes a log folder that the section's `main.py import-tensorboard` makes
run folders of."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.runs.reader import list_runs, read_run

ROOT = Path(__file__).resolve().parents[2]


def section_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.find("\n## Your own training loop")
    assert start >= 0, "README has no section 'Your own training loop'"
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)


def test_the_section_shows_the_three_ways():
    blocks = section_examples()
    joined = "\n".join(blocks)
    assert len(blocks) == 4
    assert "ol.init(" in joined and "LightningCallback" in joined and "HuggingFaceCallback" in joined
    assert "SummaryWriter(" in joined


@pytest.mark.parametrize("number", range(4))
def test_each_example_runs_as_shown(tmp_path, number):
    blocks = section_examples()
    if number >= len(blocks):
        pytest.fail(f"README's 'Your own training loop' has {len(blocks)} python examples, not {number + 1}")
    script = tmp_path / "example.py"
    script.write_text(blocks[number], encoding="utf-8")
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path / "home"),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path / ".", env=env,
                          capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stderr[-3000:]
    logdir = re.search(r'SummaryWriter\("([^"/]+)', blocks[number])
    if logdir:  # as the section says next: python main.py import-tensorboard LOGDIR
        imported = subprocess.run([sys.executable, str(ROOT / "main.py"), "import-tensorboard", logdir.group(1)],
                                  cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert imported.returncode == 0, imported.stderr[-3000:]
    runs = list_runs(tmp_path / "data" / "overfit-lab" / "runs")
    assert runs, f"no run folder in the default runs folder; output:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    for run in runs:
        record = read_run(run)
        assert record.status == "completed", (run, record.status, record.summary.get("message"))
        assert record.epochs and all("val_loss" in e for e in record.epochs)
        # the curves a user came for: no NaN in what the window and the Runs dock show
        assert all(math.isfinite(e["train_loss"]) and math.isfinite(e["val_loss"]) for e in record.epochs), \
            [(e["train_loss"], e["val_loss"]) for e in record.epochs]
