"""Bad input, table-driven: every case is one CLI call that must print one line `hyperlax: error: ...`
naming the problem, exit with code 2, raise nothing and leave the directory tree exactly as it was. This file
holds the flag and search-space cases; test_bad_recipe_input.py the recipes, specs, paths and resume state."""

import pytest

from hyperlax.cli.main import main
from hyperlax.commands.rundir import exclusive
from tests.bad_input import (
    HP,
    SEARCH,
    SWEEP,
    case_id,
    check_case,
    snapshot,
    space_spec,
    spec_file,
)

# (kind, argv; {tmp} is the test's directory, files to create there before the call, expected message part)
CASES = [
    # ---- flags of sweep-hp-samples ----
    ("flag", [*SWEEP, "--seed", "-1"], {}, "must be a non-negative integer, got -1"),
    ("flag", [*SWEEP, "--seed", "100000000000000000000000"], {}, "must be at most 4,294,967,295"),
    ("flag", [*SWEEP, "--seed", "1e23"], {}, "expected an integer from 0 to 4294967295, got '1e23'"),
    ("flag", [*SWEEP, "--seed", "abc"], {}, "expected an integer"),
    ("flag", [*SWEEP, "--seed", ""], {}, "expected an integer"),
    ("flag", [*SWEEP, "--num-samples", "0"], {}, "must be a positive integer, got 0"),
    ("flag", [*SWEEP, "--num-samples", "-5"], {}, "must be a positive integer, got -5"),
    ("flag", [*SWEEP, "--num-samples", "100000000"], {}, "must be at most 1,000,000"),
    ("flag", [*SWEEP, "--num-samples", "1.5"], {}, "expected an integer"),
    ("flag", [*SWEEP, "--num-samples"], {}, "expected one argument"),
    ("flag", [*SWEEP, "--hparam-batch-size", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--hparam-batch-size", "1000000"], {}, "must be at most 65,536"),
    ("flag", [*SWEEP, "--total-timesteps", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--total-timesteps", str(10**20)], {}, "must be at most 1,000,000,000"),
    ("flag", [*SWEEP, "--total-timesteps", "1e5"], {}, "expected an integer"),
    ("flag", [*SWEEP, "--num-seeds", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--num-seeds", "100000"], {}, "must be at most 1,024"),
    ("flag", [*SWEEP, "--num-evaluations", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--num-evaluations", "1000000"], {}, "must be at most 10,000"),
    ("flag", [*SWEEP, "--eval-episodes", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--eval-episodes", "10000000"], {}, "must be at most 100,000"),
    ("flag", [*SWEEP, "--eval-episodes", "100000", "--num-seeds", "1024"], {}, "a batch needs about"),
    ("flag", [*SWEEP, "--sampling-method", "grid"], {}, "unknown sampling method 'grid'"),
    ("flag", [*SWEEP, "--sampling-method", ""], {}, "unknown sampling method ''"),
    ("flag", [*SWEEP, "--sequential", "maybe"], {}, "expected True or False, got 'maybe'"),
    ("flag", [*SWEEP, "--group-by-structural-hparams", "2"], {}, "expected True or False"),
    ("flag", [*SWEEP, "--program-width", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--program-width", "1000000"], {}, "must be at most 65,536"),
    ("flag", [*SWEEP, "--pruner", "nope"], {}, "unknown pruner 'nope'"),
    ("flag", [*SWEEP, "--pruner", "median", "--pruner-startup-trials", "-1"], {}, "must be a non-negative integer"),
    ("flag", [*SWEEP, "--pruner", "halving", "--pruner-warmup-evaluations", "5"], {}, "leaves nothing to prune"),
    ("flag", [*SWEEP, "--pruner", "halving", "--pruner-warmup-evaluations", "0"], {}, "needs at least 1"),
    ("flag", [*SWEEP, "--pruner", "halving", "--halving-reduction-factor", "1"], {}, "must be at least 2"),
    (
        "flag",
        [*SWEEP, "--pruner", "median", "--halving-reduction-factor", "3"],
        {},
        "with --pruner halving or hyperband",
    ),
    ("flag", [*SWEEP, "--log-level", "LOUD"], {}, "invalid choice: 'LOUD'"),
    ("flag", [*SWEEP, "--nope"], {}, "unrecognized arguments: --nope"),
    ("flag", ["sweep-hp-samples", "--env-config", "gymnax.nope"], {}, "unknown env config 'gymnax.nope'"),
    ("flag", ["sweep-hp-samples", "--env-config", ""], {}, "unknown env config ''"),
    ("flag", ["sweep-hp-samples", "--algo-and-network-config", ""], {}, "no recipe given"),
    ("flag", ["sweep-hp-samples", "--algo-and-network-config", "ppo_nope"], {}, "unknown recipe 'ppo_nope'"),
    ("flag", ["nope-command"], {}, "invalid choice: 'nope-command'"),
    ("flag", [], {}, "the following arguments are required: command"),
    # ---- YAML search spaces, presets ----
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.nope: {{uniform: [0, 1]}}"),
        "unknown hyperparameter key 'algorithm.hyperparam.nope'",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.actor_lr: {{log_uniform: [0, 1]}}"),
        "'algorithm.hyperparam.actor_lr': LogUniform needs a positive lower bound",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.gamma: {{uniform: [0.99, 0.9]}}"),
        "'algorithm.hyperparam.gamma': domain must be (low, high) with low <= high",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.gamma: {{normal: [0, 1]}}"),
        "search_space: algorithm.hyperparam.gamma: expected one of log_uniform",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.epochs: {{int_log: [0, 4]}}"),
        "'algorithm.hyperparam.epochs': IntLog needs a lower bound of at least 1",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.rollout_length: {{power_of_two: [5, 99]}}"),
        "power_of_two needs exponents from 0 to 30",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.epochs: {{int: [0, 4]}}"),
        "a value of algorithm.hyperparam.epochs's distribution",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.gamma: {{categorical: []}}"),
        "categorical needs a non-empty list",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        spec_file("search_space_mode: merge\n"),
        "search_space_mode: expected replace or update, got 'merge'",
    ),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("search_space: [1]\n"), "search_space must map"),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        spec_file(f"fixed: {{{HP}.nope: 1}}\n"),
        "fixed: unknown hyperparameter key 'algorithm.hyperparam.nope'",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        spec_file(f"fixed: {{{HP}.epochs: -1}}\n"),
        "algorithm.hyperparam.epochs:",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        spec_file(f"fixed: {{{HP}.gamma: 0.9}}\nsearch_space: {{{HP}.gamma: {{uniform: [0.9, 0.99]}}}}\n"),
        "search_space and fixed both name algorithm.hyperparam.gamma",
    ),
    ("spec", [*SWEEP, "--search-space", "{{"], {}, "--search-space is not JSON"),
    ("spec", [*SWEEP, "--preset", "huge"], {}, "unknown preset 'huge'; valid: quick, standard, thorough"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("preset: huge\n"), "unknown preset 'huge'"),
    # ---- flags of optuna-hp-search ----
    ("flag", [*SEARCH, "--objective-names", ","], {}, "--objective-names gives no objective"),
    ("flag", [*SEARCH, "--timeout", "0"], {}, "must be a positive integer, got 0"),
    ("flag", [*SEARCH, "--narrow", "0"], {}, "must be a number from 0.001 to 1.0, got 0.0"),
    ("flag", [*SEARCH, "--warm-start-top-k", "0"], {}, "must be a positive integer, got 0"),
    ("path", [*SEARCH, "--warm-start-from", "{tmp}/none"], {}, "no study.json there"),
    ("flag", [*SEARCH, "--sampler-startup-trials", "-1"], {}, "must be a non-negative integer, got -1"),
    ("flag", [*SEARCH, "--constraint", "param_count<20000"], {}, "expected METRIC<=VALUE or METRIC>=VALUE"),
    ("flag", [*SEARCH, "--patience", "0"], {}, "must be a positive integer, got 0"),
    (
        "flag",
        [*SEARCH, "--patience", "3", "--objective-names", "final_performance", "param_count"],
        {},
        "--patience stops when one objective's best stops improving; 2 objectives",
    ),
    ("flag", [*SEARCH, "--constraint", "params<=20000"], {}, "unknown metric 'params'"),
    ("flag", [*SEARCH, "--constraint", "param_count<=lots"], {}, "the bound 'lots' is not a finite number"),
    ("flag", [*SEARCH, "--constraint", "wall_seconds>=nan"], {}, "the bound 'nan' is not a finite number"),
    ("flag", [*SEARCH, "--constraint", "param_count<=9", "--sampler", "random"], {}, "cannot avoid infeasible"),
    ("flag", [*SEARCH, "--nsga-population", "1"], {}, "must be at least 2, got 1"),
    ("flag", [*SEARCH, "--objective-names", "nope"], {}, "unknown objective 'nope'"),
    ("flag", [*SEARCH, "--objective-names", "final_performance", "final_performance"], {}, "lists an objective twice"),
    ("flag", [*SEARCH, "--objective-directions", "up"], {}, "unknown objective direction 'up'"),
    ("flag", [*SEARCH, "--objective-directions", "maximize", "maximize"], {}, "2 given for 1 objectives"),
    ("flag", [*SEARCH, "--sampler", "nope"], {}, "unknown sampler 'nope'"),
    ("flag", [*SEARCH, "--sampler", "{tmp}/missing.py:Mine"], {}, "does not exist"),
    ("flag", [*SEARCH, "--sampler", "no_such_module_here:Mine"], {}, "no module no_such_module_here"),
    ("flag", [*SEARCH, "--sampler", "os.path:join"], {}, "not a subclass of optuna.samplers.BaseSampler"),
    ("flag", [*SEARCH, "--sampler", "{tmp}/bad.py:Mine"], {"bad.py": "raise ValueError('no')"}, "raised ValueError"),
    ("flag", [*SEARCH, "--sampler", "optunahub:samplers/auto_sampler:AutoSampler"], {}, "pip install optunahub"),
    (
        "flag",
        [*SEARCH, "--sampler", "cmaes", "--objective-names", "final_performance", "stability_score"],
        {},
        "optimises one objective",
    ),
    (
        "flag",
        [*SEARCH, "--pruner", "median", "--objective-names", "final_performance", "peak_performance"],
        {},
        "prunes single-objective studies only",
    ),
    ("flag", [*SEARCH, "--pruner", "halving", "--objective-names", "stability_score"], {}, "do not forecast"),
    ("flag", [*SEARCH, "--n-trials", "0"], {}, "must be a positive integer"),
    ("flag", [*SEARCH, "--n-trials", "10000000"], {}, "must be at most 1,000,000"),
    ("flag", [*SEARCH, "--optuna-study-batch-size", "0"], {}, "must be a positive integer"),
    ("flag", [*SEARCH, "--runner-hparam-batch-size", "1000000"], {}, "must be at most 65,536"),
    ("flag", [*SEARCH, "--heartbeat-interval", "0"], {}, "must be a positive integer"),
    ("flag", [*SEARCH, "--heartbeat-interval", "100000"], {}, "must be at most 3,600"),
    ("flag", [*SEARCH, "--mlflow-tracking-uri", ""], {}, "--mlflow-tracking-uri '': expected a URI of file:"),
    ("flag", [*SEARCH, "--mlflow-tracking-uri", "ftp://x/m"], {}, "--mlflow-tracking-uri 'ftp://x/m': expected"),
    ("flag", [*SEARCH, "--mlflow-tracking-uri", "mlruns"], {}, "(e.g. file:/tmp/mlruns or sqlite:///mlflow.db)"),
    ("flag", ["study-best", "--study-dir", "{tmp}", "--format", "xml"], {}, "invalid choice: 'xml'"),
    ("flag", ["validate-best", "--study-dir", "{tmp}", "--num-seeds", "0"], {}, "must be a positive integer"),
    ("flag", ["validate-best"], {}, "the following arguments are required: --study-dir"),
    ("flag", ["study-export", "--study-dir", "{tmp}", "--format", "xml"], {}, "invalid choice: 'xml'"),
    ("flag", ["pbt-search", *SWEEP[1:], "--exploit", "nope"], {}, "unknown --exploit 'nope'"),
    ("flag", ["pbt-search", *SWEEP[1:], "--explore", "nope"], {}, "unknown --explore 'nope'"),
    ("flag", ["pbt-search", *SWEEP[1:], "--truncation-fraction", "0.9"], {}, "must be a number from 0.01 to 0.5"),
    ("flag", ["pbt-search", *SWEEP[1:], "--resample-probability", "nan"], {}, "must be a number from 0.0 to 1.0"),
    ("flag", ["pbt-search", *SWEEP[1:], "--population-size", "1"], {}, "must be at least 2"),
    ("flag", ["pbt-search", *SWEEP[1:], "--ready-interval", "2"], {}, "leaves no exploit step"),
    ("flag", ["pbt-search", *SWEEP[1:], "--pruner", "halving"], {}, "pbt-search does not prune"),
    ("path", ["pbt-search", *SWEEP[1:], "--resume-from", "{tmp}"], {}, "no pbt.json there"),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(case, tmp_path, capsys, monkeypatch):
    check_case(case, tmp_path, capsys, monkeypatch)


def test_a_second_writer_of_a_run_directory_is_refused_naming_the_first(tmp_path, capsys):
    out = tmp_path / "out"
    run_dir = out / "tiny_ppo" / "gymnax_cartpole"
    with exclusive(run_dir):  # a sweep holding the directory
        before = snapshot(tmp_path)
        code = main([*SWEEP, "--output-root", str(out)])
        assert snapshot(tmp_path) == before
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"is being written by another hyperlax run (pid {__import__('os').getpid()})" in err
