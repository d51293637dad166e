"""Journal files and the gRPC storage proxy: two optuna-hp-search workers share one study through each."""

import importlib.util
import socket
import subprocess
import sys
import threading

import optuna
import pytest
from optuna.trial import TrialState

from hyperlax.commands.study._storage import make_storage, mask_url
from tests.conftest import TINY_PPO

N_TRIALS = 5


def worker_command(storage: str, output_root, study_name: str) -> list:
    return [
        sys.executable, "-m", "hyperlax.cli", "optuna-hp-search", "--algo-and-network-config", TINY_PPO,
        "--env-config", "gymnax.cartpole", "--total-timesteps", "64", "--num-evaluations", "2",
        "--eval-episodes", "2", "--num-seeds", "2", "--storage", storage, "--study-name", study_name,
        "--n-trials", str(N_TRIALS), "--optuna-study-batch-size", "4", "--runner-hparam-batch-size", "4",
        "--heartbeat-interval", "2", "--output-root", str(output_root),
    ]  # fmt: skip


def run_two_workers(storage: str, tmp_path, study_name: str) -> list:
    """Two workers of one study (each its own output root, as on two machines); their trials, read back."""
    commands = [worker_command(storage, tmp_path / f"out{i}", study_name) for i in range(2)]
    workers = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in commands]
    outputs = [w.communicate(timeout=600)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], "\n".join(outputs)
    return optuna.load_study(study_name=study_name, storage=make_storage(storage)).get_trials()


def assert_exactly_n_trials(trials: list) -> None:
    assert sum(t.state == TrialState.COMPLETE for t in trials) == N_TRIALS
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert all(t.user_attrs.get("reason") == "budget_reached" for t in trials if t.state == TrialState.FAIL)


def test_a_journal_url_names_a_file_and_keeps_its_path_as_given(tmp_path):
    url = f"journal:{tmp_path / 'study.log'}"
    assert mask_url(url) == url
    storage = make_storage(url)
    assert isinstance(storage, optuna.storages.JournalStorage) and (tmp_path / "study.log").is_file()


@pytest.mark.slow
def test_two_workers_on_one_journal_file_train_exactly_n_trials(tmp_path):
    trials = run_two_workers(f"journal:{tmp_path / 'study.log'}", tmp_path, "journal")
    assert_exactly_n_trials(trials)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("grpc") is None, reason="needs grpcio: pip install -e '.[grpc]'")
def test_two_workers_through_a_grpc_proxy_train_exactly_n_trials(tmp_path):
    port = free_port()
    backend = optuna.storages.get_storage(f"sqlite:///{tmp_path / 'behind_proxy.db'}")
    server = threading.Thread(
        target=optuna.storages.run_grpc_proxy_server, args=(backend,), kwargs={"host": "127.0.0.1", "port": port},
        daemon=True,
    )  # fmt: skip
    server.start()
    trials = run_two_workers(f"grpc://127.0.0.1:{port}", tmp_path, "grpc")
    assert_exactly_n_trials(trials)
    # the proxy wrote through to its storage
    assert len(optuna.load_study(study_name="grpc", storage=backend).get_trials()) == len(trials)


USER_SAMPLER = """
import optuna


class Marking(optuna.samplers.RandomSampler):
    def before_trial(self, study, trial):
        study._storage.set_trial_user_attr(trial._trial_id, "sampled_by", "Marking")
"""


def test_a_users_sampler_class_from_a_file_draws_the_trials(tmp_path):
    from tests.test_search import SEARCH, load, run_cli, study_dir_of

    (tmp_path / "mine.py").write_text(USER_SAMPLER)
    argv = [*SEARCH, "--sampler", f"{tmp_path / 'mine.py'}:Marking", "--n-trials", "2", "--study-name", "user"]
    code, _, _ = run_cli([*argv, "--output-root", str(tmp_path / "out")])
    assert code == 0
    trials = load(study_dir_of(tmp_path / "out"), "user").get_trials()
    assert len(trials) == 2 and all(t.user_attrs["sampled_by"] == "Marking" for t in trials)


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_study_list_shows_each_study_with_trials_by_state_and_best_value(tmp_path, capsys, kind):
    from tests.test_search import run_cli

    url = f"sqlite:///{tmp_path / 's.db'}" if kind == "sqlite" else f"journal:{tmp_path / 's.log'}"
    first = optuna.create_study(study_name="first", storage=make_storage(url), direction="maximize")
    for value in (1.0, 3.5):
        first.tell(first.ask(), value)
    first.tell(first.ask(), state=TrialState.PRUNED)
    second = optuna.create_study(study_name="second", storage=make_storage(url), directions=["minimize", "maximize"])
    second.ask()
    code, out, _ = run_cli(["study-list", "--storage", url], capsys)
    assert code == 0
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]] for line in out.splitlines()
            if line.startswith("│") and line.split("│")[1].strip()}  # fmt: skip
    assert rows["first"][:6] == ["maximize", "2", "1", "0", "0", "0"] and "3.5" in rows["first"][6]
    assert rows["second"][1:6] == ["0", "0", "0", "1", "0"]
