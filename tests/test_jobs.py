"""--n-jobs: local workers on one storage, devices split between them, one progress view, Ctrl-C for all."""

import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from hyperlax.cli.main import build_parser
from hyperlax.commands.options import SearchArgs, args_from_namespace, as_argv
from hyperlax.commands.study._jobs import placements
from hyperlax.commands.study._storage import make_storage
from tests.test_search import SEARCH, study_dir_of


def test_several_gpus_get_one_worker_each_and_shared_ones_do_not_preallocate():
    [a, b] = placements(2, ["0", "1"], [])
    assert (a.env, b.env) == ({"CUDA_VISIBLE_DEVICES": "0"}, {"CUDA_VISIBLE_DEVICES": "1"})
    shared = placements(3, ["0", "1"], [])
    assert [p.env["CUDA_VISIBLE_DEVICES"] for p in shared] == ["0", "1", "0"]
    assert all(p.env["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false" for p in shared)


def test_cpu_cores_are_split_into_contiguous_sets_that_cover_them_once():
    sets = [p.cores for p in placements(3, [], list(range(8)))]
    assert sets == [(0, 1, 2), (3, 4), (5, 6, 7)]
    assert [p.cores for p in placements(3, [], [0, 1])] == [(0,), (1,), (0,)]  # more workers than cores


def test_a_worker_command_line_parses_back_to_the_same_options():
    parser = build_parser()
    argv = [*SEARCH, "--n-trials", "3", "--objective-names", "final_performance", "peak_performance",
            "--no-compile-cache", "--n-jobs", "2"]  # fmt: skip
    args = args_from_namespace(SearchArgs, parser.parse_args(argv))
    again = args_from_namespace(SearchArgs, parser.parse_args(["optuna-hp-search", *as_argv(args)]))
    assert again == args


def jobs_command(root, n_trials: int) -> list:
    return [
        sys.executable, "-m", "hyperlax.cli", *SEARCH, "--n-trials", str(n_trials), "--n-jobs", "2",
        "--heartbeat-interval", "1", "--output-root", str(root),
    ]  # fmt: skip


def journal_trials(study_dir) -> list:
    if not (study_dir / "optuna_journal.log").is_file():
        raise KeyError("no journal yet")
    storage = make_storage(f"journal:{study_dir / 'optuna_journal.log'}")
    return optuna.load_study(study_name="tiny_ppo_gymnax_cartpole", storage=storage).get_trials()


def completed(study_dir) -> int:
    try:
        return sum(t.state == TrialState.COMPLETE for t in journal_trials(study_dir))
    except KeyError:  # the journal is there, the study not yet
        return 0


@pytest.mark.slow
def test_two_jobs_on_the_default_journal_train_exactly_n_trials(tmp_path):
    done = subprocess.run(jobs_command(tmp_path, 5), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    study_dir = study_dir_of(tmp_path)
    trials = journal_trials(study_dir)
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 5
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert (study_dir / "worker_0.log").is_file() and (study_dir / "worker_1.log").is_file()
    assert "5 of 5 trials finished" in done.stdout and (study_dir / "trials.csv").is_file()


@pytest.mark.slow
def test_sigint_to_the_parent_stops_every_worker_and_a_resume_finishes_the_budget(tmp_path):
    # A budget no machine finishes in the moments between two polls: the SIGINT always lands mid-study.
    parent = subprocess.Popen(jobs_command(tmp_path, 400), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    study_dir = study_dir_of(tmp_path)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and parent.poll() is None:
        time.sleep(0.2)
        if completed(study_dir) >= 2:
            break
    parent.send_signal(signal.SIGINT)
    _, err = parent.communicate(timeout=300)
    assert parent.returncode == 130, err
    assert "interrupted; the 2 workers stopped" in err and err.count("\n") == 1
    trials = journal_trials(study_dir)
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    finished = sum(t.state == TrialState.COMPLETE for t in trials)
    assert 2 <= finished < 400
    command = [sys.executable, "-m", "hyperlax.cli", "optuna-hp-search", "--resume-from", str(study_dir),
               "--n-trials", "8" if finished < 8 else str(finished + 1)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    resumed = journal_trials(study_dir)
    assert sum(t.state == TrialState.COMPLETE for t in resumed) == max(8, finished + 1)


def test_a_failed_worker_is_one_line_naming_its_log_and_exit_code_1(tmp_path, monkeypatch, capsys):
    from hyperlax.cli.main import main
    from hyperlax.commands.study import _jobs

    failing = [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"]
    monkeypatch.setattr(_jobs, "start_worker", lambda argv, placement, log: subprocess.Popen(failing))
    code = main([*SEARCH, "--n-trials", "2", "--n-jobs", "2", "--output-root", str(tmp_path), "--no-compile-cache"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    assert err.startswith("hyperlax: error: worker 0 of 2 exited with code 3") and err.endswith("worker_0.log")
