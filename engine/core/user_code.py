"""Code from the user's own files, imported only when a run or an evaluation starts with it
(model.file, data.file): never when a run folder is read, listed or opened.

A file is executed from the bytes that were hashed, so the SHA-256 a run records is of the
code that ran. Every failure is a ConfigError naming the setting and the file.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import sysconfig
import tempfile
import traceback
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from engine.core.i18n import N_, _
from engine.core.values import ConfigError

# What check_file_unchanged is told a run's file is (engine.runs.stored), said translated.
FILE_KINDS = (N_("data file"), N_("network file"))


def file_sha256(path: str | Path) -> str:
    """A file's SHA-256, read in chunks (an arrays file may be gigabytes; hashlib.file_digest
    is Python 3.11's, and the app runs on 3.10)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def split_target(text: str, key: str) -> tuple[str, str]:
    """"PATH/my_net.py:NAME" -> ("PATH/my_net.py", "NAME"); the last colon splits, so a
    Windows drive letter stays with the path."""
    where, sep, name = text.rpartition(":")
    if not sep or not where or not name.isidentifier():
        raise ConfigError(key, text, _("PATH/my_file.py:NAME or package.module:NAME (NAME: the class or "
                                       "function to call)"))
    return where, name


def is_file_target(where: str) -> bool:
    return where.endswith(".py") or "/" in where or os.sep in where


# Modules the user's code brought in (not installed packages, not the app's own): dropped
# before the next import of user code, so a file edited since runs anew (the window imports
# many times in one process, and sys.modules would hand back the code of the first time).
_USER_MODULES: set[str] = set()
_INSTALLED = tuple(sorted({str(Path(p).resolve()) for p in [
    *(p for k, p in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib")),
    sys.prefix, sys.base_prefix, getattr(sys, "_MEIPASS", sys.prefix)]}))  # (the last: a bundled app)


def _is_users(name: str) -> bool:
    module = sys.modules.get(name)
    if module is None or name.partition(".")[0] in ("engine", "gui"):
        return False
    file = getattr(module, "__file__", None)
    if not file:  # a namespace package of the user's folders (a built-in has no __path__)
        return hasattr(module, "__path__") and not any(str(p).startswith(_INSTALLED) for p in module.__path__)
    return not str(Path(file).resolve()).startswith(_INSTALLED)


@contextmanager
def user_imports(python_path: str = ""):
    """While importing (and calling) the user's code: model.python_path's folders first on
    sys.path, and every .py compiled from its bytes now, not from a cached .pyc (whose
    one-second mtime check misses a quick edit). sys.path is put back after: a later run with
    another python_path cannot import this one's packages."""
    folders = [str(Path(p).expanduser().resolve()) for p in python_path.split(os.pathsep) if p.strip()]
    saved_path, saved_prefix, saved_write = list(sys.path), sys.pycache_prefix, sys.dont_write_bytecode
    for name in _USER_MODULES & set(sys.modules):
        del sys.modules[name]
    _USER_MODULES.clear()
    before = set(sys.modules)
    sys.path[:0] = folders
    sys.pycache_prefix = str(Path(tempfile.gettempdir()) / f"overfit-lab-no-pyc-{os.getpid()}")
    sys.dont_write_bytecode = True
    importlib.invalidate_caches()  # (a folder's listing is cached by mtime: a new file would be missed)
    try:
        yield
    finally:
        sys.path[:] = saved_path
        sys.pycache_prefix, sys.dont_write_bytecode = saved_prefix, saved_write
        _USER_MODULES.update(name for name in set(sys.modules) - before if _is_users(name))


def traceback_text() -> str:
    return "".join(traceback.format_exc()).rstrip()


def _exec_file(where: str, text: str, key: str) -> tuple[ModuleType, Path, str]:
    path = Path(where).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(key, text, _("an existing Python file: {path} does not exist").format(path=path))
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise ConfigError(key, text, _("a readable Python file: {path} ({error})").format(
            path=path, error=exc.strerror or exc)) from None
    digest = hashlib.sha256(source).hexdigest()
    # A private module name per file and content: the user's own module names never clash
    # with the app's, and an edited file is a new module.
    module = ModuleType(f"_overfit_lab_user_{digest[:16]}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # (dataclasses and pickling look a class's module up)
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    except BaseException:  # SyntaxError, ImportError, even SystemExit: the user's own traceback
        sys.modules.pop(module.__name__, None)
        raise ConfigError(key, text, _("{path} could not be imported:\n{traceback}").format(
            path=path, traceback=traceback_text())) from None
    return module, path, digest


def _import_module(where: str, text: str, key: str) -> tuple[ModuleType, Path, str]:
    """package.module, imported anew (see user_imports); its file is hashed before and after
    the import, so the SHA-256 recorded is of the bytes that ran."""
    try:
        spec = importlib.util.find_spec(where)  # (imports the parent packages)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        before = file_sha256(origin) if origin is not None and origin.is_file() else ""
        module = importlib.import_module(where)
    except BaseException:
        raise ConfigError(key, text, _("an importable module: importing {module} failed (add its folder "
                                       "to model.python_path?):\n{traceback}").format(
            module=where, traceback=traceback_text())) from None
    path = Path(getattr(module, "__file__", "") or where)
    digest = file_sha256(path) if path.is_file() else ""
    if digest != before:
        raise ConfigError(key, text, _("a file that stays as it is while it is imported: {path} changed "
                                       "during the import; start again").format(path=path))
    return module, path, digest


def import_target(text: str, key: str, python_path: str = "") -> tuple[object, Path, str]:
    """The object `text` names, the file it was read from and that file's SHA-256."""
    where, name = split_target(text, key)
    with user_imports(python_path):
        module, path, digest = (_exec_file if is_file_target(where) else _import_module)(where, text, key)
    target = getattr(module, name, None)
    if target is None or not callable(target):
        found = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                       and getattr(v, "__module__", None) == module.__name__)
        fields = dict(path=path, name=name, defined=", ".join(found))
        if target is not None:
            why = _("a class or function of {path}: {name} is not callable (it defines {defined})") if found \
                else _("a class or function of {path}: {name} is not callable")
        else:
            why = _("a class or function of {path}: {name} is not defined there (it defines {defined})") if found \
                else _("a class or function of {path}: {name} is not defined there")
        raise ConfigError(key, text, why.format(**fields))
    return target, path, digest


def check_file_unchanged(record: dict, folder, key: str, what: str) -> str | None:
    """Refuse (ConfigError naming `key` and the file) a run's code file that changed since the
    run, compared by SHA-256 before anything is imported. Returns the setting to run it by (by
    the absolute path that ran, whatever the current folder); None without a record."""
    if not record or not record.get("sha256"):
        return None
    path = Path(record.get("file", ""))
    setting = record.get("setting", str(path))
    if not path.is_file():
        # i18n: {what} is "data file" or "network file"
        raise ConfigError(key, setting, _("{folder}: the run's {what} {path} no longer exists (put it back to "
                                          "evaluate this run)").format(folder=folder, what=_(what), path=path))
    now = file_sha256(path)
    if now != record["sha256"]:
        raise ConfigError(key, setting, _(
            "{folder}: the run's {what} {path} changed since the run (SHA-256 {then}… then, "
            "{now}… now); nothing was imported. Restore the file as it was to evaluate this run").format(
            folder=folder, what=_(what), path=path, then=record["sha256"][:12], now=now[:12]))
    return f"{path}:{record['name']}"
