"""Every algorithm through both commands on every env it fits (tiny recipes, real gymnax envs)."""

import csv
import math

import optuna
import pytest

from hyperlax.cli.main import main
from hyperlax.envs.catalog import ALIASES as ENV_CONFIGS
from hyperlax.envs.registry import make_env
from hyperlax.space.recipes import load_recipe
from tests.conftest import TESTS, TINY_PPO

pytestmark = pytest.mark.slow  # trains every (algorithm, env) pair end to end


TINY_SAC = str(TESTS / "recipes" / "tiny_sac.py")
TINY_DQN = str(TESTS / "recipes" / "tiny_dqn.py")
COMMON = ["--total-timesteps", "64", "--num-evaluations", "2", "--eval-episodes", "1", "--num-seeds", "1"]


def fits(recipe: str, env_name: str) -> bool:
    algorithm, spec = load_recipe(recipe).algorithm, make_env(env_name)
    return algorithm.SUPPORTS_DISCRETE if spec.discrete else algorithm.SUPPORTS_CONTINUOUS


PAIRS = [(recipe, env) for recipe in (TINY_PPO, TINY_SAC, TINY_DQN) for env in sorted(ENV_CONFIGS) if fits(recipe, env)]


def test_each_algorithm_fits_the_envs_of_its_action_space():
    fitting = {(recipe.rsplit("/", 1)[-1], env) for recipe, env in PAIRS}
    assert {env for recipe, env in fitting if recipe == "tiny_ppo.py"} == set(ENV_CONFIGS)
    assert {env for recipe, env in fitting if recipe == "tiny_sac.py"} == {
        "gymnax.pendulum",
        "gymnax.mountain_car_continuous",
    }
    assert {env for recipe, env in fitting if recipe == "tiny_dqn.py"} == {"gymnax.cartpole", "gymnax.acrobot"}


@pytest.mark.parametrize("recipe, env_name", PAIRS, ids=[f"{r.rsplit('/', 1)[-1][:-3]}-{e}" for r, e in PAIRS])
def test_sweep_trains_every_sample_to_a_finite_return(recipe, env_name, tmp_path):
    argv = [
        "sweep-hp-samples",
        "--algo-and-network-config",
        recipe,
        "--env-config",
        env_name,
        *COMMON,
        "--num-samples",
        "2",
        "--hparam-batch-size",
        "2",
        "--output-root",
        str(tmp_path),
    ]
    assert main(argv) == 0
    [sweep_dir] = [p for p in tmp_path.glob("*/*") if (p / "results.csv").exists()]
    with open(sweep_dir / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [row["status"] for row in rows] == ["ok", "ok"]
    assert all(math.isfinite(float(row["final_performance"])) for row in rows)


@pytest.mark.parametrize(
    "recipe, env_name", [(TINY_SAC, "gymnax.pendulum"), (TINY_DQN, "gymnax.acrobot")], ids=["sac", "dqn"]
)
def test_optuna_search_completes_every_trial(recipe, env_name, tmp_path):
    argv = [
        "optuna-hp-search",
        "--algo-and-network-config",
        recipe,
        "--env-config",
        env_name,
        *COMMON,
        "--n-trials",
        "2",
        "--optuna-study-batch-size",
        "2",
        "--runner-hparam-batch-size",
        "2",
        "--study-name",
        "s",
        "--output-root",
        str(tmp_path),
    ]
    assert main(argv) == 0
    [db] = tmp_path.glob("*/*/optuna_study.db")
    study = optuna.load_study(study_name="s", storage=f"sqlite:///{db}")
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 2
    assert all(math.isfinite(t.value) for t in study.trials)
