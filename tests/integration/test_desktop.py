"""Double-click setup: the desktop entry, its icon, and a build with no console streams."""

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_main(args, tmp_path, **kw):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, **kw)


def test_install_desktop_entry_writes_a_valid_entry_and_icons(tmp_path):
    proc = run_main(["--install-desktop-entry"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    entry = tmp_path / "data" / "applications" / "overfit-lab.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(entry, encoding="utf-8")
    e = parser["Desktop Entry"]
    assert e["Type"] == "Application" and e["Name"] == "Overfit Lab" and e["Terminal"] == "false"
    assert Path(e["TryExec"]).is_file()  # launches this installation
    icon = Path(e["Icon"])
    assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "overfit-lab.svg").is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr

    proc = run_main(["--uninstall-desktop-entry"], tmp_path)
    assert proc.returncode == 0 and not entry.exists() and not icon.exists()


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-validate not installed")
def test_desktop_file_validate_accepts_a_path_with_spaces(tmp_path):
    from gui.app import desktop

    entry = desktop.install(home=tmp_path / "with space", command=[str(tmp_path / "my apps" / "overfit-lab")])
    check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout


def test_exec_line_quotes_what_the_spec_reserves():
    from gui.app.desktop import desktop_entry

    text = desktop_entry(["/opt/Overfit Lab/overfit-lab", "--preset", "100%"], Path("/i.png"))
    assert 'Exec="/opt/Overfit Lab/overfit-lab" --preset "100%%"' in text


def test_runs_with_no_console_streams(tmp_path):
    """A windowed build starts with sys.stdout and sys.stderr set to None."""
    code = "import sys; sys.stdout = sys.stderr = None; import main; sys.exit(main.main(['presets']))"
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_command_line_writes_the_log_file(tmp_path):
    proc = run_main(["train", "--preset", "nonexistent"], tmp_path)
    assert proc.returncode == 2
    logs = list((tmp_path / "state").rglob("overfit-lab.log"))
    assert len(logs) == 1
    text = logs[0].read_text()
    assert "command line: train --preset nonexistent" in text and "exit code 2" in text
