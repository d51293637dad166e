"""Tracking a study: one interface, three trackers (each an optional extra, imported only when its flag is given).

A tracker opens when the study's worker starts (`StudyInfo`: the study's name, storage and settings), logs each
trial right after it is told (`ToldTrial`: its params by dotted key, its final metrics, its state and its eval
return at every evaluation it reached, step = env steps) and ends with the worker. MLflow (`_mlflow`,
--mlflow-tracking-uri), Weights & Biases (`_wandb`, --wandb-project) and TensorBoard event files (`_tensorboard`,
--tensorboard-dir) implement it; several may be given at once. Tracking never stops a study: a tracker that cannot
open or log is a warning naming its flag.
"""

import importlib
import importlib.util
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from hyperlax.errors import InputError
from hyperlax.results.files import SUMMARY_COLUMNS

log = logging.getLogger(__name__)
CURVE_METRIC = "eval_return"
TRACKING_SCHEMES = ("file", "sqlite", "http", "https", "postgresql", "mysql", "mssql", "databricks")


@dataclass(frozen=True)
class StudyInfo:
    name: str
    storage: str  # the study's storage URL without its password
    settings: dict  # recipe, env, seeds, budget, sampler, pruner, objectives


@dataclass(frozen=True)
class ToldTrial:
    number: int
    state: str  # COMPLETE, PRUNED or FAIL
    params: dict  # dotted key -> value, as trained
    metrics: dict  # the finite final metrics (final_performance, peak_performance, ...)
    curve: list  # (env steps, mean eval return) at each evaluation reached

    @property
    def name(self) -> str:
        return f"trial_{self.number:05d}"


class Tracker(Protocol):
    """Opened with (its flag's value, StudyInfo): the study's start. `flag` names it in warnings."""

    flag: str

    def log_trial(self, trial: ToldTrial) -> None: ...

    def finish(self) -> None: ...


# option -> (module, class): imported only when the option is given, as each needs its extra.
TRACKERS = {
    "mlflow_tracking_uri": ("hyperlax.commands.study._mlflow", "MlflowTracker"),
    "wandb_project": ("hyperlax.commands.study._wandb", "WandbTracker"),
    "tensorboard_dir": ("hyperlax.commands.study._tensorboard", "TensorBoardTracker"),
}
EXTRAS = {  # option -> (flag, module it needs, extra)
    "mlflow_tracking_uri": ("--mlflow-tracking-uri", "mlflow", "mlflow"),
    "wandb_project": ("--wandb-project", "wandb", "wandb"),
    "tensorboard_dir": ("--tensorboard-dir", "tensorboardX", "tensorboard"),
}


def param_value(value) -> str:
    return json.dumps(value) if isinstance(value, (list, dict, tuple)) else str(value)


def final_metrics(row: dict) -> dict:
    """The row's numeric summary metrics (final_performance, peak_performance, ...), finite ones only."""
    metrics = {}
    for key in SUMMARY_COLUMNS:
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            metrics[key] = float(value)
    return metrics


def curve_of(trial_dir: Path) -> list:
    """(env steps, mean eval return) at each evaluation the trial reached, from its curves.npz."""
    with np.load(trial_dir / "curves.npz") as data:
        returns, steps = data["returns"], np.asarray(data["eval_steps"]).reshape(-1)
    means = np.asarray(returns, dtype=float)[0].mean(axis=(0, 2))  # [1, seeds, evaluations, episodes]
    return [(int(s), float(m)) for s, m in zip(steps, means, strict=False) if math.isfinite(m)]


def told_trial(number: int, state: str, row: dict, trial_dir: Path) -> ToldTrial:
    [stored] = json.loads((trial_dir / "hparams.json").read_text())
    return ToldTrial(number, state, dict(stored["values"]), final_metrics(row), curve_of(trial_dir))


class Trackers:
    """The trackers a study was given, as one: a failure of one is a warning, the others go on."""

    def __init__(self, trackers: list):
        self.trackers = trackers

    def log_trial(self, number: int, state: str, row: dict, trial_dir: Path) -> None:
        try:
            trial = told_trial(number, state, row, trial_dir)
        except Exception as exc:  # the trial's files cannot be read: no tracker logs it, the study goes on
            log.warning("tracking: trial %d was not logged: %s", number, exc)
            return
        for tracker in self.trackers:
            try:
                tracker.log_trial(trial)
            except Exception as exc:
                log.warning("%s: trial %d was not logged: %s", tracker.flag, number, exc)

    def finish(self) -> None:
        for tracker in self.trackers:
            try:
                tracker.finish()
            except Exception as exc:
                log.warning("%s: the study's tracking was not closed: %s", tracker.flag, exc)


def open_trackers(given: dict, study: StudyInfo) -> Trackers | None:
    """The trackers of the given options ({option: value}, unset ones None), or None when none is given; one
    that cannot open is a warning, and the study goes on without it."""
    opened = []
    for option, value in given.items():
        if value is None:
            continue
        module, name = TRACKERS[option]
        try:
            opened.append(getattr(importlib.import_module(module), name)(value, study))
        except Exception as exc:
            log.warning("%s %s: cannot open it, the study is not tracked there: %s", EXTRAS[option][0], value, exc)
    return Trackers(opened) if opened else None


def check_trackers(given: dict) -> None:
    """Each given tracker's value, and its package installed (a one-line error naming the extra)."""
    check_tracking_uri(given.get("mlflow_tracking_uri"))
    project = given.get("wandb_project")
    if project is not None and (not project.strip() or any(c in project for c in "/\\#?%:")):
        raise InputError(f"--wandb-project {project!r}: expected a W&B project name (letters, digits, - _ .)")
    directory = given.get("tensorboard_dir")
    if directory is not None and (not directory.strip() or Path(directory).is_file()):
        raise InputError(f"--tensorboard-dir {directory!r}: expected a directory (one sub-directory per trial)")
    for option, value in given.items():
        flag, module, extra = EXTRAS[option]
        if value is not None and importlib.util.find_spec(module) is None:
            raise InputError(f'{flag} needs the {module} package: pip install -e ".[{extra}]"')


def check_tracking_uri(uri: str | None) -> None:
    """--mlflow-tracking-uri: a URI of a store MLflow knows."""
    if uri is None:
        return
    scheme = uri.split(":", 1)[0].split("+", 1)[0] if ":" in uri else ""
    if not uri.strip() or scheme not in TRACKING_SCHEMES:
        raise InputError(
            f"--mlflow-tracking-uri {uri!r}: expected a URI of {', '.join(f'{s}:' for s in TRACKING_SCHEMES)} "
            "(e.g. file:/tmp/mlruns or sqlite:///mlflow.db)"
        )
