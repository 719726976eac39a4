"""The search space from the settings' own metadata: the `[search]` section (which settings,
their ranges, the objective, the budget, the sampler and the pruner), checked against each
setting's allowed values; Optuna's samplers and pruners made from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.core.config import ConfigError, check_value, field_info
from engine.core.i18n import _, integer


def _declared() -> list[tuple[str, object]]:
    """(key, the `search` metadata) of every setting its declaration offers to searches."""
    import dataclasses

    from engine.core.config import SECTIONS

    return [(f"{section}.{f.name}", f.metadata["search"]) for section, cls in SECTIONS.items()
            for f in dataclasses.fields(cls) if f.metadata.get("search") is not None]


def default_space() -> dict[str, tuple]:
    """key: (low, high, log) — what most searches of these networks tune, as each setting's
    declaration in engine.core.config says."""
    return {key: tuple(spec) for key, spec in _declared() if isinstance(spec, tuple)}


def choice_settings() -> dict[str, tuple]:
    """key: its values — the choices and switches a search may also try (not by default)."""
    out = {}
    for key, spec in _declared():
        if spec is True:
            f = field_info(key)
            kind = f.type if isinstance(f.type, str) else f.type.__name__
            out[key] = tuple(f.metadata.get("choices") or ((False, True) if kind == "bool" else ()))
    return out


def default_params(base=None) -> dict[str, dict]:
    """The default space as a `[search]` params table: the command line's default and the
    window dialog's checked settings alike (less the width where `base` trains a backbone or
    the user's own network, which have no width to change)."""
    unused = ("model.width",) if base is not None and (base.model.backbone != "none" or base.model.file) else ()
    return {k: {"low": lo, "high": hi, "log": log} for k, (lo, hi, log) in default_space().items()
            if k not in unused}


OBJECTIVES = {"val_accuracy": "maximize", "val_loss": "minimize"}


SAMPLERS = ("tpe", "random", "grid")


PRUNERS = ("median", "halving", "none")


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


RANGE_TABLE = "{low = ..., high = ..., log = true|false}"  # a searched range, as a settings file writes it
KWARGS = "model.kwargs."  # a searched keyword argument of model.file's class or function


def kwargs_name(key: str) -> str | None:
    """"model.kwargs.hidden" -> "hidden"; None for a setting's key."""
    return key[len(KWARGS):] if key.startswith(KWARGS) else None


def _kwargs_param(key: str, spec, base) -> Param:
    """A keyword argument of the user's own network (model.file): its choices, or a range
    (whole numbers where both ends are). Whether the file's signature takes it is checked
    when the first trial builds the network: nothing is imported before a run starts."""
    name = kwargs_name(key)
    if not name.isidentifier():
        raise ConfigError(f"search.{key}", spec, _("model.kwargs.NAME with NAME a keyword argument of model.file"))
    if name in ("input_shape", "num_classes"):
        raise ConfigError(f"search.{key}", spec, _("another keyword argument: the data gives {name}").format(name=name))
    if base is not None and not base.model.file:
        raise ConfigError(f"search.{key}", spec, _("a search with model.file set: model.kwargs are the keyword "
                                                   "arguments of your own network's file"))
    if isinstance(spec, list):
        if not spec:
            raise ConfigError(f"search.{key}", spec, _("a list of choices"))
        return Param(key, choices=tuple(spec))
    if not (isinstance(spec, dict) and {"low", "high"} <= set(spec)
            and all(isinstance(spec[b], (int, float)) and not isinstance(spec[b], bool) for b in ("low", "high"))):
        raise ConfigError(f"search.{key}", spec, _("a table {table} of numbers, or a list of choices").format(
            table=RANGE_TABLE))
    low, high, log = spec["low"], spec["high"], bool(spec.get("log", False))
    if not low < high:
        raise ConfigError(f"search.{key}", [low, high], _("low < high"))
    if log and low <= 0:
        raise ConfigError(f"search.{key}", [low, high], _("low > 0 on a log scale"))
    return Param(key, low, high, log, integer=isinstance(low, int) and isinstance(high, int))


def _param(key: str, spec, base=None) -> Param:
    """One searched setting, checked against the setting's own allowed values."""
    if kwargs_name(key) is not None:
        return _kwargs_param(key, spec, base)
    try:
        f = field_info(key)
    except ConfigError as exc:
        raise ConfigError(f"search.{key}", spec, _("a known setting ({allowed})").format(allowed=exc.allowed)) from None
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    meta = f.metadata
    if meta.get("choices") or kind in ("bool", "str"):
        allowed = tuple(meta.get("choices") or ((False, True) if kind == "bool" else ()))
        choices = tuple(spec) if isinstance(spec, list) and spec else allowed
        for c in choices:
            if c not in allowed:
                raise ConfigError(f"search.{key}", c, _("one of {choices}").format(choices=", ".join(map(str, allowed))))
        if not choices:
            raise ConfigError(f"search.{key}", spec, _("a list of choices"))
        return Param(key, choices=choices)
    if not (isinstance(spec, dict) and {"low", "high"} <= set(spec)):
        raise ConfigError(f"search.{key}", spec, _("a table {table}").format(table=RANGE_TABLE))
    low, high, log = spec["low"], spec["high"], bool(spec.get("log", False))
    lo, hi = meta.get("min"), meta.get("max")
    allowed = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
    for bound in (low, high):
        try:
            check_value(key, f, bound)
        except ConfigError:
            raise ConfigError(f"search.{key}", [low, high], _("a range inside the setting's allowed range {allowed}").format(
                allowed=allowed)) from None
    if not low < high:
        raise ConfigError(f"search.{key}", [low, high], _("low < high"))
    if log and low <= 0:
        raise ConfigError(f"search.{key}", [low, high], _("low > 0 on a log scale"))
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
                raise ConfigError(f"search.{name}", value, _("one of {choices}").format(choices=", ".join(choices)))
            setattr(s, name, value)
    for name, cast in (("trials", int), ("timeout_min", float), ("seed", int)):
        if name in raw:
            value = raw.pop(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 and name != "seed":
                raise ConfigError(f"search.{name}", value, _("a positive number"))
            setattr(s, name, cast(value))
    params = raw.pop("params", None)
    if raw:
        raise ConfigError(f"search.{next(iter(raw))}", raw[next(iter(raw))],
                          _("a known key of [search]: {keys}").format(
                              keys="objective, trials, timeout_min, sampler, pruner, seed, params"))
    if params is None:
        params = default_params(base)
    if not isinstance(params, dict) or not params:
        raise ConfigError("search.params", params, _("a table of settings to search"))
    s.space = {k: _param(k, v, base) for k, v in params.items()}
    if base is not None:
        _check_limits(s.space, base)
    return s


def _check_limits(space: dict[str, Param], base) -> None:
    """Limits between settings that a range can break whatever is drawn, refused now rather
    than trial by trial (the rest, such as a drawn backbone with a fixed size, the trainer
    refuses trial by trial, and the study records each refusal's message)."""
    _check_decay_corner(space, base)
    p = space.get("model.backbone_size")
    if p is not None and p.choices is None and base.model.backbone != "none":
        from engine.nets.backbones import BACKBONES  # imports torch: only for this rare search

        spec = BACKBONES[base.model.backbone]
        if p.low < spec.min_size:  # 0 (its own size) is allowed, but a range from 0 draws 1, 2, ... too
            raise ConfigError("search.model.backbone_size", [p.low, p.high],
                              # i18n: {backbone} is a backbone's name (resnet18); {least} and {own} are image sizes
                              _("a range of sizes from {least} up for the {backbone} backbone (its layers shrink the "
                                "image {least}-fold), or 0 for its own {own}").format(
                                  least=integer(spec.min_size), backbone=spec.name, own=integer(spec.size)))


def _check_decay_corner(space: dict[str, Param], base) -> None:
    """Decoupled decay with optim.lr × weight_decay ≥ 1 cannot train: a space whose smallest
    product crosses it would have every trial refused (one whose largest does only some)."""
    from engine.core.values import decoupled_decay_error

    def lowest(key):
        p = space.get(key)
        return base.get(key) if p is None else min(p.choices) if p.choices is not None else p.low

    mode = space.get("regularization.weight_decay_mode")
    if mode is not None and any(m != "decoupled" for m in mode.choices or ()):
        return
    mode = "decoupled" if mode is not None else base.regularization.weight_decay_mode
    bad = decoupled_decay_error(lowest("optim.lr"), lowest("regularization.weight_decay"), mode)
    if bad is not None:
        searched = [k for k in ("optim.lr", "regularization.weight_decay") if k in space]
        raise ConfigError(f"search.{searched[0]}" if searched else bad.key, bad.value,
                          _("a range whose lowest optim.lr × regularization.weight_decay is below 1 (every trial "
                            "would be refused: {allowed})").format(allowed=bad.allowed))


def as_updates(changes: dict[str, Any], base_kwargs: dict) -> dict[str, Any]:
    """A trial's draws as settings: model.kwargs.NAME draws merged into the base's
    [model.kwargs] table (the rest as they are)."""
    drawn = {kwargs_name(k): v for k, v in changes.items() if kwargs_name(k) is not None}
    out = {k: v for k, v in changes.items() if kwargs_name(k) is None}
    if drawn:
        out["model.kwargs"] = {**dict(base_kwargs or {}), **drawn}
    return out


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


def _AskTellGrid(grid: dict, seed: int):
    """Optuna's grid sampler saying `spent` once every grid point was tried, where its own
    calls study.stop(): that call is refused outside study.optimize (our plan asks and
    tells), and failed the search as its last grid point was told. The plan ends on it."""
    import optuna

    class AskTellGrid(optuna.samplers.GridSampler):
        spent = False

        def after_trial(self, study, trial, state, values) -> None:
            left = self._get_unvisited_grid_ids(study)  # (as GridSampler.after_trial decides to stop)
            own = study._storage.get_trial_system_attrs(trial._trial_id).get("grid_id")
            self.spent = not left or (len(left) == 1 and own == left[0])

    return AskTellGrid(grid, seed=seed)


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
        return _AskTellGrid(grid, seed=s.seed)
    return optuna.samplers.TPESampler(seed=s.seed)


def make_pruner(s: SearchSettings):
    import optuna

    if s.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=3)
    if s.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    return optuna.pruners.NopPruner()
