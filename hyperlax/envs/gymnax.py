"""The gymnax adapter: any gymnax env as an EnvSpec, the catalog's envs by name, a deterministic evaluation loop.

gymnax `step` already auto-resets; it returns (obs, state, reward, terminated, truncated, info) and
puts the pre-reset observation in `info["final_observation"]`, which lets agents bootstrap on truncation.
"""

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnax
import jax
import jax.numpy as jnp
import numpy as np
from gymnax.environments import spaces

from hyperlax.envs.catalog import ENV_CONFIGS
from hyperlax.errors import InputError


def params_digest(params) -> str:
    """A stable digest of env parameters: their tree structure, and each leaf's dtype, shape and bytes."""
    digest = hashlib.sha256(str(jax.tree.structure(params)).encode())
    for leaf in jax.tree.leaves(params):
        array = np.asarray(leaf)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class EnvSpec:
    """An env as the engine uses it (protocol.Env plus what the agents need to know about its spaces)."""

    name: str  # the display name (env config), not part of the identity
    gymnax_id: str
    env: Any  # protocol.Env
    params: Any
    obs_shape: tuple  # one observation's shape: (n,) for vectors, (height, width, channels) for images
    discrete: bool
    action_dim: int  # number of actions when discrete, action vector size when continuous
    action_low: float
    action_high: float
    return_range: tuple | None  # (R_min, R_max) of an episode's return, for the normalised metrics; None: unknown
    max_episode_steps: int
    params_digest: str  # params_digest(params)
    renderer: Callable | None = None  # optional: renderer(env_state, params) -> an RGB frame

    @property
    def obs_dim(self) -> int:
        """Numbers in one observation."""
        return math.prod(self.obs_shape)

    @property
    def identity(self) -> tuple:
        """What a compiled program depends on: the env's id and its parameters, not the display name."""
        return (self.gymnax_id, self.params_digest)

    def __hash__(self):  # used as a static argument of compiled programs
        return hash(self.identity)

    def __eq__(self, other):
        return isinstance(other, EnvSpec) and self.identity == other.identity


def gymnax_spec(name: str, gymnax_id: str, env, params, return_range: tuple) -> EnvSpec:
    """The adapter: any gymnax env (already protocol.Env) with its params, as an EnvSpec."""
    action_space = env.action_space(params)
    discrete = isinstance(action_space, spaces.Discrete)
    if discrete:
        action_dim, low, high = int(action_space.n), 0.0, 0.0
    else:
        action_dim = int(action_space.shape[0])
        low, high = float(jnp.min(action_space.low)), float(jnp.max(action_space.high))
    return EnvSpec(
        name=name,
        gymnax_id=gymnax_id,
        env=env,
        params=params,
        obs_shape=tuple(int(n) for n in env.observation_space(params).shape),
        discrete=discrete,
        action_dim=action_dim,
        action_low=low,
        action_high=high,
        return_range=tuple(return_range),
        max_episode_steps=int(params.max_steps_in_episode),
        params_digest=params_digest(params),
    )


def make_env(name: str, kwargs: dict | None = None) -> EnvSpec:
    """An env config of the catalog (envs.catalog) by name, or `brax:<name>` with its env kwargs."""
    if name.startswith("brax:"):
        from hyperlax.envs.brax import brax_spec_fields  # brax is an optional extra: imported only when named

        return EnvSpec(**brax_spec_fields(name, kwargs))
    if name not in ENV_CONFIGS:
        raise InputError(f"unknown env config '{name}'; valid: {', '.join(sorted(ENV_CONFIGS))}")
    cfg = ENV_CONFIGS[name]
    env, params = gymnax.make(cfg["gymnax_id"])
    return gymnax_spec(name, cfg["gymnax_id"], env, params, cfg["return_range"])


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
