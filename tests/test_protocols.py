"""The written protocols: built-ins implement them, a user's algorithm and torso plug in by reference, a CNN
torso reads image observations, and compiled programs are keyed by an env's identity, not its name."""

import csv
import dataclasses
import math

import gymnax
import jax
import jax.numpy as jnp
import numpy as np
import optuna
import pytest

from hyperlax.algos import dqn, ppo, sac
from hyperlax.algos.common import config_from_flat
from hyperlax.algos.networks import CNNTorso, MLPTorso, QNetwork, SquashedGaussianHead, Torso
from hyperlax.algos.protocol import Algorithm
from hyperlax.algos.registry import resolve_algorithm, resolve_torso
from hyperlax.cli.main import main
from hyperlax.envs.registry import make_env
from hyperlax.envs.spec import build_spec
from hyperlax.space.recipes import load_recipe
from tests.conftest import TESTS

PLUGINS = TESTS / "plugins"
REINFORCE_RECIPE = str(PLUGINS / "reinforce_recipe.py")
TORSO_RECIPE = str(PLUGINS / "torso_recipe.py")
BUDGET = ["--env-config", "gymnax.cartpole", "--total-timesteps", "2048", "--num-evaluations", "2",
          "--eval-episodes", "2", "--num-seeds", "1"]  # fmt: skip


def minatar_breakout():
    env, params = gymnax.make("Breakout-MinAtar")
    return build_spec("minatar.breakout", "Breakout-MinAtar", env, params, (0.0, 100.0))


def with_torso(recipe_name: str, torso: str, env=None):
    """The recipe's default config of its algorithm, with every torso set to `torso`."""
    recipe = load_recipe(recipe_name)
    flat = {k: (torso if k.endswith("pre_torso.name") else v) for k, v in recipe.defaults().items()}
    return recipe.algorithm, config_from_flat(recipe.algorithm.Config, flat)


@pytest.mark.parametrize("name, module", [("ppo", ppo), ("sac", sac), ("dqn", dqn)])
def test_builtin_algorithms_satisfy_the_algorithm_protocol_and_resolve_by_name(name, module):
    assert resolve_algorithm(name) is module and isinstance(module, Algorithm) and module.NAME == name


def test_a_user_algorithm_resolves_by_module_attr_and_by_file_path_relative_to_the_working_directory(monkeypatch):
    by_module = resolve_algorithm("tests.plugins.reinforce")
    monkeypatch.chdir(TESTS.parent)
    by_file = resolve_algorithm("tests/plugins/reinforce.py")
    assert isinstance(by_file, Algorithm) and by_file.NAME == by_module.NAME == "reinforce"
    assert resolve_algorithm("tests/plugins/reinforce.py") is by_file  # a file is loaded once
    assert resolve_torso("tests/plugins/torsos.py:LayerNormTorso").__name__ == "LayerNormTorso"
    assert resolve_torso("mlp") is MLPTorso and resolve_torso("cnn") is CNNTorso


def test_a_recipe_or_a_stored_config_without_torso_names_gets_the_mlp():
    recipe = load_recipe(str(TESTS / "recipes" / "tiny_ppo.py"))
    assert recipe.defaults()["algorithm.network.actor_network.pre_torso.name"] == "mlp"
    stored = {k: v for k, v in recipe.defaults().items() if not k.endswith("pre_torso.name")}  # an older run
    config = config_from_flat(ppo.Config, stored)
    assert config.actor_torso == config.critic_torso == "mlp"


def test_cnn_torso_maps_image_observations_with_any_batch_axes_to_features():
    torso = CNNTorso(layer_sizes=(32,), activation="relu", obs_shape=(10, 10, 4))
    obs = jax.random.uniform(jax.random.PRNGKey(0), (2, 3, 10, 10, 4))
    params = torso.init(jax.random.PRNGKey(1), obs[0, 0])
    assert torso.apply(params, obs[0, 0]).shape == (32,)
    assert torso.apply(params, obs).shape == (2, 3, 32)
    np.testing.assert_allclose(torso.apply(params, obs)[1, 2], torso.apply(params, obs[1, 2]), rtol=1e-5, atol=1e-6)


def test_mlp_torso_flattens_image_observations():
    head = Torso(MLPTorso, (8,), "tanh", (10, 10, 4)).head(3)
    params = head.init(jax.random.PRNGKey(0), jnp.zeros((10, 10, 4)))
    assert params["params"]["Dense_0"]["kernel"].shape == (400, 8)
    assert head.apply(params, jnp.zeros((5, 10, 10, 4))).shape == (5, 3)


def test_a_cnn_on_flat_observations_is_a_one_line_config_problem():
    algorithm, config = with_torso("ppo_mlp", "cnn")
    assert algorithm.config_problem(config, None) is None  # no env chosen yet: nothing to say
    problem = algorithm.config_problem(config, make_env("gymnax.cartpole"))
    assert "needs image observations (height, width, channels)" in problem and "(4,)" in problem
    assert "\n" not in problem
    assert algorithm.config_problem(config, minatar_breakout()) is None


@pytest.mark.parametrize("recipe", ["ppo_mlp", "dqn_mlp"])
def test_ppo_and_dqn_build_and_trace_a_cnn_on_image_observations(recipe):
    algorithm, config = with_torso(recipe, "cnn")
    config = dataclasses.replace(config, num_envs=2)
    train = algorithm.make_train(config, minatar_breakout(), 1024, 2, 1)
    state = jax.eval_shape(train.init, config, jax.random.PRNGKey(0))
    _, out = jax.eval_shape(train.segment, config, state)
    assert out.eval_returns.shape == (1,) and state.obs.shape == (2, 10, 10, 4)


def test_sac_heads_read_image_observations_through_a_cnn_torso():
    torso = Torso(CNNTorso, (16,), "relu", (10, 10, 4))
    obs, action = jnp.zeros((5, 10, 10, 4)), jnp.zeros((5, 2))
    actor, critic = SquashedGaussianHead(torso, 2), QNetwork(torso)
    mean, log_std = actor.apply(actor.init(jax.random.PRNGKey(0), obs), obs)
    q = critic.apply(critic.init(jax.random.PRNGKey(1), obs, action), obs, action)
    assert mean.shape == log_std.shape == (5, 2) and q.shape == (5,)


def test_env_identity_is_its_id_and_params_so_compiled_programs_are_not_shared_across_params():
    env, params = gymnax.make("CartPole-v1")
    cartpole = build_spec("cartpole", "CartPole-v1", env, params, (0.0, 500.0))
    short = build_spec("cartpole", "CartPole-v1", env, params.replace(max_steps_in_episode=100), (0.0, 500.0))
    renamed = build_spec("another name", "CartPole-v1", env, params, (0.0, 500.0))
    assert cartpole != short and hash(cartpole) != hash(short)
    assert cartpole == renamed and hash(cartpole) == hash(renamed)
    episode_limit = jax.jit(lambda spec: jnp.asarray(spec.max_episode_steps), static_argnums=0)
    assert int(episode_limit(cartpole)) == 500 and int(episode_limit(short)) == 100  # one program each


def test_a_user_algorithm_given_by_path_trains_through_a_sweep(tmp_path):
    argv = ["sweep-hp-samples", "--algo-and-network-config", REINFORCE_RECIPE, *BUDGET]
    assert main([*argv, "--num-samples", "2", "--hparam-batch-size", "2", "--output-root", str(tmp_path)]) == 0
    with open(tmp_path / "reinforce_recipe" / "gymnax_cartpole" / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and all(
        row["status"] == "ok" and math.isfinite(float(row["final_performance"])) for row in rows
    )


def test_a_user_algorithm_given_by_path_trains_through_an_optuna_study(tmp_path):
    argv = ["optuna-hp-search", "--algo-and-network-config", REINFORCE_RECIPE, *BUDGET, "--study-name", "plugin"]
    assert main([*argv, "--n-trials", "2", "--output-root", str(tmp_path)]) == 0
    db = tmp_path / "reinforce_recipe" / "gymnax_cartpole" / "optuna_study.db"
    trials = optuna.load_study(study_name="plugin", storage=f"sqlite:///{db}").get_trials()
    assert len(trials) == 2
    assert all(t.state == optuna.trial.TrialState.COMPLETE and math.isfinite(t.value) for t in trials)


TORSO_ARGS = ["--algo-and-network-config", TORSO_RECIPE, "--env-config", "gymnax.cartpole", "--total-timesteps", "64",
              "--num-evaluations", "2", "--eval-episodes", "2", "--num-seeds", "1"]  # fmt: skip


def test_a_user_torso_given_by_path_trains_through_a_sweep(tmp_path):
    assert main(["sweep-hp-samples", *TORSO_ARGS, "--num-samples", "2", "--output-root", str(tmp_path)]) == 0
    with open(tmp_path / "torso_recipe" / "gymnax_cartpole" / "results.csv") as f:
        assert [row["status"] for row in csv.DictReader(f)] == ["ok", "ok"]


def test_a_user_torso_given_by_path_trains_through_an_optuna_study(tmp_path):
    argv = ["optuna-hp-search", *TORSO_ARGS, "--study-name", "torso", "--n-trials", "2"]
    assert main([*argv, "--output-root", str(tmp_path)]) == 0
    db = tmp_path / "torso_recipe" / "gymnax_cartpole" / "optuna_study.db"
    trials = optuna.load_study(study_name="torso", storage=f"sqlite:///{db}").get_trials()
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 2
