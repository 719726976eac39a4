"""The Linux bundle keeps the shared libraries its files load, found from their ELF
dependencies: checked on the real torch, nvidia and Qt files of this environment."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

from bundle_libraries import prune, without_links  # noqa: E402
from elf_needed import NotELF, closure, needed  # noqa: E402

SITE = Path(sysconfig.get_paths()["purelib"])
NVIDIA = SITE / "nvidia"
linux_cuda_torch = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not NVIDIA.is_dir(),
    reason="torch's Linux wheel with its nvidia packages is what the pruning is for")


def torch_extension() -> Path:
    return next((SITE / "torch").glob("_C.*.so"))


def readelf_needed(path: Path) -> list[str]:
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


@pytest.mark.skipif(not shutil.which("readelf") or not sys.platform.startswith("linux"), reason="needs binutils' readelf")
def test_dependencies_read_from_the_file_are_readelfs():
    files = [torch_extension(), SITE / "torch" / "lib" / "libtorch_cpu.so",
             next((SITE / "PySide6").glob("QtCore.*.so")), next((SITE / "numpy").rglob("_multiarray_umath*.so"))]
    for path in files:
        assert needed(path) == readelf_needed(path), path
    assert "libtorch_python.so" in needed(torch_extension())


def test_a_file_that_is_not_elf_is_refused(tmp_path):
    (tmp_path / "x.so").write_bytes(b"MZ\x90\x00 a Windows DLL")
    with pytest.raises(NotELF, match="x.so"):
        needed(tmp_path / "x.so")


def nvidia_and_torch_libraries() -> list[Path]:
    return sorted(p for p in [*NVIDIA.rglob("*.so*"), *(SITE / "torch" / "lib").glob("*.so*")]
                  if p.is_file() and not p.is_symlink())


@linux_cuda_torch
def test_torch_reaches_the_cuda_runtime_but_not_cusolver_or_cudnns_engines():
    kept, unresolved = closure([str(torch_extension()), str(SITE / "torch/lib/libtorch_global_deps.so")],
                               [str(p) for p in nvidia_and_torch_libraries()])
    names = {Path(p).name for p in kept}
    assert {"libtorch_cpu.so", "libtorch_cuda.so", "libc10.so"} <= names
    assert any(n.startswith("libcudart.so") for n in names) and any(n.startswith("libcublas.so") for n in names)
    assert not any(n.startswith(("libcusolver", "libcudnn_engines", "libcudnn_cnn", "libtorch_cuda_linalg"))
                   for n in names)
    assert "libc.so.6" in unresolved  # the system's, not a candidate


@linux_cuda_torch
def test_prune_drops_the_unreached_libraries_and_the_links_go(tmp_path):
    libs = nvidia_and_torch_libraries()
    toc = [(str(torch_extension().relative_to(SITE)), str(torch_extension()), "EXTENSION")]
    toc += [(str(p.relative_to(SITE)), str(p), "BINARY") for p in libs]
    ops = SITE / "torchvision" / "_C_stable.so"  # opened by torch.ops.load_library: no DT_NEEDED leads to it
    toc.append(("torchvision/_C_stable.so", str(ops), "BINARY"))
    cusolver = next(p for p in libs if p.name.startswith("libcusolver.so"))
    cudart = next(p for p in libs if p.name.startswith("libcudart.so"))
    datas = [(cusolver.name, str(cusolver.relative_to(SITE)), "SYMLINK"),
             (cudart.name, str(cudart.relative_to(SITE)), "SYMLINK"),
             ("resources/presets/overfit.toml", str(ROOT / "resources/presets/overfit.toml"), "DATA")]
    report = tmp_path / "bundle-libraries.txt"
    kept, summary = prune(toc, report)
    kept_dest = {dest for dest, _, _ in kept}
    assert str(cudart.relative_to(SITE)) in kept_dest
    assert "torch/lib/libtorch_global_deps.so" in kept_dest  # opened with ctypes: kept as a root
    assert "torchvision/_C_stable.so" in kept_dest
    assert str(cusolver.relative_to(SITE)) not in kept_dest
    assert f"dropped {cusolver.relative_to(SITE)}" in report.read_text().splitlines()
    assert "left out" in summary and str(report) in summary
    # No links at all (a FAT or exFAT stick cannot hold them); the data stays.
    assert without_links(datas) == [("resources/presets/overfit.toml", str(ROOT / "resources/presets/overfit.toml"),
                                     "DATA")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF")
def test_a_library_needed_by_its_soname_is_kept_under_its_file_name(tmp_path):
    import zlib

    real = Path("/lib/x86_64-linux-gnu/libz.so.1").resolve()
    if not getattr(zlib, "__file__", None) or not real.is_file() or real.name == "libz.so.1":
        pytest.skip("needs zlib as an extension module and a versioned libz file")
    copy = tmp_path / real.name  # libz.so.1.2.13: its DT_SONAME is libz.so.1, the name zlib asks for
    shutil.copy(real, copy)
    kept, unresolved = closure([zlib.__file__], [str(copy)])
    assert kept == {str(copy)} and "libz.so.1" not in unresolved


def test_a_damaged_library_stops_the_build_rather_than_losing_its_dependencies(tmp_path):
    broken = tmp_path / "libbroken.so"
    broken.write_bytes(b"\x7fELF\x02\x01" + b"\x00" * 10)  # an ELF header cut short
    with pytest.raises(NotELF, match="libbroken.so"):
        closure([str(broken)], [])
