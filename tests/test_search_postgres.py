"""Two optuna-hp-search workers share one study in a real PostgreSQL.

Start a server with `eval "$(bash .ci/start_postgres.sh)"`, which sets HYPERLAX_TEST_POSTGRES_URL.
"""

import os
import subprocess
import sys
import uuid

import optuna
import pytest
import sqlalchemy
from optuna.trial import TrialState

from tests.conftest import TINY_PPO

URL = os.environ.get("HYPERLAX_TEST_POSTGRES_URL")
if os.environ.get("CI") and not URL:  # CI must run this test for real, never skip it
    raise RuntimeError("CI is set but HYPERLAX_TEST_POSTGRES_URL is not: .ci/run starts PostgreSQL and sets it")
pytestmark = pytest.mark.skipif(
    not URL,
    reason='HYPERLAX_TEST_POSTGRES_URL is not set; eval "$(bash .ci/start_postgres.sh)" starts a server and sets it',
)


def test_two_workers_train_exactly_n_trials_and_leave_none_running(tmp_path):
    study_name = f"two-workers-{uuid.uuid4().hex[:8]}"
    n_trials = 6
    command = [
        sys.executable,
        "-m",
        "hyperlax.cli",
        "optuna-hp-search",
        "--algo-and-network-config",
        TINY_PPO,
        "--env-config",
        "gymnax.cartpole",
        "--total-timesteps",
        "64",
        "--num-evaluations",
        "2",
        "--eval-episodes",
        "2",
        "--storage",
        URL,
        "--study-name",
        study_name,
        "--n-trials",
        str(n_trials),
        "--optuna-study-batch-size",
        "4",
        "--runner-hparam-batch-size",
        "4",
        "--heartbeat-interval",
        "2",
        "--output-root",
        str(tmp_path / "out"),
    ]
    workers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    try:
        assert [w.returncode for w in workers] == [0, 0], "\n".join(outputs)
        trials = optuna.load_study(study_name=study_name, storage=URL).get_trials()
        assert sum(t.state == TrialState.COMPLETE for t in trials) == n_trials
        assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
        # a trial asked beyond the budget by the racing worker is failed untrained
        assert all(
            t.user_attrs.get("reason") == "budget_reached" and "batch_dir" not in t.user_attrs
            for t in trials
            if t.state == TrialState.FAIL
        )
        assert len({t.user_attrs["worker"] for t in trials if t.state == TrialState.COMPLETE}) >= 1
        password = sqlalchemy.engine.make_url(URL).password
        written = [
            p.read_text(errors="replace") for p in (tmp_path / "out").rglob("*") if p.is_file() and p.suffix != ".npz"
        ]
        assert password and not [text for text in [*outputs, *written] if password in text]
    finally:
        optuna.delete_study(study_name=study_name, storage=URL)
