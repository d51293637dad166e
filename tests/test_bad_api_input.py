"""Bad input from Python and paths the filesystem refuses, table-driven like test_bad_input.py (which is full).

A Python call must raise hyperlax.InputError with the CLI's one-line message, and change nothing on disk; a
CLI call must print one line `hyperlax: error: ...` and exit with code 2."""

import os

import pytest

import hyperlax
from hyperlax.cli.main import main
from tests.conftest import TINY_PPO
from tests.test_bad_input import SEARCH, SWEEP, snapshot

CARTPOLE = {"env": "gymnax.cartpole"}
API_CASES = [
    ("optimize", {"n_trails": 4}, "hyperlax.optimize: unknown keyword n_trails; valid: algo_and_network_config"),
    ("sweep", {"n_trials": 4}, "hyperlax.sweep: unknown keyword n_trials; valid:"),
    ("pbt", {"pruner": "median"}, "pbt-search does not prune: exploit replaces the worst members; drop pruner"),
    ("optimize", {"n_trials": 0}, "--n-trials must be a positive integer, got 0"),
    ("optimize", {"n_trials": "16"}, "--n-trials: expected an integer, got '16'"),
    ("optimize", {"n_trials": True}, "--n-trials: expected an integer, got True"),
    ("sweep", {"num_seeds": 2000}, "--num-seeds must be at most 1,024, got 2,000"),
    ("pbt", {"truncation_fraction": 0.9}, "--truncation-fraction must be a number from 0.01 to 0.5, got 0.9"),
    ("optimize", {"seed_aggregate": "max"}, "--seed-aggregate: invalid choice 'max'; valid: mean, iqm"),
    ("optimize", {"log_level": "LOUD"}, "--log-level: invalid choice 'LOUD'; valid: DEBUG"),
    ("optimize", {"objective_names": 3}, "--objective-names: expected a list, got 3"),
    ("optimize", {"objective_names": ["final_performance", "speed"]}, "unknown objective 'speed'; valid:"),
    ("optimize", {"sampler": "annealing"}, "unknown sampler 'annealing'; valid:"),
    ("sweep", {"sequential": "yes"}, "--sequential: expected True or False, got 'yes'"),
    ("optimize", {"no_compile_cache": 1}, "--no-compile-cache: expected True or False, got 1"),
    ("optimize", {"output_root": 7}, "--output-root: expected a string, got 7"),
    ("optimize", {"preset": "fast"}, "--preset: invalid choice 'fast'; valid: quick, standard, thorough"),
    ("optimize", {"spec": "{tmp}/missing.yaml"}, "--spec {tmp}/missing.yaml: cannot read it"),
    ("optimize", {"algo_and_network_config": TINY_PPO}, "algo_and_network_config given twice"),
    ("optimize", {"env": object()}, "env=object: not an env (it lacks reset, step, observation_space"),
    ("optimize", {"env": "gymnax.atari"}, "unknown env config 'gymnax.atari'; valid:"),
    ("optimize", {"env": "in_memory.CartPole_0123456789ab"}, "was an env object in another Python process"),
    ("sweep", {"resume_from": "{tmp}"}, "--resume-from {tmp}: no sweep.json there"),
    ("optimize", {"output_root": "/proc/hyperlax"}, "--output-root"),
]  # fmt: skip


@pytest.mark.parametrize("function, keywords, message", API_CASES, ids=[c[2][:40] for c in API_CASES])
def test_bad_python_input_raises_input_error_with_the_cli_message_and_changes_nothing(
    function, keywords, message, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the default output root, hyperlax_runs, would land here
    keywords = {k: v.replace("{tmp}", str(tmp_path)) if isinstance(v, str) else v for k, v in keywords.items()}
    call = {**CARTPOLE, "total_timesteps": 64, "num_evaluations": 2, "eval_episodes": 1, **keywords}
    algo = None if "algo_and_network_config" in keywords and "env" in keywords else TINY_PPO
    before = snapshot(tmp_path)
    with pytest.raises(hyperlax.InputError) as raised:
        getattr(hyperlax, function)(algo, **call)
    assert message.replace("{tmp}", str(tmp_path)) in str(raised.value)
    assert "\n" not in str(raised.value)
    assert snapshot(tmp_path) == before


# root may write /proc as far as os.access can tell, so the run gets as far as creating its directory
REFUSED = "cannot create /proc/hyperlax/tiny_ppo/gymnax_cartpole" if os.access("/proc", os.W_OK) else "is not writable"


@pytest.mark.parametrize("argv", [SWEEP, SEARCH], ids=["sweep", "search"])
def test_an_output_root_the_filesystem_refuses_is_one_line_exit_2(argv, tmp_path, capsys, monkeypatch):
    argv, message = [*argv, "--output-root", "/proc/hyperlax"], REFUSED
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("hyperlax: error: ") and err.count("\n") == 1, err
    assert message in err and "Traceback" not in err
    assert snapshot(tmp_path) == before
