"""EnvSpec: an env as the engine uses it, whatever adapter built it (gymnax, a user's factory, ...), with the
batched reset/step and the deterministic evaluation loop every algorithm shares.

Every adapter ends in `build_spec`, which traces the env once (`jax.eval_shape`: shapes only, nothing
compiles), so an env that cannot run is refused before anything is written, and which casts observations
that are not float32 vectors (MinAtar's boolean maps, FourRooms' integer cells, FrozenLake's scalar) to
float32 with at least one axis, so every network reads them.
"""

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from hyperlax.errors import InputError, raised


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

    name: str  # the display name (the --env-config reference as given), not part of the identity
    env_id: str  # what the env is: a gymnax id, or a user factory's absolute reference
    env: Any  # protocol.Env
    params: Any
    obs_shape: tuple  # one observation's shape: (n,) for vectors, (height, width, channels) for images
    discrete: bool
    action_dim: int  # number of actions when discrete, action vector size when continuous
    action_low: float
    action_high: float
    return_range: tuple | None  # (R_min, R_max) of an episode's return, for the normalised metrics; None: unknown
    max_episode_steps: int
    params_digest: str  # params_digest(params), plus whatever else decides the env (a user file's hash)
    renderer: Callable | None = None  # optional: renderer(env_state, params) -> an RGB frame

    @property
    def obs_dim(self) -> int:
        """Numbers in one observation."""
        return math.prod(self.obs_shape)

    @property
    def identity(self) -> tuple:
        """What a compiled program depends on: the env's id and its parameters, not the display name."""
        return (self.env_id, self.params_digest)

    def __hash__(self):  # used as a static argument of compiled programs
        return hash(self.identity)

    def __eq__(self, other):
        return isinstance(other, EnvSpec) and self.identity == other.identity


def as_float(obs: jax.Array) -> jax.Array:
    return jnp.atleast_1d(obs).astype(jnp.float32)


@dataclass(frozen=True)
class Float32Obs:
    """An env whose observations (and rewards) are float32 with at least one axis; what it wraps is unchanged."""

    env: Any

    def reset(self, key, params):
        obs, state = self.env.reset(key, params)
        return as_float(obs), state

    def step(self, key, state, action, params):
        obs, state, reward, terminated, truncated, info = self.env.step(key, state, action, params)
        info = {**info, "final_observation": as_float(info["final_observation"])}
        return as_float(obs), state, jnp.asarray(reward, jnp.float32), terminated, truncated, info

    def observation_space(self, params):
        return self.env.observation_space(params)

    def action_space(self, params):
        return self.env.action_space(params)


def action_space_of(what: str, env, params) -> tuple:
    """(discrete, action_dim, low, high) of a discrete space (`n`) or a box (`shape`, `low`, `high`)."""
    try:
        space = env.action_space(params)
        if hasattr(space, "n"):
            return True, int(space.n), 0.0, 0.0
        low, high = float(jnp.min(jnp.asarray(space.low))), float(jnp.max(jnp.asarray(space.high)))
        return False, int(math.prod(space.shape)), low, high
    except Exception as exc:
        raise InputError(
            f"{what}: its action_space is neither discrete (n) nor a box (shape, low, high): {raised(exc)}"
        ) from None


def traced_shapes(what: str, env, params, discrete: bool, action_dim: int) -> tuple:
    """(observation, reward) shapes of one reset and one step, traced abstractly; one line if they do not trace."""
    key = jax.random.PRNGKey(0)
    try:
        obs, state = jax.eval_shape(env.reset, key, params)
    except Exception as exc:
        raise InputError(f"{what}: reset(key, params) does not trace with jax.eval_shape: {raised(exc)}") from None
    action = jnp.zeros((), jnp.int32) if discrete else jnp.zeros((action_dim,), jnp.float32)
    try:
        out = jax.eval_shape(env.step, key, state, action, params)
    except Exception as exc:
        raise InputError(f"{what}: step(key, state, action, params) does not trace: {raised(exc)}") from None
    if not isinstance(out, tuple | list) or len(out) != 6 or not isinstance(out[5], dict):
        raise InputError(f"{what}: step must return (obs, state, reward, terminated, truncated, info)")
    if "final_observation" not in out[5]:
        raise InputError(f"{what}: step's info has no 'final_observation' (the last observation of an ended episode)")
    return obs, out[2]


def build_spec(name: str, env_id: str, env, params, return_range, extra_digest: str = "") -> EnvSpec:
    """Any env satisfying protocol.Env, with its params, as an EnvSpec; every problem is one InputError line."""
    what = f"env '{name}'"
    steps = getattr(params, "max_steps_in_episode", None)
    if steps is None:
        raise InputError(f"{what}: its params have no max_steps_in_episode (every episode must end within it)")
    discrete, action_dim, low, high = action_space_of(what, env, params)
    obs, reward = traced_shapes(what, env, params, discrete, action_dim)
    if obs.dtype != jnp.float32 or not obs.shape or reward.dtype != jnp.float32:
        env = Float32Obs(env)
    return EnvSpec(
        name=name,
        env_id=env_id,
        env=env,
        params=params,
        obs_shape=tuple(int(n) for n in obs.shape) or (1,),
        discrete=discrete,
        action_dim=action_dim,
        action_low=low,
        action_high=high,
        return_range=None if return_range is None else tuple(float(v) for v in return_range),
        max_episode_steps=int(steps),
        params_digest=params_digest(params) + extra_digest,
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
