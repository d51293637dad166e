"""A user's algorithm, as small as the protocol allows: REINFORCE with a baseline, discrete actions.

A module is an algorithm when it has what hyperlax.algos.protocol.Algorithm lists, so a recipe can name this
file (`algorithm.name: tests/plugins/reinforce.py`) or `tests.plugins.reinforce`. Tests only.
"""

import jax
import jax.numpy as jnp
import optax
from flax import struct

from hyperlax.algos import distributions as D
from hyperlax.algos.common import Train, make_segment, structural, traced, tree_is_finite
from hyperlax.algos.networks import MLP
from hyperlax.envs.spec import EnvSpec, reset_envs, step_envs

NAME = "reinforce"
SUPPORTS_DISCRETE = True
SUPPORTS_CONTINUOUS = False
ROLLOUT_LENGTH = 32
GAMMA = 0.99


class Config(struct.PyTreeNode):
    lr: float = traced("Adam learning rate of the policy")
    num_envs: int = structural("parallel environments")


class State(struct.PyTreeNode):
    params: dict
    opt: optax.OptState
    env_state: object
    obs: jax.Array
    key: jax.Array
    eval_key: jax.Array
    env_steps: jax.Array
    finite: jax.Array


def returns_to_go(rewards, dones):
    """Discounted returns of a rollout [T, envs], cut at episode ends (the tail is not bootstrapped)."""

    def backward(future, step):
        reward, done = step
        value = reward + GAMMA * future * (1.0 - done)
        return value, value

    return jax.lax.scan(backward, jnp.zeros_like(rewards[0]), (rewards, dones), reverse=True)[1]


def make_train(config: Config, env: EnvSpec, total_timesteps: int, num_evaluations: int, eval_episodes: int):
    policy = MLP((16,), "tanh", env.action_dim, out_scale=0.01)
    steps_per_iteration = config.num_envs * ROLLOUT_LENGTH
    iterations = max(1, round(total_timesteps / num_evaluations / steps_per_iteration))

    def init(hp: Config, key) -> State:
        net_key, env_key, eval_key, key = jax.random.split(key, 4)
        params = policy.init(net_key, jnp.zeros(env.obs_shape))
        obs, env_state = reset_envs(env, jax.random.split(env_key, config.num_envs))
        zero, yes = jnp.asarray(0, jnp.int32), jnp.asarray(True)
        return State(params, optax.adam(hp.lr).init(params), env_state, obs, key, eval_key, zero, yes)

    def rollout(state: State):
        def step(carry, key):
            obs, env_state = carry
            action_key, step_key = jax.random.split(key)
            action = D.categorical_sample(action_key, policy.apply(state.params, obs))
            next_obs, env_state, reward, terminated, truncated, _ = step_envs(env, step_key, env_state, action)
            return (next_obs, env_state), (obs, action, reward, (terminated | truncated).astype(jnp.float32))

        key, rollout_key = jax.random.split(state.key)
        keys = jax.random.split(rollout_key, ROLLOUT_LENGTH)
        (obs, env_state), batch = jax.lax.scan(step, (state.obs, state.env_state), keys)
        return state.replace(obs=obs, env_state=env_state, key=key), batch

    def iteration(hp: Config, state: State) -> State:
        state, (obs, action, reward, done) = rollout(state)
        target = returns_to_go(reward, done)
        advantage = target - target.mean()

        def loss(params):
            return -jnp.mean(D.categorical_log_prob(action, policy.apply(params, obs)) * advantage)

        value, grads = jax.value_and_grad(loss)(state.params)
        updates, opt = optax.adam(hp.lr).update(grads, state.opt)
        params = optax.apply_updates(state.params, updates)
        finite = state.finite & jnp.isfinite(value) & tree_is_finite(params)
        return state.replace(params=params, opt=opt, env_steps=state.env_steps + steps_per_iteration, finite=finite)

    def greedy_policy(state: State):
        return lambda obs: jnp.argmax(policy.apply(state.params, obs), axis=-1)

    segment = make_segment(iteration, greedy_policy, env, iterations, eval_episodes)
    return Train(init=init, segment=segment, steps_per_segment=iterations * steps_per_iteration)


def config_problem(config: Config, env: EnvSpec | None) -> str | None:
    return None
