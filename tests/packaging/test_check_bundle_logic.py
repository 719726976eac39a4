"""`make bundle-check`'s judgement, on small bundles made here: shared libraries compiled
with cc into a temp folder (resolved by the real ldd), and the provenance check on a temp
git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import check_bundle  # noqa: E402
from build_stamp import build_stamp  # noqa: E402
from library_check import check_bundle_libraries  # noqa: E402

elf_tools = pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("cc")
                               or not shutil.which("ldd"), reason="compiles ELF libraries and runs ldd")


def library(path: Path, soname: str | None = None, needs: tuple[Path, ...] = (), runpath: str | None = None) -> Path:
    """Compile a tiny shared library at `path` that calls a function of each of `needs`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.with_suffix(".c")
    symbol = path.name.split(".")[0].replace("-", "_")
    calls = "".join(f"{Path(n).name.split('.')[0].replace('-', '_')}_f(); " for n in needs)
    externs = "".join(f"void {Path(n).name.split('.')[0].replace('-', '_')}_f(void); " for n in needs)
    source.write_text(f"{externs}void {symbol}_f(void) {{ {calls}}}\n")
    cmd = ["cc", "-shared", "-fPIC", "-o", str(path), str(source), "-Wl,--no-as-needed", *map(str, needs)]
    if soname:
        cmd.append(f"-Wl,-soname,{soname}")
    if runpath:
        cmd += [f"-Wl,-rpath,{runpath}", "-Wl,--enable-new-dtags"]
    subprocess.run(cmd, check=True, capture_output=True)
    source.unlink()
    return path


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A bundle whose lib/libinner.so a wheel of the build environment provides, and an
    outside folder of libraries that exist only to be linked against."""
    b = tmp_path / "dist" / "overfit-lab"
    library(b / "_internal" / "lib" / "libinner.so", soname="libinner.so")
    return b


@elf_tools
def test_a_library_found_through_the_requesters_runpath_passes(bundle):
    inner = bundle / "_internal" / "lib" / "libinner.so"
    library(bundle / "_internal" / "pkg" / "good.so", needs=(inner,), runpath="$ORIGIN/../lib")
    report = check_bundle_libraries(bundle, {"libinner.so": "innerwheel"})
    assert report.failures == [] and report.system_missing == {}


@elf_tools
def test_a_copy_elsewhere_in_the_bundle_does_not_forgive_not_found(bundle):
    inner = bundle / "_internal" / "lib" / "libinner.so"
    # Linked against it, but with no RUNPATH that leads to lib/: the linker cannot find it.
    library(bundle / "_internal" / "pkg" / "lost.so", needs=(inner,))
    report = check_bundle_libraries(bundle, {"libinner.so": "innerwheel"})
    assert len(report.failures) == 1
    assert report.failures[0].startswith("_internal/pkg/lost.so needs libinner.so, which the bundle lacks "
                                         "(the build environment's innerwheel has it); the copy at "
                                         "_internal/lib/libinner.so is not on the RUNPATH of _internal/pkg/lost.so")


@elf_tools
def test_a_not_found_deep_in_the_tree_is_judged_by_its_own_requesters_runpath(bundle, tmp_path):
    inner = bundle / "_internal" / "lib" / "libinner.so"
    # pkg/top.so finds pkg/middle.so through its RUNPATH; middle.so needs libinner.so and
    # finds it through its own RUNPATH, which top.so's does not share.
    middle = library(bundle / "_internal" / "pkg" / "libmiddle.so", soname="libmiddle.so", needs=(inner,),
                     runpath="$ORIGIN/../lib")
    library(bundle / "_internal" / "pkg" / "top.so", needs=(middle,), runpath="$ORIGIN")
    assert check_bundle_libraries(bundle, {"libinner.so": "innerwheel"}).failures == []
    # The same middle library without its RUNPATH leaves libinner.so unfound for both.
    library(middle, soname="libmiddle.so", needs=(inner,))
    failures = check_bundle_libraries(bundle, {"libinner.so": "innerwheel"}).failures
    assert sorted(f.split(" needs")[0] for f in failures) == ["_internal/pkg/libmiddle.so", "_internal/pkg/top.so"]


@elf_tools
def test_a_library_without_runpath_is_judged_where_it_is_loaded(bundle):
    inner = bundle / "_internal" / "lib" / "libinner.so"
    # As auditwheel leaves scipy.libs' libgfortran: no RUNPATH, its libquadmath found
    # because the extension that loads it has loaded that too.
    needy = library(bundle / "_internal" / "lib" / "libneedy.so", soname="libneedy.so", needs=(inner,))
    library(bundle / "_internal" / "pkg" / "ext.so", needs=(inner, needy), runpath="$ORIGIN/../lib")
    assert check_bundle_libraries(bundle, {"libinner.so": "innerwheel", "libneedy.so": "innerwheel"}).failures == []
    # Opened on its own (nothing in the bundle loads it), the same library fails.
    (bundle / "_internal" / "pkg" / "ext.so").unlink()
    failures = check_bundle_libraries(bundle, {"libinner.so": "innerwheel"}).failures
    assert [f.split(" needs")[0] for f in failures] == ["_internal/lib/libneedy.so"]


@elf_tools
def test_a_wheels_library_resolved_from_the_build_machines_system_fails(bundle, tmp_path):
    system = next((Path(p) for p in ("/lib/x86_64-linux-gnu/libgomp.so.1", "/usr/lib/x86_64-linux-gnu/libgomp.so.1",
                                     "/usr/lib64/libgomp.so.1", "/lib64/libgomp.so.1") if Path(p).is_file()), None)
    if system is None:
        pytest.skip("the system has no libgomp.so.1 for ldd to find")
    # Linked against a stand-in of torch's libgomp.so.1 that the bundle does not carry.
    stand_in = library(tmp_path / "wheel" / "libgomp.so.1", soname="libgomp.so.1")
    library(bundle / "_internal" / "torch" / "lib" / "libuser.so", needs=(stand_in,), runpath="$ORIGIN")
    report = check_bundle_libraries(bundle, {"libgomp.so.1": "torch"})
    assert len(report.failures) == 1
    assert report.failures[0].startswith("_internal/torch/lib/libuser.so needs libgomp.so.1, which resolves outside "
                                         "the bundle, to /")
    assert "the build environment's torch has it" in report.failures[0]
    # What no wheel provides is the system's to supply: listed, not failed.
    assert check_bundle_libraries(bundle, {}).failures == []


@elf_tools
def test_torchs_libraries_loaded_by_import_torch_serve_torchvisions_operators(bundle, tmp_path):
    c10 = library(bundle / "_internal" / "torch" / "lib" / "libc10.so", soname="libc10.so")
    library(bundle / "_internal" / "torch" / "_C.cpython-311-x86_64-linux-gnu.so", needs=(c10,),
            runpath="$ORIGIN/lib")
    # torchvision's operators carry the build machine's RPATH, not the bundle's: they find
    # libc10.so because torch has loaded it by then.
    library(bundle / "_internal" / "torchvision" / "_C_stable.so", needs=(c10,), runpath="/__w/_temp/env/lib")
    # A library needing a system library nobody ships is listed for the user, not failed.
    nothing = library(tmp_path / "elsewhere" / "libnothere.so.9", soname="libnothere.so.9")
    library(bundle / "_internal" / "pkg" / "wants_system.so", needs=(nothing,))
    report = check_bundle_libraries(bundle, {"libc10.so": "torch", "libinner.so": "innerwheel"})
    assert report.failures == []
    assert report.system_missing == {"libnothere.so.9": ["_internal/pkg/wants_system.so"]}


# --- provenance -----------------------------------------------------------------------------

def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path, monkeypatch) -> Path:
    """A checkout with a commit of what the bundle carries, and its built bundle's folder."""
    repo = tmp_path / "checkout"
    (repo / "engine").mkdir(parents=True)
    (repo / "main.py").write_text("print('overfit lab')\n")
    (repo / "engine" / "core.py").write_text("X = 1\n")
    (repo / "README.md").write_text("# Overfit Lab\n")
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "first")
    dist = repo / "dist" / "overfit-lab"
    (dist / "_internal" / "resources").mkdir(parents=True)
    monkeypatch.setattr(check_bundle, "ROOT", repo)
    monkeypatch.setattr(check_bundle, "DIST", dist)
    return repo


def build(repo: Path) -> None:
    """What packaging/overfit-lab.spec stamps into the bundle."""
    info = build_stamp(repo, "0.1.0")
    (repo / "dist" / "overfit-lab" / "_internal" / "resources" / "build-info.json").write_text(json.dumps(info))


def test_a_clean_build_of_head_passes(checkout):
    build(checkout)
    assert "this checkout's HEAD" in check_bundle.check_built_from_head()
    # Prose outside what the bundle carries may change after the build.
    (checkout / "README.md").write_text("# Overfit Lab, edited\n")
    assert "this checkout's HEAD" in check_bundle.check_built_from_head()


def test_a_build_with_uncommitted_changes_fails(checkout):
    (checkout / "engine" / "core.py").write_text("X = 2\n")
    build(checkout)
    with pytest.raises(SystemExit, match=r"built from .* with changes not in any commit: engine/core.py"):
        check_bundle.check_built_from_head()


def test_a_build_with_an_untracked_file_fails(checkout):
    (checkout / "engine" / "new_module.py").write_text("Y = 1\n")
    build(checkout)
    with pytest.raises(SystemExit, match=r"with changes not in any commit: engine/new_module.py"):
        check_bundle.check_built_from_head()


def test_uncommitted_prose_does_not_make_a_build_dirty(checkout):
    (checkout / "README.md").write_text("# Overfit Lab, edited\n")
    (checkout / "NOTES.txt").write_text("an untracked note\n")
    build(checkout)
    assert "this checkout's HEAD" in check_bundle.check_built_from_head()
