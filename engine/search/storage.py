"""Where a study lives: a journal file in the study's folder (several local worker processes
share it, no server) or a database (PostgreSQL, workers on many machines) with heartbeats;
the trials of a worker that died are marked failed and retried."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from engine.core.config import ConfigError
from engine.core.i18n import _, number
from engine.search.space import SearchSettings, make_pruner, make_sampler

STORAGE, STUDY = "storage", "study"  # the search's own options, as refusals name them
STUDY_FILE = "study.journal"


HEARTBEAT_S, GRACE_S = 5, 20  # a worker silent for 20 s is gone: its trial fails and is retried


def open_storage(url: str | None, folder: Path | None, timeout_s: float = 10.0):
    """A journal file in `folder` (no server), or an RDB storage (PostgreSQL) at `url` with
    Optuna's heartbeat, so a killed worker's trial is marked failed and retried."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock, JournalStorage

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own lines say what happens

    if not url:
        path = Path(folder) / STUDY_FILE
        return JournalStorage(JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path))))
    if url.startswith(("postgresql", "sqlite", "mysql")):
        kwargs = {"connect_args": {"connect_timeout": int(timeout_s)}} if url.startswith("postgresql") else {}
        import warnings

        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        try:
            return optuna.storages.RDBStorage(
                url, engine_kwargs=kwargs, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1))
        except Exception as exc:  # sqlalchemy's OperationalError, a missing driver, ...
            # i18n: {error} is the database driver's own message
            raise ConfigError(STORAGE, _safe(url), _("a reachable database ({error})").format(
                error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")) from None
    raise ConfigError(STORAGE, _safe(url), _("a {url} URL (or none: a journal file in the study's folder)").format(
        url="postgresql+psycopg://user:password@host/db"))


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return url


def open_study(name: str, settings: SearchSettings, storage, create: bool = True):
    """The study `name`; one that exists with another search space is refused."""
    import optuna

    try:
        study = optuna.load_study(study_name=name, storage=storage,
                                  sampler=make_sampler(settings), pruner=make_pruner(settings))
    except KeyError:
        if not create:
            raise ConfigError(STUDY, name, _("an existing study in that storage")) from None
        study = optuna.create_study(study_name=name, storage=storage, direction=settings.direction,
                                    sampler=make_sampler(settings), pruner=make_pruner(settings))
        study.set_user_attr("search", settings.describe())
        return study
    recorded = study.user_attrs.get("search")
    if recorded is not None and recorded != settings.describe():
        raise ConfigError(STUDY, name, _("a new name: a study called {name} exists with another search space or "
                                           "objective (try --study {other})").format(name=repr(name), other=f"{name}-2"))
    # Joining a study (going on with it, or a second worker): a sampler seeded as the first
    # one was would propose that one's trials again.
    study.sampler = make_sampler(settings, offset=len(study.trials) * 7919 + os.getpid() % 10007)
    return study


def worker_host() -> str:
    """This worker's machine, as trials record it (OVERFIT_LAB_WORKER_HOST overrides it where
    containers share a host name)."""
    return os.environ.get("OVERFIT_LAB_WORKER_HOST") or platform.node()


_IN_PROGRESS: set[tuple[str, int]] = set()  # (study, trial number) this process is training now


def fail_dead_local_trials(study) -> int:
    """Trials left running by a worker of this host that is gone (journal storage has no
    heartbeat; on a database this is sooner than the heartbeat's grace period): marked
    failed and queued once more, so the budget is not spent on ghosts. A trial of this very
    process that is running but not in progress here is dead too (a search of the window
    that ended without telling it, say): nothing will ever tell it."""
    import optuna

    n = 0
    for t in study.get_trials(states=(optuna.trial.TrialState.RUNNING,)):
        pid, host = t.user_attrs.get("pid"), t.user_attrs.get("host")
        if host != worker_host() or pid is None:
            continue
        if int(pid) == os.getpid():
            dead = (study.study_name, t.number) not in _IN_PROGRESS
        else:
            try:
                os.kill(int(pid), 0)
                dead = False
            except ProcessLookupError:
                dead = True
            except OSError:  # alive, another user's
                dead = False
        if dead:
            if "message" not in t.user_attrs:
                study._storage.set_trial_user_attr(t._trial_id, "message",  # i18n: not shown (the study's record)
                                                   "its worker ended without telling how the trial ended")
            study.tell(t.number, state=optuna.trial.TrialState.FAIL)
            if "retry_of" not in t.user_attrs:  # its settings once more, as the heartbeat's retry does
                study.enqueue_trial(t.params, user_attrs={"retry_of": t.number})
            n += 1
    return n


class _Heartbeat:
    """Records a running trial's heartbeat (ask / tell has no thread of Optuna's doing it)."""

    def __init__(self, storage, trial_id: int, interval: int):
        import threading

        self.storage, self.trial_id, self.interval = storage, trial_id, interval
        self._stop = threading.Event()
        self.storage.record_heartbeat(trial_id)
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception:  # a blip of the database: the next beat tries again
                pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def summary_line(study) -> str:
    import optuna

    done = [t for t in study.get_trials() if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        return _("no trial completed yet")
    best = study.best_trial
    params = ", ".join(f"{k.split('.')[-1]}={v:.3g}" if isinstance(v, float) else f"{k.split('.')[-1]}={v}"
                       for k, v in best.params.items())  # (as a settings file writes them)
    # i18n: {params} are the trial's settings as name=value
    return _("best so far: trial {number}, value {value} ({params})").format(
        number=best.number, value=number(best.value, 4), params=params)


def write_study_info(folder: Path, name: str, url: str | None, settings: SearchSettings) -> None:
    from engine.core.files import atomic_write_json

    atomic_write_json(folder / "search.json", {"study": name, "storage": _safe(url) if url else STUDY_FILE,
                                               **settings.describe(), "trials": settings.trials,
                                               "sampler": settings.sampler, "pruner": settings.pruner})
