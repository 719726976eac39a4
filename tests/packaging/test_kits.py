"""The offline kits: their locks pin every dependency of the app, a kit is assembled as its
OS needs, and the macOS installer does what the kit's README says.

The installer is a bash script; here it runs on Linux with the three macOS commands it asks
(uname, sw_vers, sysctl) answered by stand-ins, the one thing faked. Its Python, virtual
environment, pip install from the kit with no index and hash checking, the app it writes,
the launcher in it, and the uninstaller are all real. The app's wheel is a small stand-in
(the real one needs torch's macOS wheel, which cannot install here); `make kits-check`
installs the real kits for their platforms."""

from __future__ import annotations

import hashlib
import os
import plistlib
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KITS = ROOT / "packaging" / "kits.py"
sys.path.insert(0, str(ROOT / "packaging"))

import kits  # noqa: E402

PY = f"{sys.version_info[0]}.{sys.version_info[1]}"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the macOS installer is a bash script")


def requirement_names() -> set[str]:
    names = set()
    for dep in kits.project()["dependencies"]:
        if "python_version < '3.11'" in dep:  # tomli: not for the kits' Python 3.12
            continue
        names.add(kits.normalize(dep.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip()))
    return names


@pytest.mark.parametrize("platform", sorted(kits.PLATFORMS))
def test_each_lock_pins_every_dependency_and_was_resolved_from_pyproject(platform):
    p = kits.PLATFORMS[platform]
    lock = kits.check_lock(p)  # raises if pyproject's dependencies changed since `make kits-lock`
    pinned = kits.pins(lock)
    assert requirement_names() <= set(pinned), requirement_names() - set(pinned)
    assert pinned["torch"] == "2.14.1" and pinned["pyside6-essentials"].startswith("6.1")
    text = lock.read_text()
    assert text.count("--hash=sha256:") >= len(pinned)  # every pin has its hashes


def test_a_changed_dependency_list_is_caught(tmp_path, monkeypatch):
    p = kits.PLATFORMS["windows-x64"]
    stale = tmp_path / f"{p.name}.lock"
    stale.write_text(kits.lock_path(p).read_text().replace(kits.dependencies_hash(), "0123456789abcdef"))
    monkeypatch.setattr(kits, "KITS_SRC", tmp_path)
    with pytest.raises(kits.KitError, match="make kits-lock"):
        kits.check_lock(p)


def fake_app_wheel(folder: Path) -> Path:
    """A wheel named overfit-lab with the modules the installer imports to check itself
    and a windowed and a console script that record how they were started."""
    files = {
        "main.py": "import os, sys, time\n\ndef main():\n    with open(os.environ['FAKE_APP_LOG'], 'a') as f:\n"
                   "        f.write(' '.join(sys.argv[1:]) + '\\n')\n"
                   "    time.sleep(float(os.environ.get('FAKE_APP_SECONDS', '0')))\n    return 0\n",
        "engine/__init__.py": "", "gui/__init__.py": "", "torch/__init__.py": "", "PySide6/__init__.py": "",
        "PySide6/QtWidgets.py": "",
        "overfit_lab-0.1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: overfit-lab\nVersion: 0.1.0\n",
        "overfit_lab-0.1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "overfit_lab-0.1.0.dist-info/entry_points.txt": "[gui_scripts]\noverfit-lab = main:main\n"
                                                        "[console_scripts]\noverfit-lab-cli = main:main\n",
    }
    path = folder / "overfit_lab-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        record = []
        for name, text in files.items():
            z.writestr(name, text)
            record.append(f"{name},,")
        z.writestr("overfit_lab-0.1.0.dist-info/RECORD", "\n".join(record) + "\noverfit_lab-0.1.0.dist-info/RECORD,,\n")
    return path


@pytest.fixture(scope="module")
def mac_kit(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("kit")
    (tmp / "wheels").mkdir()
    app = fake_app_wheel(tmp)
    lock = tmp / "empty.lock"
    lock.write_text("# nothing but the app\n")
    proc = subprocess.run([sys.executable, str(KITS), "assemble", "--platform", "macos-arm64", "--wheels",
                           str(tmp / "wheels"), "--lock", str(lock), "--app-wheel", str(app), "--out",
                           str(tmp / "dist"), "--python", PY], capture_output=True, text=True, check=True)
    return Path(proc.stdout.strip())


def shims(folder: Path, macos: str = "14.5", arch: str = "arm64") -> Path:
    folder.mkdir(exist_ok=True)
    scripts = {
        "uname": f'case "$1" in -s) echo Darwin;; -m) echo {arch};; *) exec /usr/bin/uname "$@";; esac',
        "sw_vers": f'[ "$1" = -productVersion ] && echo {macos}',
        "sysctl": f'echo {1 if arch == "arm64" else 0}',
    }
    for name, body in scripts.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    # Python, too, is asked which machine it runs on (PYTHONPATH points here; see run()).
    (folder / "sitecustomize.py").write_text(f"import platform\nplatform.machine = lambda: {arch!r}\n")
    python = folder / f"python{PY}"
    if not python.exists():
        python.symlink_to(Path(sys._base_executable).resolve())  # a Python with venv and ensurepip
    return folder


def run(script: Path, home: Path, shim_dir: Path, **env) -> subprocess.CompletedProcess:
    environ = {"HOME": str(home), "PATH": f"{shim_dir}:/usr/bin:/bin", "FAKE_APP_LOG": str(home / "app.log"),
               "LANG": "C.UTF-8", "PYTHONPATH": str(shim_dir), "TMPDIR": str(home.parent),
               "OVERFIT_LAB_SYSTEM_APPS": str(home.parent / "system-applications"), **env}
    return subprocess.run(["/bin/bash", str(script)], env=environ, capture_output=True, text=True, timeout=300)


def app_of(home: Path) -> Path:
    return home / "Applications" / "Overfit Lab.app"


def test_the_assembled_kit_has_what_its_readme_names(mac_kit, tmp_path):
    names = {p.name for p in mac_kit.iterdir()}
    assert {"install.command", "uninstall.command", "README.txt", "kit.txt", "requirements.txt",
            "overfit-lab.icns", "wheels"} <= names
    assert os.access(mac_kit / "install.command", os.X_OK)
    readme = (mac_kit / "README.txt").read_text()
    assert "{" not in readme and "python-3.12.10-macos11.pkg" in readme and "macOS 14 or later" in readme
    wheel = mac_kit / "wheels" / "overfit_lab-0.1.0-py3-none-any.whl"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert f"overfit-lab==0.1.0 \\\n    --hash=sha256:{digest}" in (mac_kit / "requirements.txt").read_text()
    # The Windows kit's scripts keep CRLF line ends, or cmd.exe misreads them.
    app = fake_app_wheel(tmp_path)
    lock = tmp_path / "empty.lock"
    lock.write_text("")
    (tmp_path / "w").mkdir()
    win = kits.assemble(kits.PLATFORMS["windows-x64"], [], lock, app, tmp_path / "dist")
    for name in ("install.bat", "install.ps1", "uninstall.bat", "uninstall.ps1", "README.txt"):
        data = (win / name).read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n") > 3, name
    assert "python-3.12.10-amd64.exe" in (win / "README.txt").read_text()


def test_install_makes_one_app_that_starts_the_window_and_reinstalling_keeps_one(mac_kit, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    bins = shims(tmp_path / "bin")
    proc = run(mac_kit / "install.command", home, bins)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    app = app_of(home)
    info = plistlib.loads((app / "Contents" / "Info.plist").read_bytes())
    assert info["CFBundleExecutable"] == "overfit-lab" and info["CFBundleIconFile"] == "overfit-lab.icns"
    assert info["LSMinimumSystemVersion"] == "14.0" and info["CFBundleShortVersionString"] == "0.1.0"
    assert (app / "Contents" / "Resources" / "overfit-lab.icns").is_file()
    launcher = app / "Contents" / "MacOS" / "overfit-lab"
    log = {**os.environ, "FAKE_APP_LOG": str(home / "app.log")}
    subprocess.run([str(launcher), "--preset", "overfit", "-psn_0_12345"], env=log, check=True, timeout=60)
    assert (home / "app.log").read_text() == "--preset overfit\n"  # the app's main, without Finder's -psn
    first = (app / "Contents" / "Resources" / "current").resolve()
    assert "is installed" in proc.stdout
    # Dragged elsewhere (say, to /Applications), the app still starts.
    moved = tmp_path / "elsewhere" / "Overfit Lab.app"
    moved.parent.mkdir()
    app.rename(moved)
    subprocess.run([str(moved / "Contents" / "MacOS" / "overfit-lab"), "--preset", "dropout"], env=log,
                   check=True, timeout=60)
    assert (home / "app.log").read_text().splitlines()[-1] == "--preset dropout"
    moved.rename(app)

    again = run(mac_kit / "install.command", home, bins)
    assert again.returncode == 0, again.stdout + again.stderr
    assert [p.name for p in (home / "Applications").iterdir()] == ["Overfit Lab.app"]
    envs = sorted(p.name for p in (app / "Contents" / "Resources").glob("env-*"))
    assert len(envs) == 1 and envs[0] != first.name  # a fresh environment replaced the old one
    assert (app / "Contents" / "Resources" / "current").resolve().name == envs[0]


def test_uninstall_removes_the_app_and_keeps_the_runs(mac_kit, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    bins = shims(tmp_path / "bin")
    assert run(mac_kit / "install.command", home, bins).returncode == 0
    runs = home / "Library" / "Application Support" / "overfit-lab" / "runs" / "20261202-overfit"
    runs.mkdir(parents=True)
    (runs / "summary.json").write_text("{}")
    (home / "Applications" / "Notes.app").mkdir()
    proc = run(mac_kit / "uninstall.command", home, bins)
    assert proc.returncode == 0, proc.stdout
    assert not app_of(home).exists()
    assert (runs / "summary.json").is_file() and (home / "Applications" / "Notes.app").is_dir()
    assert "runs" in proc.stdout and "kept" in proc.stdout
    # An app the installer did not make is left alone.
    (app_of(home) / "Contents").mkdir(parents=True)
    proc = run(mac_kit / "uninstall.command", home, bins)
    assert proc.returncode != 0 and app_of(home).is_dir() and "Left" in proc.stdout


@pytest.mark.parametrize("macos, arch, python, says", [
    ("13.6", "arm64", PY, "this Mac has macOS 13.6"),
    ("14.5", "x86_64", PY, "Apple silicon"),
    ("14.5", "arm64", "3.99", "no Python 3.99 for Apple silicon"),
])
def test_an_unsupported_mac_is_told_what_to_do_and_nothing_changes(mac_kit, tmp_path, macos, arch, python, says):
    kit = tmp_path / "kit"
    subprocess.run(["cp", "-r", str(mac_kit), str(kit)], check=True)
    (kit / "kit.txt").write_text((kit / "kit.txt").read_text().replace(f"python={PY}", f"python={python}"))
    home = tmp_path / "home"
    home.mkdir()
    proc = run(kit / "install.command", home, shims(tmp_path / "bin", macos, arch))
    assert proc.returncode != 0
    assert says in proc.stdout and "README.txt" in proc.stdout and "Nothing was changed" in proc.stdout
    assert "python-3.12.10-macos11.pkg" in proc.stdout  # which Python to install, whatever stopped it
    assert list(home.iterdir()) == []


def test_a_damaged_kit_leaves_the_installed_app_working(mac_kit, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    bins = shims(tmp_path / "bin")
    assert run(mac_kit / "install.command", home, bins).returncode == 0
    resources = app_of(home) / "Contents" / "Resources"
    before = (resources / "current").resolve()
    # A wheel damaged on the stick: its hash differs, named before anything is touched.
    kit = tmp_path / "kit"
    subprocess.run(["cp", "-r", str(mac_kit), str(kit)], check=True)
    wheel = next((kit / "wheels").glob("*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"damaged on the stick")
    proc = run(kit / "install.command", home, bins)
    assert proc.returncode != 0 and f"wheels/{wheel.name} is damaged" in proc.stdout
    assert (resources / "current").resolve() == before
    # A wheel pip cannot install (its hash is the pinned one): the update stops half-way,
    # and the new environment goes while the installed one stays.
    made = tmp_path / "broken"
    subprocess.run(["cp", "-r", str(mac_kit), str(made)], check=True)
    bad = next((made / "wheels").glob("*.whl"))
    old_hash = hashlib.sha256(bad.read_bytes()).hexdigest()
    bad.write_bytes(b"not a zip file")
    requirements = made / "requirements.txt"
    requirements.write_text(requirements.read_text().replace(old_hash, hashlib.sha256(b"not a zip file").hexdigest()))
    proc = run(made / "install.command", home, bins)
    assert proc.returncode != 0 and "pip could not install" in proc.stdout, proc.stdout
    assert (resources / "current").resolve() == before
    assert [p.name for p in resources.glob("env-*")] == [before.name]
    # And with no app installed before, a failed install leaves none behind, nor ~/Applications.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert run(made / "install.command", fresh, bins).returncode != 0
    assert list(fresh.iterdir()) == []


def test_the_users_pip_settings_do_not_apply(mac_kit, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    config = tmp_path / "pip.conf"
    config.write_text("[install]\nuser = true\n")  # a venv refuses --user installs
    proc = run(mac_kit / "install.command", home, shims(tmp_path / "bin"), PIP_CONFIG_FILE=str(config),
               PIP_INDEX_URL="https://pypi.invalid/simple")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("damage, says", [
    ("kit.txt", "kit.txt is missing"),
    ("wheel", "wheels/ has no overfit-lab 0.1.0"),
    ("icon", "overfit-lab.icns is missing"),
])
def test_an_incomplete_kit_is_named_before_anything_changes(mac_kit, tmp_path, damage, says):
    kit = tmp_path / "kit"
    subprocess.run(["cp", "-r", str(mac_kit), str(kit)], check=True)
    {"kit.txt": kit / "kit.txt", "icon": kit / "overfit-lab.icns",
     "wheel": next((kit / "wheels").glob("*.whl"))}[damage].unlink()
    home = tmp_path / "home"
    home.mkdir()
    proc = run(kit / "install.command", home, shims(tmp_path / "bin"))
    assert proc.returncode != 0
    assert (says if damage != "kit.txt" else "kit.txt is missing or damaged") in proc.stdout
    assert "Copy the whole kit folder again" in proc.stdout and "Nothing was changed" in proc.stdout
    assert list(home.iterdir()) == []


def test_an_app_the_kit_did_not_make_is_not_touched(mac_kit, tmp_path):
    home = tmp_path / "home"
    other = app_of(home) / "Contents" / "MacOS"
    other.mkdir(parents=True)
    (other / "overfit-lab").write_text("a bundle's executable")
    proc = run(mac_kit / "install.command", home, shims(tmp_path / "bin"))
    assert proc.returncode != 0 and "did not make it" in proc.stdout
    assert (other / "overfit-lab").read_text() == "a bundle's executable"
    assert not (app_of(home) / "Contents" / "Resources").exists()


def test_two_installs_at_once_leave_one_working_app(mac_kit, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    bins = shims(tmp_path / "bin")
    environ = {"HOME": str(home), "PATH": f"{bins}:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(bins),
               "TMPDIR": str(tmp_path), "OVERFIT_LAB_SYSTEM_APPS": str(tmp_path / "system-applications")}
    procs = [subprocess.Popen(["/bin/bash", str(mac_kit / "install.command")], env=environ, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 1], outs
    assert any("another install (or the uninstaller) of Overfit Lab is running" in out for out in outs)
    envs = list((app_of(home) / "Contents" / "Resources").glob("env-*"))
    assert len(envs) == 1 and (app_of(home) / "Contents" / "Resources" / "current").resolve() == envs[0]


def test_a_running_app_is_neither_replaced_nor_removed(mac_kit, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    bins = shims(tmp_path / "bin")
    assert run(mac_kit / "install.command", home, bins).returncode == 0
    before = (app_of(home) / "Contents" / "Resources" / "current").resolve()
    window = subprocess.Popen([str(app_of(home) / "Contents" / "MacOS" / "overfit-lab")],
                              env={**os.environ, "FAKE_APP_LOG": str(home / "app.log"), "FAKE_APP_SECONDS": "60"})
    try:
        for _ in range(100):  # until the app's Python has started
            if (home / "app.log").exists():
                break
            time.sleep(0.1)
        again = run(mac_kit / "install.command", home, bins)
        assert again.returncode != 0 and "Overfit Lab is running: quit it" in again.stdout
        assert (app_of(home) / "Contents" / "Resources" / "current").resolve() == before
        gone = run(mac_kit / "uninstall.command", home, bins)
        assert gone.returncode != 0 and "running" in gone.stdout and app_of(home).is_dir()
    finally:
        window.kill()
        window.wait()
    assert run(mac_kit / "uninstall.command", home, bins).returncode == 0 and not app_of(home).exists()


def test_an_install_cut_short_is_repaired_by_the_next_and_blocks_the_uninstaller_while_it_runs(mac_kit, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    bins = shims(tmp_path / "bin")
    # What a first install leaves when its Terminal is closed during pip: the marked app,
    # a half-made environment, no `current`, and its `.installing` (a process now gone).
    resources = app_of(home) / "Contents" / "Resources"
    (resources / "env-20261202-000000-1").mkdir(parents=True)
    (resources / "overfit-lab-kit.txt").write_text((mac_kit / "kit.txt").read_text())
    (resources / ".installing").write_text("999999\n")
    proc = run(mac_kit / "install.command", home, bins)
    assert proc.returncode == 0, proc.stdout
    assert [p.name for p in resources.glob("env-*")] == [(resources / "current").resolve().name]
    assert not (resources / ".installing").exists()
    # An install under way (its process alive) keeps the uninstaller off.
    (resources / ".installing").write_text(f"{os.getpid()}\n")
    gone = run(mac_kit / "uninstall.command", home, bins)
    assert gone.returncode != 0 and "being installed" in gone.stdout and app_of(home).is_dir()
    (resources / ".installing").unlink()
    assert run(mac_kit / "uninstall.command", home, bins).returncode == 0 and not app_of(home).exists()


def test_a_kit_without_its_checker_says_so_plainly(mac_kit, tmp_path):
    kit = tmp_path / "kit"
    subprocess.run(["cp", "-r", str(mac_kit), str(kit)], check=True)
    (kit / "verify_kit.py").unlink()
    home = tmp_path / "home"
    home.mkdir()
    proc = run(kit / "install.command", home, shims(tmp_path / "bin"))
    assert proc.returncode != 0 and "verify_kit.py is missing" in proc.stdout and "Errno" not in proc.stdout
    assert list(home.iterdir()) == []


def test_ctrl_c_during_a_first_install_leaves_nothing(mac_kit, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    bins = shims(tmp_path / "bin")
    environ = {"HOME": str(home), "PATH": f"{bins}:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(bins),
               "TMPDIR": str(tmp_path), "OVERFIT_LAB_SYSTEM_APPS": str(tmp_path / "system-applications")}
    proc = subprocess.Popen(["/bin/bash", str(mac_kit / "install.command")], env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    installing = app_of(home) / "Contents" / "Resources" / ".installing"
    for _ in range(300):  # the app is marked as the kit's, and under way, before pip starts
        if installing.exists():
            break
        time.sleep(0.05)
    assert installing.exists()
    assert (app_of(home) / "Contents" / "Resources" / "overfit-lab-kit.txt").is_file()
    proc.send_signal(signal.SIGINT)
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode != 0 and "interrupted" in out, out
    assert list(home.iterdir()) == []


def test_an_app_in_applications_moved_there_is_updated_and_removed_there(mac_kit, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    bins = shims(tmp_path / "bin")
    assert run(mac_kit / "install.command", home, bins).returncode == 0
    system = tmp_path / "system-applications"
    system.mkdir()
    app_of(home).rename(system / "Overfit Lab.app")
    again = run(mac_kit / "install.command", home, bins)
    assert again.returncode == 0 and str(system / "Overfit Lab.app") in again.stdout
    assert not app_of(home).exists()
    assert run(mac_kit / "uninstall.command", home, bins).returncode == 0 and not (system / "Overfit Lab.app").exists()
