"""Loading libtorch ahead of `import torch`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine import native

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="libtorch.so is Linux's")


@linux_only
def test_finds_libtorch_inside_the_installed_torch_package():
    path = native.torch_library()
    torch_dir = Path(importlib.util.find_spec("torch").submodule_search_locations[0])
    assert path == torch_dir / "lib" / "libtorch.so" and path.is_file()


@linux_only
def test_preload_maps_libtorch_without_importing_torch_and_torch_then_imports():
    # A fresh interpreter: this one has long imported torch.
    code = textwrap.dedent("""
        import sys
        from engine import native
        thread = native.preload_in_background()
        assert native.preload_in_background() is thread  # once
        thread.join(60)
        maps = open("/proc/self/maps").read()
        print("torch" in sys.modules, "/libtorch.so" in maps, "/libtorch_cpu.so" in maps)
        import torch
        print(float(torch.ones(3).sum()))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True", "3.0"]


def test_nothing_to_preload_without_torch(monkeypatch):
    monkeypatch.setattr(native, "_thread", None)
    monkeypatch.setattr(native.importlib.util, "find_spec", lambda name: None)
    assert native.torch_library() is None
    assert native.preload_in_background() is None


@linux_only
def test_a_library_that_fails_to_load_is_left_to_torchs_import(tmp_path):
    broken = tmp_path / "libtorch.so"
    broken.write_bytes(b"not an ELF file")
    assert native._load(broken) is None  # no exception: `import torch` reports a broken install
    assert str(broken) not in Path("/proc/self/maps").read_text()
