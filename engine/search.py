"""Hyperparameter search on Optuna: the search space from the settings' own metadata, every
trial a normal run folder, the study in a journal file of the experiment folder (several
local worker processes share it) or in PostgreSQL (workers on many machines).

Written here: the `[search]` section (which settings, their ranges, the objective, the
budget, sampler and pruner), the bridge from Optuna's ask / tell to the experiment seam (a
generator plan), pruning fed with the validation metric every epoch, and marking the
trials of a worker that died. Optuna does the rest. The test split is never read."""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.callbacks import Callback
from engine.config import ConfigError, check_value, field_info

DEFAULT_SPACE = {  # key: (low, high, log) — what most searches of these networks tune
    "optim.lr": (1e-4, 1e-1, True),
    "regularization.dropout": (0.0, 0.7, False),
    "regularization.weight_decay": (1e-3, 10.0, True),
    "model.width": (16, 1024, True),
}
OBJECTIVES = {"val_accuracy": "maximize", "val_loss": "minimize"}
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "halving", "none")
STUDY_FILE = "study.journal"
HEARTBEAT_S, GRACE_S = 5, 20  # a worker silent for 20 s is gone: its trial fails and is retried


@dataclass
class Param:
    key: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple | None = None
    integer: bool = False


@dataclass
class SearchSettings:
    space: dict[str, Param] = field(default_factory=dict)
    objective: str = "val_accuracy"
    trials: int = 20
    timeout_min: float | None = None
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int = 0

    @property
    def direction(self) -> str:
        return OBJECTIVES[self.objective]

    def describe(self) -> dict:
        """What must agree for two processes to share a study."""
        return {"objective": self.objective,
                "space": {k: [p.low, p.high, p.log, list(p.choices) if p.choices else None]
                          for k, p in sorted(self.space.items())}}


def _param(key: str, spec) -> Param:
    """One searched setting, checked against the setting's own allowed values."""
    try:
        f = field_info(key)
    except ConfigError as exc:
        raise ConfigError(f"search.{key}", spec, f"a known setting ({exc.allowed})") from None
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    meta = f.metadata
    if meta.get("choices") or kind in ("bool", "str"):
        allowed = tuple(meta.get("choices") or ((False, True) if kind == "bool" else ()))
        choices = tuple(spec) if isinstance(spec, list) and spec else allowed
        for c in choices:
            if c not in allowed:
                raise ConfigError(f"search.{key}", c, f"one of {', '.join(map(str, allowed))}")
        if not choices:
            raise ConfigError(f"search.{key}", spec, "a list of choices")
        return Param(key, choices=choices)
    if not (isinstance(spec, dict) and {"low", "high"} <= set(spec)):
        raise ConfigError(f"search.{key}", spec, "a table {low = ..., high = ..., log = true|false}")
    low, high, log = spec["low"], spec["high"], bool(spec.get("log", False))
    lo, hi = meta.get("min"), meta.get("max")
    allowed = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
    for bound in (low, high):
        try:
            check_value(key, f, bound)
        except ConfigError:
            raise ConfigError(f"search.{key}", [low, high], f"a range inside the setting's allowed range {allowed}") from None
    if not low < high:
        raise ConfigError(f"search.{key}", [low, high], "low < high")
    if log and low <= 0:
        raise ConfigError(f"search.{key}", [low, high], "low > 0 on a log scale")
    return Param(key, low, high, log, integer=kind == "int")


def search_settings(raw: dict | None, base=None) -> SearchSettings:
    """The `[search]` section of a settings file (absent: the default space, less the width
    where `base` trains a backbone, which has no width to change)."""
    raw = dict(raw or {})
    s = SearchSettings()
    for name, choices in (("objective", OBJECTIVES), ("sampler", SAMPLERS), ("pruner", PRUNERS)):
        if name in raw:
            value = raw.pop(name)
            if value not in choices:
                raise ConfigError(f"search.{name}", value, f"one of {', '.join(choices)}")
            setattr(s, name, value)
    for name, cast in (("trials", int), ("timeout_min", float), ("seed", int)):
        if name in raw:
            value = raw.pop(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 and name != "seed":
                raise ConfigError(f"search.{name}", value, "a positive number")
            setattr(s, name, cast(value))
    params = raw.pop("params", None)
    if raw:
        raise ConfigError(f"search.{next(iter(raw))}", raw[next(iter(raw))],
                          "a known key of [search]: objective, trials, timeout_min, sampler, pruner, seed, params")
    if params is None:
        unused = ("model.width",) if base is not None and base.model.backbone != "none" else ()
        params = {k: {"low": lo, "high": hi, "log": log} for k, (lo, hi, log) in DEFAULT_SPACE.items()
                  if k not in unused}
    if not isinstance(params, dict) or not params:
        raise ConfigError("search.params", params, "a table of settings to search")
    s.space = {k: _param(k, v) for k, v in params.items()}
    return s


def suggest(trial, space: dict[str, Param]) -> dict[str, Any]:
    out = {}
    for key, p in space.items():
        if p.choices is not None:
            out[key] = trial.suggest_categorical(key, list(p.choices))
        elif p.integer:
            out[key] = trial.suggest_int(key, int(p.low), int(p.high), log=p.log)
        else:
            out[key] = trial.suggest_float(key, float(p.low), float(p.high), log=p.log)
    return out


def make_sampler(s: SearchSettings, offset: int = 0):
    import optuna

    s = SearchSettings(**{**s.__dict__, "seed": s.seed + offset})

    if s.sampler == "random":
        return optuna.samplers.RandomSampler(seed=s.seed)
    if s.sampler == "grid":
        grid = {}
        for key, p in s.space.items():
            if p.choices is not None:
                grid[key] = list(p.choices)
            else:  # five points per range, on the range's scale
                pts = [p.low * (p.high / p.low) ** (i / 4) if p.log else p.low + (p.high - p.low) * i / 4
                       for i in range(5)]
                grid[key] = sorted({int(round(v)) if p.integer else v for v in pts})
        return optuna.samplers.GridSampler(grid, seed=s.seed)
    return optuna.samplers.TPESampler(seed=s.seed)


def make_pruner(s: SearchSettings):
    import optuna

    if s.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=3)
    if s.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    return optuna.pruners.NopPruner()


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
            raise ConfigError("storage", _safe(url), f"a reachable database ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200]})") from None
    raise ConfigError("storage", _safe(url), "a postgresql+psycopg://user:password@host/db URL (or none: a "
                      "journal file in the study's folder)")


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
            raise ConfigError("study", name, "an existing study in that storage") from None
        study = optuna.create_study(study_name=name, storage=storage, direction=settings.direction,
                                    sampler=make_sampler(settings), pruner=make_pruner(settings))
        study.set_user_attr("search", settings.describe())
        return study
    recorded = study.user_attrs.get("search")
    if recorded is not None and recorded != settings.describe():
        raise ConfigError("study", name, f"a new name: a study called {name!r} exists with another search "
                          f"space or objective (try --study {name}-2)")
    # Joining a study (going on with it, or a second worker): a sampler seeded as the first
    # one was would propose that one's trials again.
    study.sampler = make_sampler(settings, offset=len(study.trials) * 7919 + os.getpid() % 10007)
    return study


def worker_host() -> str:
    """This worker's machine, as trials record it (OVERFIT_LAB_WORKER_HOST overrides it where
    containers share a host name)."""
    return os.environ.get("OVERFIT_LAB_WORKER_HOST") or platform.node()


def fail_dead_local_trials(study) -> int:
    """Trials left running by a worker of this host that is gone (journal storage has no
    heartbeat; on a database this is sooner than the heartbeat's grace period): marked
    failed and queued once more, so the budget is not spent on ghosts."""
    import optuna

    n = 0
    for t in study.get_trials(states=(optuna.trial.TrialState.RUNNING,)):
        pid, host = t.user_attrs.get("pid"), t.user_attrs.get("host")
        if host == worker_host() and pid is not None and pid != os.getpid():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                study.tell(t.number, state=optuna.trial.TrialState.FAIL)
                if "retry_of" not in t.user_attrs:  # its settings once more, as the heartbeat's retry does
                    study.enqueue_trial(t.params, user_attrs={"retry_of": t.number})
                n += 1
            except OSError:
                pass
    return n


class Pruning(Callback):
    """Reports the validation metric to the Optuna trial after every epoch; a hopeless trial
    stops (its run reads "early stopped: pruned at epoch N")."""

    def __init__(self, objective: str):
        self.objective = objective
        self.trial = None
        self.pruned = False

    def on_epoch_end(self, trainer, metrics: ev.EpochMetrics) -> None:
        if self.trial is None:
            return
        value = getattr(metrics, self.objective)
        self.trial.report(value, metrics.epoch)
        if self.trial.should_prune():
            self.pruned = True
            trainer.should_stop = True
            trainer.stop_message = f"pruned at epoch {metrics.epoch}: {self.objective} {value:.4f} is worse than " \
                                   "the median of earlier trials there"


def trial_value(result: ev.RunFinished, objective: str, history_best: float | None) -> float | None:
    f = result.final_metrics or {}
    if objective == "val_accuracy":
        return f.get("max_val_accuracy")
    return history_best


class BestLoss(Callback):
    def __init__(self):
        self.best = None

    def on_event(self, event) -> None:
        if isinstance(event, ev.RunStarted):
            self.best = None
        elif isinstance(event, ev.EpochMetrics) and math.isfinite(event.val_loss):
            self.best = event.val_loss if self.best is None else min(self.best, event.val_loss)


def search_plan(study, settings: SearchSettings, pruning: Pruning, best_loss: BestLoss, *, budget: int,
                deadline: float | None, on_told=None, control=None):
    """A generator plan for Experiment: asks the study for a trial, yields its settings,
    tells the study how the run ended — until the study holds `budget` finished or running
    trials (shared by every worker) or the deadline passes."""
    import optuna

    TS = optuna.trial.TrialState
    counted = (TS.COMPLETE, TS.PRUNED, TS.RUNNING)  # a failed trial is no trial: retried or replaced
    heartbeat = hasattr(study._storage, "record_heartbeat") and study._storage.get_heartbeat_interval()
    while True:
        fail_dead_local_trials(study)
        if heartbeat:
            optuna.storages.fail_stale_trials(study)  # a killed worker's trial: failed, and retried
        done = len(study.get_trials(states=(TS.COMPLETE, TS.PRUNED)))
        if done >= budget or (control is not None and control.stop_requested):
            return
        if deadline is not None and time.time() >= deadline:
            return
        if len(study.get_trials(states=counted)) >= budget:  # the rest are running somewhere:
            time.sleep(1.0)  # wait for them, or for the heartbeat to fail a dead worker's and retry it
            continue
        if len(study.get_trials(states=(TS.FAIL,))) > budget:
            return  # every trial fails: the settings, not bad luck
        trial = study.ask()
        ahead = [t for t in study.get_trials(states=counted) if t.number < trial.number]
        if len(ahead) >= budget:  # another worker asked at the same moment and took the last one
            trial.set_user_attr("message", "not run: other workers had taken the study's last trials")
            study.tell(trial, state=TS.FAIL)
            continue
        beat = _Heartbeat(study._storage, trial._trial_id, heartbeat) if heartbeat else None
        trial.set_user_attr("pid", os.getpid())
        trial.set_user_attr("host", worker_host())
        pruning.trial, pruning.pruned = trial, False
        changes = suggest(trial, settings.space)
        try:
            finished = yield {**changes, "run.name": f"trial-{trial.number}"}
        finally:
            if beat is not None:
                beat.stop()
        result = finished.result
        trial.set_user_attr("run_dir", finished.run_dir)
        trial.set_user_attr("epochs", result.epochs_completed)
        value = trial_value(result, settings.objective, best_loss.best)
        if pruning.pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            state = "pruned"
        elif result.reason in (ev.COMPLETED, ev.EARLY_STOPPED) and value is not None:
            study.tell(trial, value)
            state = "complete"
        else:
            trial.set_user_attr("message", result.message[:500])
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            state = "failed"
        if on_told is not None:
            on_told(trial.number, state, value, changes, result)
        if result.reason == ev.USER_STOPPED:
            return


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
        return "no trial completed yet"
    best = study.best_trial
    params = ", ".join(f"{k.split('.')[-1]}={v:.3g}" if isinstance(v, float) else f"{k.split('.')[-1]}={v}"
                       for k, v in best.params.items())
    return f"best so far: trial {best.number}, value {best.value:.4f} ({params})"


def write_study_info(folder: Path, name: str, url: str | None, settings: SearchSettings) -> None:
    from engine.files import atomic_write_json

    atomic_write_json(folder / "search.json", {"study": name, "storage": _safe(url) if url else STUDY_FILE,
                                               **settings.describe(), "trials": settings.trials,
                                               "sampler": settings.sampler, "pruner": settings.pruner})


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
