"""Signals and concurrent runs, through real processes: Ctrl-C or SIGTERM keeps every finished trial and
says so in one line; a resume trains none of them again; two runs never write one directory."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from hyperlax.commands import signals
from hyperlax.commands.study import was_trained
from tests.test_search import SEARCH, load, run_cli, study_dir_of
from tests.test_sweep_cli import FAST

pytestmark = pytest.mark.slow  # real processes, each starting JAX


def start(argv: list) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hyperlax.cli", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def wait_for(predicate, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def trial_dirs(study_dir: Path) -> dict:
    """Trial number -> its directories that are complete (a trial trained twice would have two)."""
    dirs = {}
    for success in study_dir.glob("pool_*/trial_*/success.txt"):
        dirs.setdefault(int(success.parent.name.split("_")[1]), []).append(success.parent)
    return dirs


@pytest.mark.parametrize(
    "signum, code, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_a_signal_just_after_the_first_trial_keeps_it_and_a_resume_trains_no_finished_trial_again(
    signum, code, word, tmp_path
):
    argv = [*SEARCH, "--study-name", "sig", "--n-trials", "8", "--total-timesteps", "2048", "--num-evaluations", "4",
            "--runner-hparam-batch-size", "2", "--optuna-study-batch-size", "2", "--heartbeat-interval", "1",
            "--output-root", str(tmp_path)]  # fmt: skip
    study_dir = study_dir_of(tmp_path)
    worker = start(argv)
    wait_for(lambda: bool(trial_dirs(study_dir)))
    time.sleep(0.3)
    worker.send_signal(signum)
    err = worker.communicate(timeout=120)[1]
    assert worker.returncode == code, err
    assert err.startswith(f"hyperlax: {word}; ") and err.count("\n") == 1 and "finished trials are kept" in err, err
    kept = trial_dirs(study_dir)
    told = {t.number for t in load(study_dir, "sig").get_trials() if was_trained(t)}
    assert set(kept) == told  # every written trial was told, none told without its directory
    plots = study_dir / "analysis_plots"
    assert (plots / "optimization_history.html").is_file() and (study_dir / "trials.csv").is_file()
    for page in plots.glob("*.html"):  # study-plots regenerates them from storage
        page.unlink()
    assert run_cli(["study-plots", "--study-dir", str(study_dir)])[0] == 0
    assert (plots / "optimization_history.html").is_file() and (plots / "slice.html").is_file()

    assert run_cli(["optuna-hp-search", "--resume-from", str(study_dir)])[0] == 0

    trials = load(study_dir, "sig").get_trials()
    assert sum(map(was_trained, trials)) == 8
    after = trial_dirs(study_dir)
    assert all(len(dirs) == 1 for dirs in after.values())  # no trial trained twice
    assert all(after[n] == kept[n] for n in kept)  # the kept ones untouched
    params = [json.dumps(t.params, sort_keys=True) for t in trials if was_trained(t)]
    assert len(set(params)) == len(params)  # no finished trial's parameters trained again as a retry


def test_ctrl_c_while_jax_starts_stops_the_run_with_exit_130_and_one_line(tmp_path):
    worker = start(["sweep-hp-samples", *FAST, "--output-root", str(tmp_path)])
    time.sleep(1.0)
    worker.send_signal(signal.SIGINT)
    err = worker.communicate(timeout=120)[1]
    assert worker.returncode == 130, err
    assert err.startswith("hyperlax: interrupted; ") and err.count("\n") == 1 and "Traceback" not in err, err


def test_two_sweeps_started_at_once_on_one_output_root_one_runs_the_other_exits_2(tmp_path):
    argv = ["sweep-hp-samples", *FAST, "--num-samples", "4", "--output-root", str(tmp_path)]
    workers = [start(argv) for _ in range(2)]
    errs = [w.communicate(timeout=300)[1] for w in workers]
    codes = [w.returncode for w in workers]
    assert sorted(codes) == [0, 2], errs
    loser = errs[codes.index(2)]
    assert loser.startswith("hyperlax: error: ") and loser.count("\n") == 1, loser
    assert "is being written by another hyperlax run (pid" in loser or "already holds a sweep" in loser
    rows = (tmp_path / "tiny_ppo" / "gymnax_cartpole" / "results.csv").read_text().splitlines()
    assert len(rows) == 1 + 4


def test_a_signal_inside_a_librarys_import_is_still_one_line_and_exit_130(monkeypatch, capsys):
    # numpy turns an exception raised while it imports into "ImportError: numpy._core.multiarray failed to
    # import", raised from it: the CLI finds the interrupt behind it.
    import importlib

    from hyperlax.commands.signals import Interrupted

    cli = importlib.import_module("hyperlax.cli.main")  # the module (hyperlax.cli.main is also its function)

    def interrupted_import(argv):
        try:
            raise Interrupted(2)
        except Interrupted as exc:
            raise ImportError("numpy._core.multiarray failed to import") from exc

    monkeypatch.setattr(cli, "run", interrupted_import)
    assert cli.main(["sweep-hp-samples"]) == 130
    err = capsys.readouterr().err
    assert err.startswith("hyperlax: interrupted; ") and err.count("\n") == 1


def test_a_signal_landing_just_after_a_trial_is_asked_fails_it_instead_of_leaving_it_running(tmp_path, monkeypatch):
    real_ask, calls = optuna.Study.ask, []

    def ask_then_signal(study, *args, **kwargs):
        trial = real_ask(study, *args, **kwargs)
        if not calls:  # the first ask only: the signal arrives as the storage has made the trial RUNNING
            calls.append(trial.number)
            signals._handle(signal.SIGINT, None)
        return trial

    monkeypatch.setattr(optuna.Study, "ask", ask_then_signal)
    code, _, _ = run_cli([*SEARCH, "--study-name", "asked", "--n-trials", "2", "--output-root", str(tmp_path)])
    assert code == 130 and calls == [0]
    trials = load(study_dir_of(tmp_path), "asked").get_trials()
    # Failed as interrupted (asked, nothing sampled yet, so nothing to enqueue again), not left RUNNING.
    assert [t.state for t in trials] == [TrialState.FAIL] and trials[0].user_attrs["reason"] == "interrupted"
