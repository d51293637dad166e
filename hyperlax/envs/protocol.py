"""What the engine needs from an environment, written down.

gymnax environments implement `Env` as they are (hyperlax.envs.gymnax adapts them into an `EnvSpec`: the
env, its params, its spaces, its identity and return range). Another kind of env needs an adapter that
gives the same functions; everything is pure JAX, so rollouts and evaluation compile into the training
program.
"""

from typing import Any, Protocol, runtime_checkable

import jax


@runtime_checkable
class Space(Protocol):
    """An observation or action space: `shape`; a discrete one has `n` actions, a box one `low`/`high`."""

    shape: tuple


@runtime_checkable
class Env(Protocol):
    """A functional environment: its state is a pytree passed in and out, its `params` a pytree too.

    `step` resets a finished episode itself (auto-reset) and returns the first observation of the next one;
    the last observation of the finished episode is `info["final_observation"]`, so agents can bootstrap from
    it when the episode was truncated (a time limit is not a state of the MDP). `terminated` and
    `truncated` are booleans; episodes must end within `params.max_steps_in_episode` steps.
    """

    def reset(self, key: jax.Array, params: Any) -> tuple[jax.Array, Any]:
        """(obs, state) of a new episode."""
        ...

    def step(
        self, key: jax.Array, state: Any, action: jax.Array, params: Any
    ) -> tuple[jax.Array, Any, jax.Array, jax.Array, jax.Array, dict]:
        """(obs, state, reward, terminated, truncated, info) with info["final_observation"]."""
        ...

    def observation_space(self, params: Any) -> Space: ...

    def action_space(self, params: Any) -> Space: ...


# Besides the env, an adapter's EnvSpec (hyperlax.envs.spec.EnvSpec) carries:
# - identity: (env id, digest of its params); it keys compiled programs, so two envs under one display
#   name with different params never share one, and one env under two names does;
# - return_range: (R_min, R_max) of an episode's return, which the normalised metrics (stability_score,
#   normalized_auc) need; the catalog (hyperlax.envs.catalog) gives one for every env it names;
# - renderer: optional, renderer(env_state, params) -> an RGB frame.
