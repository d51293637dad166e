"""The ledger: which trials count toward the budget, heartbeats of trials in training, failing and retrying.

- A trial counts toward --n-trials once it was trained: COMPLETE, PRUNED, or FAIL with a result (reason
  diverged or non-finite objective). A trial failed before training (interrupted, budget_reached, error,
  or failed by Optuna's `fail_stale_trials` after its worker died) does not count.
- The budget is the first --n-trials trials, in trial-number order, that are trained, training or waiting.
  Optuna numbers trials under a lock on the study, so every worker sees the same order.
- Each worker records a heartbeat for every trial it trains. A RUNNING trial whose heartbeat is older than
  3 heartbeat intervals belongs to a dead worker: `optuna.storages.fail_stale_trials` fails it and the
  storage's `RetryHeartbeatStaleTrialCallback` enqueues its parameters again. Storages without heartbeats
  (journal, gRPC proxy) keep no such record.
"""

import bisect
import logging
import threading
import warnings

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.storages._heartbeat import BaseHeartbeat  # not exported; fail_stale_trials checks the same
from optuna.trial import TrialState

from hyperlax.results.outcomes import Reason, reason_of

log = logging.getLogger(__name__)
FINISHED_ELSEWHERE = (optuna.exceptions.UpdateFinishedTrialError, ValueError)  # what telling a finished trial raises


def was_trained(trial) -> bool:
    """Told from a runner result: COMPLETE, PRUNED, or FAIL with a trained reason (diverged)."""
    if trial.state == TrialState.FAIL:
        reason = reason_of(trial.user_attrs.get("reason_code"))
        return "batch_dir" in trial.user_attrs and reason is not None and reason.trained
    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED)


def beyond_budget(trials: list, numbers, n_trials: int) -> list:
    """Of `numbers`, those preceded by n_trials trials that are trained, training or waiting."""
    claimed = sorted(t.number for t in trials if t.state != TrialState.FAIL or was_trained(t))
    return [n for n in numbers if bisect.bisect_left(claimed, n) >= n_trials]


class TrialIds:
    """Storage ids of trials by number, through the storage's public lookup (one query per trial)."""

    def __init__(self, storage, study_name: str):
        self.storage = storage
        self.study_id = storage.get_study_id_from_name(study_name)
        self._ids = {}

    def __call__(self, number: int) -> int:
        if number not in self._ids:
            self._ids[number] = self.storage.get_trial_id_from_study_id_trial_number(self.study_id, number)
        return self._ids[number]


class Heartbeats:
    """Keeps the trials this worker trains alive in the storage.

    Optuna records heartbeats only inside study.optimize; with ask/tell they are ours to record: one
    thread, every heartbeat interval, for every trial in training.
    """

    def __init__(self, storage, interval: int):
        self.storage, self.interval = storage, interval
        self.beats = isinstance(storage, BaseHeartbeat)  # journal and gRPC storages keep none
        self._ids, self._touched = set(), set()
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="hyperlax-heartbeats", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def add(self, trial_id: int) -> None:
        if not self.beats:
            return
        self.storage.record_heartbeat(trial_id)
        with self._lock:
            self._ids.add(trial_id)

    def discard(self, trial_id: int) -> None:
        with self._lock:
            self._ids.discard(trial_id)

    def touch_once(self, trial_id: int) -> None:
        """One heartbeat for another worker's trial. A worker killed between creating a trial and its first
        heartbeat leaves a trial that no heartbeat can age; one touch lets it turn stale. A live worker's
        trial loses nothing: its own heartbeats continue."""
        if self.beats and trial_id not in self._touched:
            self._touched.add(trial_id)
            self.storage.record_heartbeat(trial_id)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                ids = list(self._ids)
            for trial_id in ids:
                try:
                    self.storage.record_heartbeat(trial_id)
                except Exception as exc:  # a lost heartbeat is retried next interval
                    log.warning("heartbeat of trial id %d not recorded: %s", trial_id, exc)


def enqueue_retry(study, trial) -> None:
    """Optuna's retry: the trial's parameters enqueued again as a WAITING trial (system attr failed_trial)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        RetryHeartbeatStaleTrialCallback()(study, trial)


def retry_stale(study, trial) -> None:
    """The storage's callback for a trial failed by fail_stale_trials."""
    log.warning("trial %d: its worker sent no heartbeat; failed, parameters enqueued again", trial.number)
    enqueue_retry(study, trial)


def fail_untrained(
    study, trial_ids: TrialIds, trial: optuna.Trial, reason: Reason, detail: str = "", retry: bool = False
) -> bool:
    """Fail a trial that was never trained; with `retry`, enqueue its parameters again. False when
    another worker finished or failed it first."""
    try:
        trial.set_user_attr("reason_code", reason.value)
        trial.set_user_attr("reason", detail or reason.value)
        study.tell(trial, state=TrialState.FAIL)
    except FINISHED_ELSEWHERE:
        return False
    if retry and trial.params:
        enqueue_retry(study, trial_ids.storage.get_trial(trial_ids(trial.number)))
    return True


def fail_stale_trials(study, heartbeats: Heartbeats, trial_ids: TrialIds) -> None:
    """Fail (and retry) the trials of workers that stopped sending heartbeats; give a first heartbeat to
    RUNNING trials that never had one, so that they can turn stale too."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        heartbeats.touch_once(trial_ids(trial.number))
