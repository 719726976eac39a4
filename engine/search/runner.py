"""Running a search: open (or create) a study for a base run's settings, and take its
trials one after another on the experiment seam until the study's budget is spent. The
command line and the window both run searches through these."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.core.config import Config
from engine.core.control import RunControl
from engine.search.space import SearchSettings


def start_study(base: Config, settings: SearchSettings, name: str, runs_dir: Path, url: str | None):
    """Open (or create) the study `name` for `base` and `settings`: (study, its folder)."""
    from engine.search.storage import open_storage, open_study, write_study_info

    folder = Path(runs_dir) / name
    if not url:
        folder.mkdir(parents=True, exist_ok=True)  # the journal lives in it
    study = open_study(name, settings, open_storage(url, folder))
    folder.mkdir(parents=True, exist_ok=True)  # reachable and agreed: the trials' runs go here
    study.set_user_attr("base", base.to_dict())
    study.set_user_attr("settings", {"trials": settings.trials, "timeout_min": settings.timeout_min,
                                     "sampler": settings.sampler, "pruner": settings.pruner, "seed": settings.seed})
    write_study_info(folder, name, url, settings)
    return study, folder


def run_worker(study, settings: SearchSettings, base: Config, folder: Path, deadline: float | None, *,
               control: RunControl | None = None, subscribers=(),
               on_told: Callable | None = None) -> str:
    """Take trials of `study` until its budget is spent; return how the experiment ended.

    on_told(number, state, value, changes, result) is called after the study is told how
    each trial ended."""
    from engine.experiments.experiment import Experiment
    from engine.search.plan import BestLoss, Pruning, search_plan

    pruning, best_loss = Pruning(settings.objective, settings.pruner), BestLoss()
    control = control or RunControl()
    plan = search_plan(study, settings, pruning, best_loss, budget=settings.trials, deadline=deadline,
                       on_told=on_told, control=control, base_kwargs=base.model.kwargs)
    experiment = Experiment(base, plan, control=control, subscribers=[pruning, best_loss, *subscribers],
                            runs_dir=folder, name="worker", kind="search", meta={"study": study.study_name})
    return experiment.run().reason
