"""A tiny env of your own, in pure JAX: each step shows a number x in [-1, 1]; guess its sign (action 1: x > 0)
for +1, else 0. Train on it with `--env-config examples/sign_env.py:make` (README, "Bring your own environment").

Subclassing gymnax's Environment gives `step` with auto-reset and info["final_observation"] for free: write
`reset_env`, `step_env`, the spaces, and a `make(**kwargs)` returning (env, env_params).
"""

import jax
import jax.numpy as jnp
from flax import struct
from gymnax.environments import environment, spaces


@struct.dataclass
class EnvParams(environment.EnvParams):
    max_steps_in_episode: int = 10


@struct.dataclass
class EnvState(environment.EnvState):
    x: jax.Array


class SignEnv(environment.Environment):
    def reset_env(self, key, params):
        state = EnvState(time=0, x=jax.random.uniform(key, (), minval=-1.0, maxval=1.0))
        return state.x[None], state

    def step_env(self, key, state, action, params):
        reward = jnp.where((action == 1) == (state.x > 0), 1.0, 0.0)
        state = EnvState(time=state.time + 1, x=jax.random.uniform(key, (), minval=-1.0, maxval=1.0))
        done = state.time >= params.max_steps_in_episode
        return state.x[None], state, reward, done, {}

    def observation_space(self, params):
        return spaces.Box(-1.0, 1.0, (1,), jnp.float32)

    def action_space(self, params):
        return spaces.Discrete(2)


def make(max_steps_in_episode: int = 10):
    return SignEnv(), EnvParams(max_steps_in_episode=max_steps_in_episode)
