import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hyperlax.algos import distributions as D
from hyperlax.algos.common import config_from_flat
from hyperlax.engine.runner import Runner, RunSettings, Sample
from hyperlax.envs.registry import make_env
from hyperlax.space.recipes import load_recipe
from tests.conftest import returns_of, run_batch, run_sequentially

# Small enough to compile and train in seconds.
TINY = {
    "algorithm.hyperparam.num_envs": 2,
    "algorithm.hyperparam.buffer_size": 256,
    "algorithm.hyperparam.batch_size": 16,
    "algorithm.hyperparam.learning_starts": 16,
    "algorithm.network.actor_network.pre_torso.layer_sizes": [16],
    "algorithm.network.critic_network.pre_torso.layer_sizes": [16],
}


def tiny_config(**overrides):
    recipe = load_recipe("sac_mlp")
    flat = {**recipe.defaults(), **TINY, **{f"algorithm.hyperparam.{k}": v for k, v in overrides.items()}}
    return recipe.algorithm, config_from_flat(recipe.algorithm.Config, flat)


def train_segments(num_segments: int, steps_per_segment: int, **overrides):
    """Init and `num_segments` segments of one tiny config on Pendulum: the states after each."""
    algorithm, config = tiny_config(**overrides)
    train = algorithm.make_train(config, make_env("gymnax.pendulum"), num_segments * steps_per_segment, num_segments, 1)
    assert train.steps_per_segment == steps_per_segment
    segment = jax.jit(train.segment)
    states = [jax.jit(train.init)(config, jax.random.PRNGKey(0))]
    for _ in range(num_segments):
        states.append(segment(config, states[-1])[0])
    return states


def leaves(tree):
    return [np.asarray(x) for x in jax.tree.leaves(tree)]


# ---- the squashed Gaussian ----


def test_tanh_normal_log_prob_is_the_gaussian_density_with_the_change_of_variables():
    key = jax.random.PRNGKey(0)
    mean = jax.random.uniform(jax.random.PRNGKey(1), (500, 2), minval=-1.5, maxval=1.5)
    log_std = jnp.full((500, 2), np.log(0.7))
    action, log_prob = D.tanh_normal_sample_and_log_prob(key, mean, log_std)
    u = np.asarray(D.normal_sample(key, mean, log_std), np.float64)  # the same pre-tanh draw
    std = 0.7
    gaussian = -0.5 * ((u - np.asarray(mean)) / std) ** 2 - np.log(std) - 0.5 * np.log(2 * np.pi)
    expected = np.sum(gaussian - np.log(1.0 - np.tanh(u) ** 2), axis=-1)
    np.testing.assert_allclose(action, np.tanh(u), rtol=1e-6)
    np.testing.assert_allclose(log_prob, expected, rtol=1e-4, atol=1e-4)


def test_tanh_normal_density_matches_a_histogram_of_its_samples():
    n, mean, std = 400_000, 0.4, 0.8
    action, log_prob = D.tanh_normal_sample_and_log_prob(
        jax.random.PRNGKey(2), jnp.full((n, 1), mean), jnp.full((n, 1), np.log(std))
    )
    action, density = np.asarray(action[:, 0]), np.exp(np.asarray(log_prob))
    edges = np.linspace(-0.9, 0.9, 19)
    counts, _ = np.histogram(action, edges)
    bin_of = np.digitize(action, edges) - 1
    for b, count in enumerate(counts):
        empirical = count / (n * (edges[1] - edges[0]))
        assert abs(density[bin_of == b].mean() - empirical) < 0.05 * empirical + 0.01


def test_tanh_normal_log_prob_stays_finite_far_in_the_saturated_tails():
    _, log_prob = D.tanh_normal_sample_and_log_prob(
        jax.random.PRNGKey(3), jnp.full((4, 1), 30.0), jnp.full((4, 1), -5.0)
    )
    assert np.all(np.isfinite(log_prob))


# ---- training mechanics ----


@pytest.fixture(scope="module")
def history():
    """States after 0..3 segments of 8 env steps (4 iterations of 2 envs); the first update comes at step 16."""
    return train_segments(3, 8, learning_starts=16, tau=0.25, init_alpha=0.5)


def test_no_update_before_learning_starts_then_updates_begin(history):
    before, first, second = (s.learner for s in history[:3])
    assert all(np.array_equal(a, b) for a, b in zip(leaves(before), leaves(first), strict=True))
    assert int(history[1].buffer.size) == 8
    assert not np.array_equal(leaves(first.actor_params)[0], leaves(second.actor_params)[0])


def test_target_critics_move_tau_of_the_way_to_the_critics_after_each_update(history):
    start, after = history[1].learner, history[2].learner  # exactly one update in between
    assert all(
        np.array_equal(a, b) for a, b in zip(leaves(start.critic_params), leaves(start.target_params), strict=True)
    )
    for online, target, old in zip(
        leaves(after.critic_params), leaves(after.target_params), leaves(start.target_params), strict=True
    ):
        np.testing.assert_allclose(target, 0.25 * online + 0.75 * old, rtol=1e-5, atol=1e-7)
    assert not np.allclose(leaves(after.target_params)[0], leaves(start.target_params)[0])


def test_alpha_is_learned_when_autotuned_and_fixed_otherwise(history):
    fixed = train_segments(1, 32, init_alpha=0.5, autotune_alpha=False)[-1].learner.log_alpha
    assert float(history[-1].learner.log_alpha) != pytest.approx(np.log(0.5))
    assert float(fixed) == pytest.approx(np.log(0.5))


@pytest.mark.slow
def test_time_limit_transitions_keep_the_last_observation_and_are_not_terminal():
    # Pendulum never terminates, it only truncates at 200 steps; the buffer holds each env's stream
    # interleaved (num_envs=2), and no updates run.
    state = train_segments(1, 404, learning_starts=10_000, buffer_size=512)[-1]
    obs, _, _, next_obs, terminated = (np.asarray(x)[:404].reshape(202, 2, -1) for x in state.buffer.data)
    assert not terminated.any()
    continues = np.all(np.isclose(next_obs[:-1], obs[1:]), axis=-1)  # [step, env]
    assert not continues[199].any()  # the episode ended: next obs is the last observation, not the reset one
    assert continues[np.arange(201) != 199].all()
    assert np.allclose(np.linalg.norm(next_obs[199, :, :2], axis=-1), 1.0)  # (cos, sin) of a real state


# ---- through the runner ----


@pytest.fixture(scope="module")
def runner():
    algorithm, _ = tiny_config()
    settings = RunSettings(total_timesteps=64, num_evaluations=2, num_seeds=2, eval_episodes=2)
    return Runner(algorithm, make_env("gymnax.pendulum"), settings)


def make_sample(sample_id, **overrides):
    values = {f"algorithm.hyperparam.{k}": v for k, v in overrides.items()}
    return Sample.from_values(sample_id, values, {**load_recipe("sac_mlp").defaults(), **TINY})


@pytest.mark.slow
def test_a_configuration_gives_identical_returns_alone_in_a_batch_of_2_and_of_4_at_another_position(runner):
    target = make_sample(7, actor_lr=3e-3, tau=0.01)
    others = [make_sample(i, actor_lr=10 ** -(i + 2), gamma=0.9 + 0.02 * i) for i in range(3)]
    pair = returns_of(run_batch(runner, [others[0], target]), 7)
    four = returns_of(run_batch(runner, [others[1], others[2], target, others[0]]), 7)
    alone = returns_of(run_sequentially(runner, target), 7)
    assert np.array_equal(pair, four) and np.array_equal(pair, alone)


def test_a_diverging_configuration_fails_while_its_batch_neighbour_is_ok(runner):
    result = run_batch(runner, [make_sample(0), make_sample(1, actor_lr=1e30, critic_lr=1e30)])
    assert {row["sample_id"]: row["status"] for row in result.rows} == {0: "ok", 1: "failed"}


# ---- gSDE (use_sde) ----


def sde_agent(**overrides):
    algorithm, config = tiny_config(use_sde=True, **overrides)
    agent = algorithm.Agent(config, make_env("gymnax.pendulum"))
    return config, agent, jax.jit(agent.init)(config, jax.random.PRNGKey(0))


def test_gsde_squashes_features_times_the_matrix_and_its_log_prob_is_that_gaussians_through_tanh():
    config, agent, state = sde_agent(log_std_init=-1.5)
    params, obs = state.learner.actor_params, jax.random.normal(jax.random.PRNGKey(1), (6, 3))
    np.testing.assert_array_equal(params["params"]["log_std"], np.full((16, 1), -1.5, np.float32))
    assert state.sde_matrices.shape == (2, 16, 1)  # one matrix per env
    matrix = D.sde_matrices(jax.random.PRNGKey(2), params["params"]["log_std"], ())
    action, log_prob = agent.sample_action(params, obs, None, matrix)
    mean, features, log_std = agent.actor.apply(params, obs)
    u = np.clip(mean, -2, 2) + np.asarray(features) @ np.asarray(matrix)
    np.testing.assert_allclose(action, np.tanh(u), rtol=1e-5, atol=1e-6)
    std = np.sqrt((np.asarray(features) ** 2) @ np.exp(2 * np.asarray(log_std)) + 1e-6)
    gaussian = -0.5 * ((u - np.clip(mean, -2, 2)) / std) ** 2 - np.log(std) - 0.5 * np.log(2 * np.pi)
    expected = np.sum(gaussian - np.log(1 - np.tanh(u) ** 2), axis=-1)
    np.testing.assert_allclose(log_prob, expected, rtol=1e-4, atol=1e-4)


def test_gsde_features_learn_from_the_noise_only_where_asked():
    features, log_std = jnp.array([[0.5, -1.0, 2.0]]), jnp.full((3, 1), -1.0)
    matrix = jnp.array([[0.3], [0.1], [-0.2]])

    def noise_and_log_std(f, learn):
        return jnp.sum(D.sde_noise(f, matrix, learn)) + jnp.sum(D.sde_log_std(f, log_std, learn))

    np.testing.assert_array_equal(jax.grad(noise_and_log_std)(features, False), 0.0)  # PPO: held (SB3's PPO)
    variance = np.sum(np.asarray(features) ** 2 * np.exp(-2.0)) + 1e-6
    expected = np.asarray(matrix)[:, 0] + np.asarray(features)[0] * np.exp(-2.0) / variance
    np.testing.assert_allclose(jax.grad(noise_and_log_std)(features, True)[0], expected, rtol=1e-5)


def test_sac_gsde_log_prob_differentiates_through_the_features_as_sb3s_sac():
    config, agent, state = sde_agent(log_std_init=-1.5)
    params, obs = state.learner.actor_params, jax.random.normal(jax.random.PRNGKey(1), (6, 3))
    matrix = D.sde_matrices(jax.random.PRNGKey(2), params["params"]["log_std"], ())

    def by_hand(p, learn):
        mean, features, log_std = agent.actor.apply(p, obs)
        u = mean + D.sde_noise(features, matrix, learn)
        return jnp.sum(D.tanh_normal_log_prob(u, mean, D.sde_log_std(features, log_std, learn)))

    sac = jax.grad(lambda p: jnp.sum(agent.sample_action(p, obs, None, matrix)[1]))(params)
    learned, held = jax.grad(by_hand)(params, True), jax.grad(by_hand)(params, False)
    torso = [k for k in sac["params"] if k.startswith("Dense")][0]  # the first hidden layer
    np.testing.assert_allclose(sac["params"][torso]["kernel"], learned["params"][torso]["kernel"], rtol=1e-5)
    assert not np.allclose(sac["params"][torso]["kernel"], held["params"][torso]["kernel"], rtol=1e-3)


def test_gsde_keeps_each_envs_matrix_for_sde_sample_freq_steps():
    config, agent, state = sde_agent(sde_sample_freq=3, learning_starts=0)
    step = jax.jit(lambda s: agent.iteration(config, s))
    held = []
    for _ in range(7):
        state = step(state)
        held.append(np.asarray(state.sde_matrices))
    # drawn anew at steps 0, 3 and 6 (counted in iterations): the same matrices in between
    assert np.array_equal(held[0], held[1]) and np.array_equal(held[1], held[2])
    assert not np.array_equal(held[2], held[3]) and np.array_equal(held[3], held[5])
    assert not np.array_equal(held[5], held[6])


def test_a_gsde_configuration_trains_the_same_alone_and_in_a_batch(runner):
    algorithm, _ = tiny_config(use_sde=True)
    sde_runner = Runner(algorithm, make_env("gymnax.pendulum"), runner.settings)
    target = make_sample(4, use_sde=True, log_std_init=-2.0)
    alone = returns_of(run_batch(sde_runner, [target]), 4)
    batch = run_batch(sde_runner, [make_sample(1, use_sde=True, log_std_init=-0.5), target])
    assert np.array_equal(returns_of(batch, 4), alone) and np.all(np.isfinite(alone))
