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


def reference_normalized_rewards(rewards: np.ndarray, dones: np.ndarray, gamma: float) -> np.ndarray:
    """SB3's VecNormalize for rewards in numpy, step by step: returns, RunningMeanStd, clip, reset."""
    mean, var, count = 0.0, 1.0, 1e-4
    returns, out = np.zeros(rewards.shape[1]), []
    for reward, done in zip(rewards.astype(np.float64), dones, strict=True):
        returns = returns * gamma + reward
        delta, n = returns.mean() - mean, len(returns)
        total = count + n
        mean, var = mean + delta * n / total, (var * count + returns.var() * n + delta**2 * count * n / total) / total
        count = total
        out.append(np.clip(reward / np.sqrt(var + 1e-8), -10.0, 10.0))
        returns[done.astype(bool)] = 0.0
    return np.stack(out)


def test_reward_normalization_matches_sb3s_vecnormalize_over_steps_with_resets():
    rng = np.random.default_rng(0)
    rewards = rng.normal(-1.0, 0.1, size=(40, 8)).astype(np.float32)
    rewards[30, 1] = 1000.0  # rare and large against the running std: clipped to 10
    dones = np.zeros((40, 8), np.float32)
    dones[[7, 19, 33, 39], [0, 2, 1, 5]] = 1.0
    stats = ppo.ReturnStats(np.zeros(8, np.float32), ppo.ObsStats(np.float32(0), np.float32(1), np.float32(1e-4)))
    step = jax.jit(ppo.normalize_rewards)
    scaled = []
    for reward, done in zip(rewards, dones, strict=True):
        stats, out = step(stats, reward, done, np.float32(0.97))
        scaled.append(np.asarray(out))
    expected = reference_normalized_rewards(rewards, dones, 0.97)
    np.testing.assert_allclose(np.stack(scaled), expected, rtol=1e-4, atol=1e-6)
    assert expected[30, 1] == 10.0 and abs(expected[29, 1]) < 10.0  # the spike is clipped
    assert float(stats.returns[5]) == 0.0 and float(stats.stats.count) == np.float32(1e-4 + 8 * 40)


def test_a_rollout_with_reward_normalization_trains_on_the_normalized_env_rewards():
    spec = make_env("gymnax.pendulum")  # 200-step episodes: no time limit inside one 16-step rollout
    rollouts = {}
    for on in (False, True):
        config = tiny_config(normalize_rewards=on)
        agent = ppo.Agent(config, spec, schedule_length=None)
        state = jax.jit(agent.init)(config, jax.random.PRNGKey(0))
        _, rollouts[on] = jax.jit(agent.collect_rollout)(config, state)
    raw, scaled = np.asarray(rollouts[False].reward), np.asarray(rollouts[True].reward)
    np.testing.assert_array_equal(rollouts[False].action, rollouts[True].action)  # the same steps
    expected = reference_normalized_rewards(raw, np.asarray(rollouts[False].done), float(config.gamma))
    np.testing.assert_allclose(scaled, expected, rtol=1e-4, atol=1e-6)
    assert raw.min() < -1.0 and not np.allclose(scaled, raw)


def test_ppo_with_reward_normalization_trains_and_reports_the_envs_raw_returns():
    config = tiny_config(normalize_rewards=True)
    train = ppo.make_train(config, make_env("gymnax.pendulum"), 4 * 32, 4, 2)
    state = jax.jit(train.init)(config, jax.random.PRNGKey(0))
    segment, before = jax.jit(train.segment), state.actor_params
    for _ in range(4):
        state, out = segment(config, state)
        # Pendulum's raw episode returns (200 steps of -16.3..0 each): far below what normalized rewards sum to
        assert bool(out.finite) and np.all(np.asarray(out.eval_returns) < -100.0), out.eval_returns
    assert float(state.return_stats.stats.count) > 4 * 32 and float(state.return_stats.stats.var) != 1.0
    moved = jax.tree.map(lambda a, b: not np.array_equal(a, b), before, state.actor_params)
    assert any(jax.tree.leaves(moved))


# ---- gSDE (use_sde) ----


def sde_agent(env="gymnax.pendulum", **overrides):
    config = tiny_config(use_sde=True, **overrides)
    spec = make_env(env)
    agent = ppo.Agent(config, spec, schedule_length=None)
    return config, agent, jax.jit(agent.init)(config, jax.random.PRNGKey(0))


def test_gsde_log_prob_of_a_sampled_action_is_the_one_the_update_computes_and_its_std_is_the_features():
    config, agent, state = sde_agent(log_std_init=-0.5)
    obs = jax.random.normal(jax.random.PRNGKey(1), (5, 3))
    matrices = agent.draw_sde_matrices(state.actor_params, jax.random.PRNGKey(2))[:1].repeat(5, axis=0)
    action, _, log_prob = agent.sample_action(state.actor_params, obs, None, matrices)
    again, entropy = agent.log_prob_and_entropy(state.actor_params, obs, action)
    np.testing.assert_allclose(log_prob, again, rtol=1e-5)
    mean, features, log_std = agent.actor.apply(state.actor_params, obs)
    np.testing.assert_allclose(log_std, np.full_like(log_std, -0.5))  # the matrix's log std starts at log_std_init
    np.testing.assert_allclose(action - mean, np.asarray(features) @ np.asarray(matrices[0]), rtol=1e-4, atol=1e-6)
    std = np.sqrt((np.asarray(features) ** 2) @ np.exp(2 * np.asarray(log_std)) + 1e-6)  # std of features @ M
    np.testing.assert_allclose(entropy, np.sum(np.log(std) + 0.5 * (1 + np.log(2 * np.pi)), axis=-1), rtol=1e-5)
    greedy = agent.act({"actor": state.actor_params, "obs_stats": state.obs_stats}, obs)
    np.testing.assert_allclose(greedy, np.clip(mean, -2.0, 2.0), rtol=1e-6)  # acting greedily ignores the noise


def test_gsde_holds_its_noise_matrices_for_sde_sample_freq_steps_of_a_rollout():
    rollouts = {}
    for freq in (0, 4):
        config, agent, state = sde_agent(sde_sample_freq=freq)
        _, rollouts[freq] = jax.jit(agent.collect_rollout)(config, state)
    once, every_4 = np.asarray(rollouts[0].action), np.asarray(rollouts[4].action)
    assert len(once) == 16
    np.testing.assert_array_equal(once[:4], every_4[:4])  # the same first matrices, the same first 4 steps
    assert not np.allclose(once[4], every_4[4])  # new matrices at step 4 with sde_sample_freq 4


def test_log_std_init_sets_the_plain_gaussian_policys_initial_log_std():
    for value in (0.0, -2.0):
        config = tiny_config(log_std_init=value)
        state = jax.jit(ppo.Agent(config, make_env("gymnax.pendulum"), None).init)(config, jax.random.PRNGKey(0))
        np.testing.assert_array_equal(state.actor_params["params"]["log_std"], np.full((1,), value, np.float32))


def test_gsde_on_discrete_actions_is_a_configuration_problem():
    config = tiny_config(use_sde=True)
    assert "use_sde" in ppo.config_problem(config, make_env("gymnax.cartpole"))
    assert ppo.config_problem(config, make_env("gymnax.pendulum")) is None


def test_a_gsde_configuration_trains_the_same_alone_and_in_a_batch():
    from hyperlax.engine.runner import Runner, RunSettings, Sample
    from tests.conftest import returns_of, run_batch

    recipe = load_recipe(TINY_PPO)
    defaults = recipe.defaults()

    def sample(sample_id, **values):
        values = {f"algorithm.hyperparam.{k}": v for k, v in {"use_sde": True, "sde_sample_freq": 4, **values}.items()}
        return Sample.from_values(sample_id, values, defaults)

    settings = RunSettings(total_timesteps=128, num_evaluations=2, num_seeds=2, eval_episodes=2)
    runner = Runner(recipe.algorithm, make_env("gymnax.pendulum"), settings)
    target = sample(5, log_std_init=-1.0, actor_lr=3e-3)
    alone = returns_of(run_batch(runner, [target]), 5)
    batch = run_batch(runner, [sample(1, log_std_init=0.0), target, sample(2, log_std_init=-3.0)])
    assert np.array_equal(returns_of(batch, 5), alone) and np.all(np.isfinite(alone))
    assert not np.array_equal(returns_of(batch, 1), alone)
