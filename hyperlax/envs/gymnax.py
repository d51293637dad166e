"""gymnax environments: lookup by env config name, and a deterministic evaluation loop.

gymnax `step` already auto-resets; it returns (obs, state, reward, terminated, truncated, info) and
puts the pre-reset observation in `info["final_observation"]`, which lets agents bootstrap on truncation.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnax
import jax
import jax.numpy as jnp
from gymnax.environments import spaces

from hyperlax.envs.catalog import ENV_CONFIGS
from hyperlax.errors import InputError


@dataclass(frozen=True)
class EnvSpec:
    name: str
    gymnax_id: str
    env: Any
    params: Any
    obs_dim: int
    discrete: bool
    action_dim: int  # number of actions when discrete, action vector size when continuous
    action_low: float
    action_high: float
    return_range: tuple
    max_episode_steps: int

    def __hash__(self):  # used as a static argument of compiled programs
        return hash((self.name, self.gymnax_id))

    def __eq__(self, other):
        return isinstance(other, EnvSpec) and (self.name, self.gymnax_id) == (other.name, other.gymnax_id)


def make_env(name: str) -> EnvSpec:
    if name not in ENV_CONFIGS:
        raise InputError(f"unknown env config '{name}'; valid: {', '.join(sorted(ENV_CONFIGS))}")
    cfg = ENV_CONFIGS[name]
    env, params = gymnax.make(cfg["gymnax_id"])
    action_space = env.action_space(params)
    discrete = isinstance(action_space, spaces.Discrete)
    if discrete:
        action_dim, low, high = int(action_space.n), 0.0, 0.0
    else:
        action_dim = int(action_space.shape[0])
        low, high = float(jnp.min(action_space.low)), float(jnp.max(action_space.high))
    return EnvSpec(
        name=name,
        gymnax_id=cfg["gymnax_id"],
        env=env,
        params=params,
        obs_dim=int(env.observation_space(params).shape[0]),
        discrete=discrete,
        action_dim=action_dim,
        action_low=low,
        action_high=high,
        return_range=tuple(cfg["return_range"]),
        max_episode_steps=int(params.max_steps_in_episode),
    )


def reset_envs(spec: EnvSpec, keys: jax.Array):
    """Reset one env per key: (obs, env_state), each with a leading env axis."""
    return jax.vmap(spec.env.reset, in_axes=(0, None))(keys, spec.params)


def step_envs(spec: EnvSpec, key: jax.Array, env_state, action: jax.Array):
    """Step a batch of envs, each with its own split of `key`: (obs, env_state, reward, terminated, truncated, info)."""
    keys = jax.random.split(key, action.shape[0])
    return jax.vmap(spec.env.step, in_axes=(0, 0, 0, None))(keys, env_state, action, spec.params)


def evaluate(spec: EnvSpec, policy: Callable, key: jax.Array, num_episodes: int) -> jax.Array:
    """Return of `num_episodes` episodes run in parallel with a deterministic `policy(obs) -> action`.

    Every episode ends within `max_episode_steps` (gymnax truncates there), so a fixed-length scan
    that stops accumulating at each episode's first end is exact.
    """
    reset_keys = jax.random.split(key, num_episodes + 1)
    step_key, reset_keys = reset_keys[0], reset_keys[1:]
    obs, env_state = reset_envs(spec, reset_keys)

    def step(carry, step_key):
        obs, env_state, returns, running = carry
        action = policy(obs)
        obs, env_state, reward, terminated, truncated, _ = step_envs(spec, step_key, env_state, action)
        returns = returns + reward * running
        running = running * (1.0 - jnp.logical_or(terminated, truncated))
        return (obs, env_state, returns, running), None

    init = (obs, env_state, jnp.zeros(num_episodes), jnp.ones(num_episodes))
    (_, _, returns, _), _ = jax.lax.scan(step, init, jax.random.split(step_key, spec.max_episode_steps))
    return returns
