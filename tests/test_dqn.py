import jax
import numpy as np
import optax
import pytest

from hyperlax.algos import dqn
from hyperlax.algos.common import config_from_flat
from hyperlax.engine.runner import Runner, RunSettings, Sample
from hyperlax.envs.registry import make_env
from hyperlax.space.recipes import load_recipe
from tests.conftest import returns_of, run_batch, run_sequentially

# Small enough to compile and train in seconds.
TINY = {
    "algorithm.hyperparam.num_envs": 1,
    "algorithm.hyperparam.buffer_size": 256,
    "algorithm.hyperparam.batch_size": 16,
    "algorithm.hyperparam.learning_starts": 0,
    "algorithm.hyperparam.train_frequency": 4,
    "algorithm.hyperparam.gradient_steps": 2,
    "algorithm.hyperparam.target_update_interval": 8,
    "algorithm.network.q_network.pre_torso.layer_sizes": [16],
}


def tiny_flat(**overrides):
    return {
        **load_recipe("dqn_mlp").defaults(),
        **TINY,
        **{f"algorithm.hyperparam.{k}": v for k, v in overrides.items()},
    }


def config(**overrides):
    return config_from_flat(dqn.Config, tiny_flat(**overrides))


def leaves(tree):
    return [np.asarray(x) for x in jax.tree.leaves(tree)]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(leaves(a), leaves(b), strict=True))


# ---- exploration ----


def test_epsilon_decays_linearly_over_the_exploration_fraction_then_stays_at_its_end_value():
    hp = config(epsilon_start=1.0, epsilon_end=0.1, exploration_fraction=0.2)
    total = 10_000  # the decay spans the first 2000 env steps
    values = [float(dqn.epsilon(hp, step, total)) for step in (0, 500, 1000, 2000, 5000, 10_000)]
    np.testing.assert_allclose(values, [1.0, 0.775, 0.55, 0.1, 0.1, 0.1], rtol=1e-6)


def test_epsilon_with_no_decay_phase_starts_at_its_end_value():
    hp = config(epsilon_start=1.0, epsilon_end=0.05, exploration_fraction=0.0)
    assert float(dqn.epsilon(hp, 0, 1000)) == pytest.approx(0.05)


# ---- target network ----


def test_target_update_is_due_when_an_iteration_crosses_a_multiple_of_the_interval():
    due = [bool(dqn.target_update_due(before, before + 4, 8)) for before in (0, 4, 8, 12, 14)]
    assert due == [False, True, False, True, True]


@pytest.fixture(scope="module")
def params_per_segment():
    """Online and target parameters after each of 4 one-iteration segments (4 env steps, 2 updates each),
    for tau = 1 (hard copy) and tau = 0.5, both with a target update every 8 env steps."""
    structure = config()
    train = dqn.make_train(structure, make_env("gymnax.cartpole"), 16, 4, 1)
    assert train.steps_per_segment == 4
    init, segment = jax.jit(train.init), jax.jit(train.segment)
    history = {}
    for tau in (1.0, 0.5):
        hp = config(tau=tau)
        states = [init(hp, jax.random.PRNGKey(0))]
        for _ in range(4):
            states.append(segment(hp, states[-1])[0])
        history[tau] = [(s.params, s.target_params) for s in states]
    return history


@pytest.mark.slow
def test_hard_target_update_copies_the_online_network_every_interval(params_per_segment):
    (p0, t0), (p4, t4), (p8, t8), (p12, t12), (p16, t16) = params_per_segment[1.0]
    assert same(t0, p0)
    assert same(t4, t0) and not same(p4, p0)  # 4 steps: online network trained, target not yet updated
    assert same(t8, p8)  # 8 steps: copied
    assert same(t12, t8) and not same(p12, p8)
    assert same(t16, p16)


@pytest.mark.slow
def test_soft_target_update_moves_tau_of_the_way_every_interval(params_per_segment):
    (p0, t0), (p4, t4), (p8, t8), _, _ = params_per_segment[0.5]
    assert same(t4, t0)
    for target, online, old in zip(leaves(t8), leaves(p8), leaves(t4), strict=True):
        np.testing.assert_allclose(target, 0.5 * online + 0.5 * old, rtol=1e-5, atol=1e-7)


@pytest.mark.slow
@pytest.mark.parametrize("learning_starts", [0, 10])
def test_annealed_learning_rate_reaches_zero_exactly_at_the_last_planned_update(learning_starts):
    hp = config(anneal_lr=True, learning_starts=learning_starts)
    train = dqn.make_train(hp, make_env("gymnax.cartpole"), 32, 2, 1)  # 2 segments of 4 iterations of 4 steps
    segment = jax.jit(train.segment)
    state = jax.jit(train.init)(hp, jax.random.PRNGKey(0))
    for _ in range(2):
        before, (state, _) = state, segment(hp, state)
    [adam] = [
        s
        for s in jax.tree.leaves(state.opt, is_leaf=lambda x: isinstance(x, optax.ScaleByAdamState))
        if isinstance(s, optax.ScaleByAdamState)
    ]
    assert int(adam.count) == dqn.planned_updates(hp, 8) == (16 if learning_starts == 0 else 12)
    assert not same(before.params, state.params)  # the rate was still above 0 in the last planned segment
    after, _ = segment(hp, state)
    assert same(after.params, state.params)  # and is 0 past the plan


# ---- dueling head ----


def test_dueling_q_is_the_value_plus_advantages_centred_on_their_mean():
    spec = make_env("gymnax.cartpole")
    agent = dqn.Agent(config(dueling=True), spec, total_timesteps=16, schedule_length=None)
    obs = jax.random.normal(jax.random.PRNGKey(1), (5,) + spec.obs_shape)
    params = agent.q_network.init(jax.random.PRNGKey(0), obs[0])
    out = np.asarray(agent.q_network.apply(params, obs))  # [batch, 1 + actions]: value, then advantages
    assert out.shape == (5, 1 + spec.action_dim)
    value, advantages = out[:, :1], out[:, 1:]
    expected = value + advantages - advantages.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(agent.q_values(params, obs), expected, rtol=1e-6)
    np.testing.assert_array_equal(agent.greedy_action(params, obs), expected.argmax(axis=1))


@pytest.mark.slow
def test_a_dueling_q_network_trains_and_its_td_loss_falls_on_a_fixed_batch():
    spec = make_env("gymnax.cartpole")
    hp = config(dueling=True, lr=1e-2)
    agent = dqn.Agent(hp, spec, total_timesteps=16, schedule_length=None)
    keys = jax.random.split(jax.random.PRNGKey(2), 4)
    obs = jax.random.normal(keys[0], (32,) + spec.obs_shape)
    batch = dqn.buffers.Transition(
        obs, jax.random.randint(keys[1], (32,), 0, 2), jax.random.normal(keys[2], (32,)),
        jax.random.normal(keys[3], (32,) + spec.obs_shape), np.zeros(32, np.float32),
    )  # fmt: skip
    params = target = agent.q_network.init(jax.random.PRNGKey(0), obs[0])
    optimizer = agent.optimizer(hp)
    opt = optimizer.init(params)
    first = agent.td_loss(params, target, hp, batch)
    for _ in range(50):
        grads = jax.grad(agent.td_loss)(params, target, hp, batch)
        updates, opt = optimizer.update(grads, opt, params)
        params = optax.apply_updates(params, updates)
    assert agent.td_loss(params, target, hp, batch) < 0.5 * first


# ---- replay of env transitions ----


@pytest.mark.slow
def test_terminal_transitions_store_the_last_observation_not_the_reset_one():
    hp = config(learning_starts=10_000, buffer_size=256, epsilon_start=1.0, epsilon_end=1.0)  # random play, no updates
    spec = make_env("gymnax.cartpole")
    train = dqn.make_train(hp, spec, 256, 1, 1)
    state = jax.jit(train.segment)(hp, jax.jit(train.init)(hp, jax.random.PRNGKey(1)))[0]
    obs, _, _, next_obs, terminated = (np.asarray(x) for x in state.buffer.data)
    ends = terminated[:-1] == 1.0
    assert ends.sum() >= 3  # random play drops the pole within a few dozen steps
    assert np.all(np.isclose(next_obs[:-1], obs[1:]).all(axis=-1) == ~ends)
    fell = (np.abs(next_obs[:-1, 0]) > spec.params.x_threshold) | (
        np.abs(next_obs[:-1, 2]) > spec.params.theta_threshold_radians
    )
    assert np.array_equal(fell, ends)  # the stored next obs is the state that ended the episode


# ---- through the runner ----


@pytest.fixture(scope="module")
def runner():
    settings = RunSettings(total_timesteps=64, num_evaluations=2, num_seeds=2, eval_episodes=2)
    return Runner(dqn, make_env("gymnax.cartpole"), settings)


def make_sample(sample_id, **overrides):
    values = {f"algorithm.hyperparam.{k}": v for k, v in overrides.items()}
    return Sample(sample_id, values, tiny_flat(**overrides))


@pytest.mark.slow
def test_a_configuration_gives_identical_returns_alone_in_a_batch_of_2_and_of_4_at_another_position(runner):
    target = make_sample(7, lr=3e-3, tau=0.5)
    others = [make_sample(i, lr=10 ** -(i + 2), gamma=0.9 + 0.02 * i) for i in range(3)]
    pair = returns_of(run_batch(runner, [others[0], target]), 7)
    four = returns_of(run_batch(runner, [others[1], others[2], target, others[0]]), 7)
    alone = returns_of(run_sequentially(runner, target), 7)
    assert np.array_equal(pair, four) and np.array_equal(pair, alone)


@pytest.mark.slow
def test_a_diverging_configuration_fails_while_its_batch_neighbour_is_ok(runner):
    result = run_batch(runner, [make_sample(0), make_sample(1, lr=1e30, max_grad_norm=1e30)])
    assert {row["sample_id"]: row["status"] for row in result.rows} == {0: "ok", 1: "failed"}
