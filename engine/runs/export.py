"""A run folder's metrics for other tools: CSV (one row per epoch) and TensorBoard event
files. Files are written whole or not at all: a temp file (or folder) renamed into place."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from engine.core.files import atomic_write_text
from engine.core.i18n import _
from engine.runs.reader import RunRecord

SCALARS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "accuracy_gap", "loss_gap",
           "val_ece", "lr", "penalty", "epoch_time", "samples_per_sec", "train_accuracy_clean",
           "train_accuracy_corrupted")


class WriteError(OSError):
    """A destination that cannot be written; the message names it."""


class ExtraMissing(RuntimeError):
    """An optional dependency is not installed; the message says which extra brings it."""


def cannot_write(path: str | Path, exc: OSError) -> str:
    """A destination that cannot be written, named, with the system's reason."""
    return _("{path}: cannot write it ({error})").format(path=path, error=exc.strerror or exc)


def epoch_table(run: RunRecord) -> tuple[list[str], list[list]]:
    """(header, rows): one row per epoch, one column per metric and per layer's norms."""
    layers = list(run.summary.get("layer_names") or (run.epochs[0]["weight_norms"] if run.epochs else []))
    present = [k for k in SCALARS if any(e.get(k) is not None for e in run.epochs)]
    header = ["epoch", "step", *present, *(f"weight_norm/{n}" for n in layers),
              *(f"grad_norm/{n}" for n in layers), "is_best"]
    rows = [[e["epoch"], e["step"], *(e.get(k) for k in present),
             *(e["weight_norms"].get(n) for n in layers), *(e["grad_norms"].get(n) for n in layers),
             e.get("is_best", False)] for e in run.epochs]
    return header, rows


def write_csv(run: RunRecord, path: str | Path) -> Path:
    header, rows = epoch_table(run)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    try:
        return atomic_write_text(path, buffer.getvalue())
    except OSError as exc:
        raise WriteError(cannot_write(path, exc)) from exc


def write_report(report, path: str | Path) -> Path:
    """An evaluation report: .json (every field) or .csv (one row per class, then the
    headline figures)."""
    from engine.core import events as ev

    path = Path(path)
    if path.suffix.lower() == ".json":
        text = json.dumps(ev.to_record(report), indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["class", "precision", "recall", "f1", "support"])
        writer.writerows(zip(report.class_names, report.precision, report.recall, report.f1, report.support,
                             strict=True))
        writer.writerow([])
        for key in ("split", "weights", "accuracy", "loss", "macro_f1", "ece"):
            writer.writerow([key, getattr(report, key)])
        text = buffer.getvalue()
    try:
        return atomic_write_text(path, text)
    except OSError as exc:
        raise WriteError(cannot_write(path, exc)) from exc


def write_tensorboard(run: RunRecord, folder: str | Path) -> Path:
    """Scalars per epoch (loss, accuracy, gap, calibration, per-layer norms) and per step
    (the running training loss), and the settings as text, in `folder`."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        raise ExtraMissing(_("TensorBoard export needs the tensorboard package: {command} (CSV export works "
                             "without it)").format(command="pip install 'overfit-lab[tensorboard]'")) from exc
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(_("{folder}: not empty; choose a new folder for the event files").format(folder=folder))
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    except OSError as exc:
        raise WriteError(_("{folder}: cannot write there ({error})").format(folder=folder,
                                                                          error=exc.strerror or exc)) from exc
    try:
        writer = SummaryWriter(log_dir=str(tmp))
        writer.add_text("config", "```\n" + json.dumps(run.config, indent=2) + "\n```", 0)
        for e in run.epochs:
            for key in SCALARS:
                if e.get(key) is not None:
                    group = "accuracy" if "accuracy" in key else "loss" if "loss" in key else "run"
                    writer.add_scalar(f"{group}/{key}", e[key], e["epoch"])
            for layer, value in e["weight_norms"].items():
                writer.add_scalar(f"weight_norm/{layer}", value, e["epoch"])
            for layer, value in e["grad_norms"].items():
                writer.add_scalar(f"grad_norm/{layer}", value, e["epoch"])
        for s in run.steps:
            writer.add_scalar("step/train_loss", s["train_loss"], s["step"])
        writer.close()
        if folder.exists():
            folder.rmdir()  # empty (checked above)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder
