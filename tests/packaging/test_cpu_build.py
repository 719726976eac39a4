"""The Linux bundle trains on the CPU: asking it for the GPU says why it can't, and which
setting to change, instead of failing deep inside cuDNN."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def train(tmp_path: Path, *sets: str, cpu_build: bool) -> subprocess.CompletedProcess:
    # As packaging/rthook_cpu_only.py sets them in the bundle.
    env = dict(os.environ, OVERFIT_LAB_CPU_BUILD="1", CUDA_VISIBLE_DEVICES="") if cpu_build else dict(os.environ)
    if not cpu_build:
        env.pop("OVERFIT_LAB_CPU_BUILD", None)
    args = [sys.executable, str(ROOT / "main.py"), "train", "--preset", "toy_spirals", "--out", str(tmp_path)]
    for s in ("optim.epochs=1", *sets):
        args += ["--set", s]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)


def test_the_cpu_build_refuses_cuda_naming_the_setting(tmp_path):
    proc = train(tmp_path, "run.device=cuda", cpu_build=True)
    assert proc.returncode != 0
    assert "run.device" in proc.stderr and "trains on the CPU" in proc.stderr and "pip" in proc.stderr


def test_the_cpu_build_trains_with_device_auto(tmp_path):
    proc = train(tmp_path, cpu_build=True)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.rglob("summary.json"))
