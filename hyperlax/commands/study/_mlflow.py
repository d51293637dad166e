"""MLflow tracking of a study (--mlflow-tracking-uri; the optional `mlflow` package, the mlflow extra): a
Tracker of `_tracking`.

One parent run per study, found again by its tags (study name and storage) on a resume and by the other
workers of a shared study; one nested run per trial, logged right after the trial is told: its params
(dotted keys; lists and dicts JSON-encoded, as MLflow params are strings), its final metrics, its eval
return at every evaluation as a metric history (step = env steps; the evaluations a pruned trial never
reached are not logged), its state as the tag `hyperlax.state` and the run status (COMPLETE -> FINISHED,
PRUNED -> KILLED, FAIL -> FAILED), and its curve as a small plotly HTML artifact (eval_return.html).
This module imports mlflow; nothing imports it unless the option is given.
"""

import logging
import os
import time
from pathlib import Path

from hyperlax.commands.study._tracking import CURVE_METRIC, StudyInfo, ToldTrial, param_value

STUDY_TAG, STORAGE_TAG = "hyperlax.study_name", "hyperlax.storage"
STATE_TAG, TRIAL_TAG = "hyperlax.state", "hyperlax.trial"
RUN_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}


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


def curve_html(curve: list, title: str) -> str:
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=[s for s, _ in curve], y=[m for _, m in curve], mode="lines+markers"))
    figure.update_layout(title=title, xaxis_title="env steps", yaxis_title="mean eval return")
    return figure.to_html(include_plotlyjs="cdn", full_html=True)


class MlflowTracker:
    """The study's parent run in an MLflow experiment named after the study; `log_trial` adds a trial."""

    flag = "--mlflow-tracking-uri"

    def __init__(self, uri: str, study: StudyInfo):
        study_name = study.name
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
        self.parent = self.parent_run(study_name, study.storage, study.settings)

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

    def log_trial(self, trial: ToldTrial) -> None:
        name, state = trial.name, trial.state
        tags = {"mlflow.parentRunId": self.parent, TRIAL_TAG: str(trial.number), STATE_TAG: state}
        run_id = self.client.create_run(self.experiment_id, tags=tags, run_name=name).info.run_id
        now = int(time.time() * 1000)
        metrics = [(k, v, now, 0) for k, v in trial.metrics.items()]
        metrics += [(CURVE_METRIC, value, now, step) for step, value in trial.curve]
        params = {str(k): param_value(v) for k, v in trial.params.items()}
        for start in range(0, max(len(metrics), 1), 900):  # MLflow takes at most 1000 metrics per batch
            self.log_batch(run_id, params if start == 0 else {}, {}, metrics[start : start + 900])
        if trial.curve:
            self.client.log_text(run_id, curve_html(trial.curve, f"{name} ({state})"), "eval_return.html")
        self.client.set_terminated(run_id, RUN_STATUS.get(state, "FAILED"))

    def finish(self) -> None:
        self.client.set_terminated(self.parent, "FINISHED")
