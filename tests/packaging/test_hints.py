"""The commands a hint names are ones the user can type in their installation: the
installed script (by its full path when it is not on PATH), a bundle's executable, or
`python main.py` in a checkout; and `--version` says which build this is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
posix = pytest.mark.skipif(os.name == "nt", reason="a POSIX virtual environment and PATH")


def installed_copy(tmp_path: Path, name: str = "env with space") -> Path:
    """A virtual environment with the engine's file helpers installed in its site-packages
    and an `overfit-lab-cli` script beside its Python, as pip leaves them."""
    env = tmp_path / name
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "engine" / "core").mkdir(parents=True)
    (site / "engine" / "__init__.py").write_text("")
    (site / "engine" / "core" / "__init__.py").write_text("")
    shutil.copy(ROOT / "engine" / "core" / "files.py", site / "engine" / "core" / "files.py")
    (site / "resources").mkdir()
    script = python.parent / "overfit-lab-cli"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    return python


def hint(python: Path, path: str) -> str:
    return subprocess.run([str(python), "-c", "from engine.core.files import command_hint; print(command_hint())"],
                          env=dict(os.environ, PATH=path), capture_output=True, text=True, check=True,
                          cwd=python.parent).stdout.strip()


@posix
def test_an_installed_script_off_path_is_named_by_its_full_path(tmp_path):
    python = installed_copy(tmp_path)
    script = python.parent / "overfit-lab-cli"
    assert hint(python, "/usr/bin:/bin") == f"'{script}'"  # quoted for the shell: the folder has a space
    assert hint(python, f"{python.parent}:/usr/bin:/bin") == "overfit-lab-cli"


@posix
def test_a_kits_script_is_named_through_current_which_updates_keep(tmp_path):
    python = installed_copy(tmp_path / "Overfit Lab", "env-1a2b3c4d")
    (tmp_path / "Overfit Lab" / "current").symlink_to("env-1a2b3c4d")  # a junction on Windows
    assert hint(python, "/usr/bin:/bin") == f"'{tmp_path}/Overfit Lab/current/bin/overfit-lab-cli'"


@posix
def test_a_macos_kits_script_is_named_by_the_apps_executable(tmp_path):
    app = tmp_path / "Overfit Lab.app"
    python = installed_copy(app / "Contents" / "Resources", "env-1a2b3c4d")
    (app / "Contents" / "MacOS").mkdir()
    (app / "Contents" / "MacOS" / "overfit-lab").write_text("#!/bin/bash\n")
    assert hint(python, "/usr/bin:/bin") == f"'{app}/Contents/MacOS/overfit-lab'"


def test_a_checkout_names_python_main_py(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "search-worker", "--study", "none-such",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "`python main.py search`" in proc.stderr
    helped = subprocess.run([sys.executable, str(ROOT / "main.py"), "--help"], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert "python main.py COMMAND --help" in helped.stdout


@posix
def test_version_names_a_bundles_commit(tmp_path):
    python = installed_copy(tmp_path)
    code = "from engine.core.files import version_line; print(version_line())"
    site_resources = next((python.parent.parent).rglob("site-packages")) / "resources"
    (site_resources / "build-info.json").write_text(json.dumps(
        {"version": "0.1.0", "commit": "0123456789abcdef", "dirty": True, "built": "2026-12-02"}))
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout
    assert out.strip() == ("overfit-lab 0.1.0 (bundle built 2026-12-02 from commit 0123456789abcdef, "
                           "with uncommitted changes)")
    # --version anywhere among the window's options prints it (and opens no window).
    here = subprocess.run([sys.executable, str(ROOT / "main.py"), "--preset", "overfit", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert here.returncode == 0 and here.stdout.startswith("overfit-lab ")


def test_a_redirected_stream_in_a_non_utf8_locale_gets_utf8(tmp_path):
    # Windows writes redirected output in its ANSI code page (here: ASCII stands in for it).
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", "--preset", "toy_spirals",
                           "--set", "data.dataset=Δ", "--out", str(tmp_path)], capture_output=True, timeout=120,
                          env=dict(os.environ, PYTHONIOENCODING="ascii"))
    assert proc.returncode == 2
    assert "data.dataset = 'Δ' is not allowed" in proc.stderr.decode("utf-8")
