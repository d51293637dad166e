"""MLflow tracking of a study (--mlflow-tracking-uri; the optional `mlflow` package, `hyperlax[mlflow]`).

One parent run per study, found again by its tags (study name and storage) on a resume and by the other
workers of a shared study; one nested run per trial, logged right after the trial is told: its params
(dotted keys; lists and dicts JSON-encoded, as MLflow params are strings), its final metrics, its eval
return at every evaluation as a metric history (step = env steps; the evaluations a pruned trial never
reached are not logged), its state as the tag `hyperlax.state` and the run status (COMPLETE -> FINISHED,
PRUNED -> KILLED, FAIL -> FAILED), and its curve as a small plotly HTML artifact (eval_return.html).
Tracking never stops a study: a failure to log is a warning. This module imports mlflow; nothing imports
it unless the option is given.
"""

import json
import logging
import math
import os
import time
from pathlib import Path

import numpy as np

from hyperlax.results.files import SUMMARY_COLUMNS

log = logging.getLogger(__name__)
STUDY_TAG, STORAGE_TAG = "hyperlax.study_name", "hyperlax.storage"
STATE_TAG, TRIAL_TAG = "hyperlax.state", "hyperlax.trial"
RUN_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}
CURVE_METRIC = "eval_return"


def allow_file_store(uri: str) -> None:
    """MLflow 3 refuses its file store (maintenance mode) unless told; a `file:` URI (or a plain path) asks
    for exactly that store, so it is allowed here."""
    if uri.startswith("file:") or "://" not in uri and not uri.startswith(("sqlite:", "databricks")):
        if not os.environ.get("MLFLOW_ALLOW_FILE_STORE"):
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"


def artifact_location(uri: str) -> str | None:
    """A sqlite:/// store keeps its artifacts beside its file (mlflow_artifacts/), not in ./mlruns of wherever
    the study was started; other stores keep MLflow's default."""
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlflow_artifacts").as_uri()


def quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


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


def curve_html(curve: list, title: str) -> str:
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=[s for s, _ in curve], y=[m for _, m in curve], mode="lines+markers"))
    figure.update_layout(title=title, xaxis_title="env steps", yaxis_title="mean eval return")
    return figure.to_html(include_plotlyjs="cdn", full_html=True)


class Tracker:
    """The study's parent run in an MLflow experiment named after the study; `log_trial` adds a trial."""

    def __init__(self, uri: str, study_name: str, storage: str, settings: dict):
        allow_file_store(uri)
        from mlflow import MlflowClient

        logging.getLogger("mlflow").setLevel(logging.WARNING)  # its store's INFO lines would break the progress bar
        self.client = MlflowClient(tracking_uri=uri)
        experiment = self.client.get_experiment_by_name(study_name)
        self.experiment_id = (
            experiment.experiment_id
            if experiment is not None
            else self.client.create_experiment(study_name, artifact_location=artifact_location(uri))
        )
        self.parent = self.parent_run(study_name, storage, settings)

    def parent_run(self, study_name: str, storage: str, settings: dict) -> str:
        query = f"tags.`{STUDY_TAG}` = {quoted(study_name)} and tags.`{STORAGE_TAG}` = {quoted(storage)}"
        found = self.client.search_runs([self.experiment_id], filter_string=query, max_results=1)
        if found:
            run_id = found[0].info.run_id
            self.client.update_run(run_id, status="RUNNING")
            return run_id
        tags = {STUDY_TAG: study_name, STORAGE_TAG: storage}
        run = self.client.create_run(self.experiment_id, tags=tags, run_name=study_name)
        self.log_batch(run.info.run_id, {k: param_value(v) for k, v in settings.items() if v is not None}, {}, [])
        return run.info.run_id

    def log_batch(self, run_id: str, params: dict, tags: dict, metrics: list) -> None:
        from mlflow.entities import Metric, Param, RunTag

        self.client.log_batch(
            run_id,
            metrics=[Metric(key, value, timestamp, step) for key, value, timestamp, step in metrics],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )

    def log_trial(self, number: int, state: str, row: dict, trial_dir: Path) -> None:
        [stored] = json.loads((trial_dir / "hparams.json").read_text())
        name = f"trial_{number:05d}"
        tags = {"mlflow.parentRunId": self.parent, TRIAL_TAG: str(number), STATE_TAG: state}
        run_id = self.client.create_run(self.experiment_id, tags=tags, run_name=name).info.run_id
        now = int(time.time() * 1000)
        curve = curve_of(trial_dir)
        metrics = [(k, v, now, 0) for k, v in final_metrics(row).items()]
        metrics += [(CURVE_METRIC, value, now, step) for step, value in curve]
        params = {str(k): param_value(v) for k, v in stored["values"].items()}
        for start in range(0, max(len(metrics), 1), 900):  # MLflow takes at most 1000 metrics per batch
            self.log_batch(run_id, params if start == 0 else {}, {}, metrics[start : start + 900])
        if curve:
            self.client.log_text(run_id, curve_html(curve, f"{name} ({state})"), "eval_return.html")
        self.client.set_terminated(run_id, RUN_STATUS.get(state, "FAILED"))

    def finish(self) -> None:
        self.client.set_terminated(self.parent, "FINISHED")


def open_tracker(uri: str | None, study_name: str, storage: str, settings: dict):
    """The study's tracker, or None (no URI, or MLflow cannot be reached: a warning, and the study goes on)."""
    if uri is None:
        return None
    try:
        return Tracker(uri, study_name, storage, settings)
    except Exception as exc:
        log.warning("--mlflow-tracking-uri %s: cannot open it, the study is not tracked: %s", uri, exc)
        return None


def track_trial(tracker, number: int, state: str, row: dict, trial_dir: Path) -> None:
    if tracker is None:
        return
    try:
        tracker.log_trial(number, state, row, trial_dir)
    except Exception as exc:
        log.warning("--mlflow-tracking-uri: trial %d was not logged: %s", number, exc)


def finish_tracking(tracker) -> None:
    if tracker is None:
        return
    try:
        tracker.finish()
    except Exception as exc:
        log.warning("--mlflow-tracking-uri: the study's run was not closed: %s", exc)
