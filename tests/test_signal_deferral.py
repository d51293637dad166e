"""A signal that lands inside a storage call waits for the call: the storage stays usable for the cleanup
that fails the trials in training, and the run stops with the one-line exit right after the call."""

import os
import signal
import sys

import optuna
import pytest
import sqlalchemy

from hyperlax.commands import signals
from hyperlax.commands.study._storage import make_storage


@pytest.fixture
def handled():
    before, hook = {signum: signal.getsignal(signum) for signum in signals.EXIT_CODES}, sys.unraisablehook
    signals.install()
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)
    sys.unraisablehook = hook


def signal_inside_next_statement(storage, signum: int) -> list:
    """Send `signum` to this process from inside the next SQL statement the storage runs."""
    sent = []

    def send(*_):
        if not sent:
            sent.append(signum)
            os.kill(os.getpid(), signum)

    sqlalchemy.event.listen(storage.engine, "before_cursor_execute", send)
    return sent


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_inside_a_told_result_lets_the_tell_finish_and_the_cleanup_still_works(handled, tmp_path, signum):
    storage = make_storage(f"sqlite:///{tmp_path / 'study.db'}", heartbeat_interval=1)
    study = optuna.create_study(storage=storage, study_name="s")
    told, running = study.ask(), study.ask()
    sent = signal_inside_next_statement(storage, signum)
    with pytest.raises(signals.Interrupted) as stopped, signals.deferred():  # as a worker tells a result
        study.tell(told, 1.0)
    assert sent == [signum] and stopped.value.signum == signum
    assert study.trials[told.number].state == optuna.trial.TrialState.COMPLETE  # the tell was not cut short
    study.tell(running, state=optuna.trial.TrialState.FAIL)  # the cleanup that follows is not stopped again
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL"]


def test_a_signal_inside_a_storage_call_is_raised_when_the_call_returns(handled, tmp_path):
    storage = make_storage(f"sqlite:///{tmp_path / 'study.db'}", heartbeat_interval=1)
    study = optuna.create_study(storage=storage, study_name="s")
    trial = study.ask()
    signal_inside_next_statement(storage, signal.SIGTERM)
    with pytest.raises(signals.Interrupted):
        storage.set_trial_user_attr(trial._trial_id, "key", "value")
    assert study.trials[0].user_attrs == {"key": "value"}  # written before the stop


def test_a_signal_outside_storage_calls_still_stops_at_once(handled):
    with pytest.raises(signals.Interrupted):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000_000):  # the handler raises inside this loop, long before it ends
            pass
