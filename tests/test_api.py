"""The Python API: keywords are the CLI's options, results are objects over the directories the commands
write, env objects from the caller's process, and `import hyperlax` stays light."""

import json
import os
import subprocess
import sys
import warnings
from dataclasses import fields
from pathlib import Path

import gymnax
import pytest

import hyperlax
from hyperlax.api._options import command_args, command_of
from hyperlax.envs.registry import make_env
from hyperlax.results.files import results_table, write_results_csv
from tests.conftest import TINY_PPO

ROOT = Path(__file__).parent.parent


def test_import_hyperlax_loads_neither_jax_nor_optuna_until_an_api_function_runs():
    code = (
        "import sys, hyperlax\n"
        "light = not {'jax', 'optuna'} & set(sys.modules)\n"
        "hyperlax.optimize, hyperlax.sweep, hyperlax.pbt, hyperlax.StudyResult\n"
        "print(light, not {'jax', 'optuna'} & set(sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "True"], done.stderr


@pytest.mark.parametrize("command", ["sweep-hp-samples", "optuna-hp-search", "pbt-search"])
def test_every_option_of_a_command_is_a_keyword_left_unset_for_the_command_to_default(command):
    args = command_args(command, "f", TINY_PPO, "gymnax.cartpole", {"no_compile_cache": True})
    assert type(args) is command_of(command).options[0]
    assert args.algo_and_network_config == TINY_PPO and args.env_config == "gymnax.cartpole"
    given = ("algo_and_network_config", "env_config")
    assert all(getattr(args, f.name) is None for f in fields(args) if f.name not in given)


def test_an_unknown_keyword_names_every_valid_one():
    with pytest.raises(hyperlax.InputError) as raised:
        command_args("optuna-hp-search", "optimize", None, None, {"trials": 3})
    valid = str(raised.value).split("valid: ")[1].split(", ")
    assert {"n_trials", "storage", "pruner", "log_level", "spec", "preset", "search_space"} <= set(valid)


def test_keywords_are_converted_as_the_flags_parser_converts_them(tmp_path):
    args = command_args("optuna-hp-search", "optimize", None, None, {
        "objective_names": ("final_performance", "normalized_auc"), "output_root": tmp_path, "no_compile_cache": True,
    })  # fmt: skip
    assert args.objective_names == ["final_performance", "normalized_auc"] and args.output_root == str(tmp_path)
    single = command_args("optuna-hp-search", "optimize", None, None, {"objective_names": "peak_performance"})
    assert single.objective_names == ["peak_performance"]


def test_a_spec_and_a_preset_give_values_that_keywords_override(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("n_trials: 5\nseed: 3\npreset: quick\n")
    args = command_args("optuna-hp-search", "optimize", TINY_PPO, None, {"spec": spec, "n_trials": 7})
    assert (args.n_trials, args.seed) == (7, 3)
    quick = command_args("optuna-hp-search", "optimize", TINY_PPO, None, {"preset": "quick"})
    assert quick.n_trials is not None  # the preset sets it


def test_an_env_object_is_registered_under_a_reference_that_is_the_same_for_the_same_env():
    env, params = gymnax.make("CartPole-v1")
    with pytest.warns(UserWarning, match=r"in-memory object .*module:make"):
        first = command_args("sweep-hp-samples", "sweep", TINY_PPO, (env, params), {}).env_config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = command_args("sweep-hp-samples", "sweep", TINY_PPO, gymnax.make("CartPole-v1")[0], {}).env_config
        other = command_args("sweep-hp-samples", "sweep", TINY_PPO, (env, params, (0.0, 200.0)), {}).env_config
    assert first == again != other and first.startswith("in_memory.CartPole_")
    spec = make_env(first)
    assert isinstance(spec.env, type(env)) and spec.return_range == (0.0, 500.0)  # the catalog's, for CartPole-v1
    assert make_env(other).return_range == (0.0, 200.0)


def test_an_env_object_without_a_known_return_range_has_none_and_leaves_the_normalised_metrics_unavailable():
    env, params = gymnax.make("CartPole-v1")

    class Renamed(type(env)):
        name = "Renamed-v0"

    reference = command_args("sweep-hp-samples", "sweep", TINY_PPO, Renamed(), {}).env_config
    assert make_env(reference).return_range is None


def test_the_results_table_holds_the_columns_of_results_csv(tmp_path):
    rows = [
        {"sample_id": 0, "values": {"a": 1.0}, "status": "ok", "final_performance": 2.0, "batch_dir": "b0"},
        {"sample_id": 1, "values": {"a": 3.0, "b": [4, 4]}, "status": "failed", "final_performance": None},
    ]
    write_results_csv(tmp_path / "results.csv", rows)
    header = (tmp_path / "results.csv").read_text().splitlines()[0].split(",")
    table = results_table(rows)
    assert [list(record) for record in table] == [header, header]
    assert table[0]["b"] is None and table[1]["b"] == [4, 4] and table[0]["final_performance"] == 2.0


def test_the_example_runs_a_study_a_sweep_and_an_in_memory_env(tmp_path):
    """examples/python_api.py, as README shows it, with a tiny recipe and budget."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HYPERLAX_EXAMPLE_ALGO": TINY_PPO, "HYPERLAX_EXAMPLE_STEPS": "64",
           "HYPERLAX_EXAMPLE_TRIALS": "3", "HYPERLAX_EXAMPLE_OUTPUT": str(tmp_path)}  # fmt: skip
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "python_api.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "best value" in done.stdout and "best sample" in done.stdout
    assert "InputError: --n-trials must be a positive integer, got 0" in done.stdout
    study_json = json.loads((tmp_path / "tiny_ppo" / "gymnax_cartpole" / "study.json").read_text())
    assert study_json["versions"]["jax_backend"] == "cpu" and study_json["versions"]["hyperlax"] == hyperlax.__version__
    [in_memory] = (tmp_path / "tiny_ppo").glob("in_memory_CartPole_*")
    assert json.loads((in_memory / "study.json").read_text())["env"]["source"] == "in-memory"


def test_a_sweep_of_an_in_memory_env_resumes_from_python_with_the_same_object(tmp_path):
    env, params = gymnax.make("CartPole-v1")
    budget = {"total_timesteps": 64, "num_evaluations": 2, "eval_episodes": 1, "num_seeds": 1, "num_samples": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = hyperlax.sweep(TINY_PPO, env=(env, params), output_root=tmp_path, no_compile_cache=False, **budget)
        again = hyperlax.sweep(TINY_PPO, env=gymnax.make("CartPole-v1"), resume_from=first.sweep_dir)
    assert again.sweep_dir == first.sweep_dir and again.results == first.results and len(first.results) == 2
    stored = json.loads((first.sweep_dir / "sweep.json").read_text())
    assert stored["env"]["source"] == "in-memory" and stored["args"]["env_config"] == first.sweep_dir.name.replace(
        "in_memory_", "in_memory.", 1
    )
