import flax.linen as nn
import jax
import numpy as np
import pytest

from hyperlax.algos import ppo
from hyperlax.algos.common import config_from_flat
from hyperlax.algos.networks import orthogonal
from hyperlax.envs.registry import make_env
from hyperlax.space.recipes import load_recipe
from tests.conftest import TINY_PPO


def tiny_config(**overrides):
    recipe = load_recipe(TINY_PPO)
    flat = {**recipe.defaults(), **{f"algorithm.hyperparam.{k}": v for k, v in overrides.items()}}
    return config_from_flat(ppo.Config, flat)


@pytest.mark.slow
@pytest.mark.parametrize("anneal_lr", [True, False])
def test_annealed_learning_rate_reaches_zero_at_the_last_update(anneal_lr):
    config = tiny_config(anneal_lr=anneal_lr)
    num_evaluations = 2
    train = ppo.make_train(config, make_env("gymnax.pendulum"), 2 * 32, num_evaluations, 1)
    segment = jax.jit(train.segment)
    state = jax.jit(train.init)(config, jax.random.PRNGKey(0))
    for _ in range(num_evaluations):
        state, _ = segment(config, state)
    # One segment past the planned end: an annealed rate is 0 there, so the networks no longer move.
    after, _ = segment(config, state)
    unchanged = jax.tree.map(
        np.array_equal, (state.actor_params, state.critic_params), (after.actor_params, after.critic_params)
    )
    assert all(jax.tree.leaves(unchanged)) == anneal_lr


def test_running_observation_statistics_match_the_pooled_batches():
    rng = np.random.default_rng(0)
    batches = [rng.normal(3.0, 2.0, size=(n, 3)).astype(np.float32) for n in (5, 17, 64)]
    stats = ppo.ObsStats(np.zeros(3, np.float32), np.ones(3, np.float32), np.float32(1e-4))
    for batch in batches:
        stats = ppo.update_obs_stats(stats, batch)
    pooled = np.concatenate(batches)
    np.testing.assert_allclose(stats.mean, pooled.mean(0), rtol=1e-4)
    np.testing.assert_allclose(stats.var, pooled.var(0), rtol=1e-3)


@pytest.mark.parametrize("shape", [(3, 64), (64, 64), (64, 1), (256, 256)])
def test_gram_schmidt_orthogonal_init_equals_flax_qr_init(shape):
    key = jax.random.PRNGKey(3)
    kernel = np.asarray(orthogonal(np.sqrt(2))(key, shape))
    gram = kernel.T @ kernel if shape[0] >= shape[1] else kernel @ kernel.T
    np.testing.assert_allclose(gram, 2 * np.eye(len(gram)), atol=1e-5)
    np.testing.assert_allclose(kernel, nn.initializers.orthogonal(np.sqrt(2))(key, shape), atol=1e-5)
