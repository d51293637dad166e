"""optuna-hp-search's input errors (flags, storage URLs, YAML specs): one line, exit code 2, nothing written."""

import importlib.util
from pathlib import Path

import pytest

from hyperlax.commands.study import connect_url, mask_url
from tests.test_search import SEARCH, run_cli


def test_masked_urls_never_show_the_password():
    assert mask_url("postgresql://user:s3cret@db.example:5432/optuna") == "postgresql://user:***@db.example:5432/optuna"
    # study.json keeps the masked form; connecting drops it, so PGPASSWORD or ~/.pgpass supplies the password
    assert connect_url(Path("."), "postgresql://user:***@db.example/optuna") == "postgresql://user@db.example/optuna"


BAD_INPUTS = {
    "unknown objective": (["--objective-names", "sharpe_ratio"], "unknown objective 'sharpe_ratio'"),
    "unknown sampler": (["--sampler", "gird"], "unknown sampler 'gird'"),
    "directions count": (
        ["--objective-names", "final_performance", "stability_score", "--objective-directions", "maximize"],
        "1 given for 2 objectives",
    ),
    "unknown direction": (["--objective-directions", "upward"], "unknown objective direction 'upward'"),
    "zero trials": (["--n-trials", "0"], "--n-trials"),
    "negative batch": (["--optuna-study-batch-size", "-2"], "--optuna-study-batch-size"),
    "cmaes with two objectives": (
        ["--sampler", "cmaes", "--objective-names", "final_performance", "normalized_auc"],
        "--sampler cmaes optimises one objective",
    ),
    "missing resume dir": (["--resume-from", "{tmp}/nowhere"], "no study.json there"),
    "storage not a url": (["--storage", "not a url"], "--storage is not a database URL"),
    "dqn on a continuous env": (
        ["--algo-and-network-config", "dqn_mlp", "--env-config", "gymnax.pendulum"],
        "dqn needs discrete actions but gymnax.pendulum",
    ),
    "unknown pruner": (["--pruner", "asha"], "unknown pruner 'asha'; valid: none, median, halving, hyperband"),
    "pruner with two objectives": (
        ["--pruner", "median", "--objective-names", "final_performance", "peak_performance"],
        "Optuna prunes single-objective studies only",
    ),
    "pruner with stability": (
        ["--pruner", "median", "--objective-names", "stability_score"],
        "do not forecast stability_score",
    ),
    "unreachable storage with password": (
        ["--storage", "postgresql://hyper:s3cret-pw@127.0.0.1:1/optuna"],
        "postgresql://hyper:***@127.0.0.1:1/optuna",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_and_touches_nothing(case, tmp_path, capsys):
    flags, message = BAD_INPUTS[case]
    out_root = tmp_path / "out"
    code, out, err = run_cli(
        [*SEARCH, "--output-root", str(out_root), *(f.format(tmp=tmp_path) for f in flags)], capsys
    )
    assert code == 2
    assert err.startswith("hyperlax: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert message in err
    assert "s3cret-pw" not in out + err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed")
def test_gp_sampler_without_torch_says_how_to_install(tmp_path, capsys):
    code, _, err = run_cli([*SEARCH, "--output-root", str(tmp_path / "out"), "--sampler", "gp"], capsys)
    assert code == 2 and "pip install 'hyperlax[gp]'" in err and not (tmp_path / "out").exists()


def test_the_example_spec_names_only_real_flags():
    from hyperlax.cli.main import build_parser, expand_spec

    parser = build_parser()
    argv = expand_spec(
        parser, ["optuna-hp-search", "--spec", str(Path(__file__).parent.parent / "examples" / "pendulum_study.yaml")]
    )
    args = parser.parse_args(argv)
    assert (args.n_trials, args.pruner, args.objective_names, args.total_timesteps) == (
        64,
        "halving",
        ["final_performance"],
        200000,
    )


BAD_SPECS = {
    "not yaml": ("n_trials: [1\n", "not valid YAML at line 2"),
    "not a mapping": ("- n_trials\n", "expected a mapping of flag names to values, got a list"),
    "unknown key": ("trials: 3\n", "unknown key 'trials'; valid: algo-and-network-config"),
    "list for one value": ("n_trials: [1, 2]\n", "n_trials takes one value, got a list"),
    "bad value": ("n_trials: -1\n", "must be a positive integer, got -1"),
    "flag that is not true or false": ("no_compile_cache: maybe\n", "no_compile_cache must be true or false"),
}


@pytest.mark.parametrize("case", BAD_SPECS)
def test_a_bad_spec_is_one_line_exit_2_and_creates_nothing(case, tmp_path, capsys):
    text, message = BAD_SPECS[case]
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    code, _, err = run_cli([*SEARCH, "--spec", str(spec), "--output-root", str(tmp_path / "out")], capsys)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [spec]


def test_a_missing_spec_file_is_an_input_error(tmp_path, capsys):
    code, _, err = run_cli(
        [*SEARCH, "--spec", str(tmp_path / "none.yaml"), "--output-root", str(tmp_path / "out")], capsys
    )
    assert code == 2 and "cannot read it" in err and list(tmp_path.iterdir()) == []
