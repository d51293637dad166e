"""The brax adapter: `brax:<name>` (any env brax.envs registers) as an EnvSpec.

brax is an optional extra (`pip install -e ".[brax]"`, Python >= 3.11), imported only when a `brax:` env is
named. A brax `Env` is `reset(rng) -> State` and `step(state, action) -> State`, with `done` a float. brax's
`EpisodeWrapper` ends an episode after `episode_length` steps with done = 1 and info["truncation"] = 1,
unless the env ended it itself at that same step (then truncation = 0). This adapter maps that onto
protocol.Env:

- terminated = done & ~truncation, truncated = truncation: a time limit is not a termination, so agents
  bootstrap from info["final_observation"] there (rejax's brax wrapper reports it as one);
- a finished episode restarts from `reset` with the step's own key, as gymnax does. brax's
  `AutoResetWrapper` is not used: it restarts every episode from the state of the env's first reset.

Brax episodes have no known return range, so the normalised metrics are unavailable for them.
"""

import contextlib
import hashlib
import io
import json
import warnings

import jax
import jax.numpy as jnp
from flax import struct
from gymnax.environments import spaces

from hyperlax.envs.spec import EnvSpec, build_spec
from hyperlax.errors import InputError, raised

PREFIX = "brax:"
BACKENDS = ("generalized", "positional", "spring", "mjx")
DEFAULT_EPISODE_LENGTH = 1000
INSTALL = 'pip install -e ".[brax]" (brax needs Python >= 3.11)'


@struct.dataclass
class BraxParams:
    """A brax env's parameters live in the env object; only the time limit is a parameter here."""

    max_steps_in_episode: int = struct.field(pytree_node=False)


class BraxEnv:
    """A brax env as a protocol.Env: a time limit, the terminated/truncated split, auto-reset from a fresh key."""

    def __init__(self, env, episode_length: int):
        from brax.envs.wrappers.training import EpisodeWrapper

        self.brax_env = env
        self.env = EpisodeWrapper(env, episode_length, action_repeat=1)

    def reset(self, key: jax.Array, params: BraxParams):
        state = self.env.reset(key)
        return state.obs, state

    def step(self, key: jax.Array, state, action: jax.Array, params: BraxParams):
        after = self.env.step(state, action)
        truncated = after.info["truncation"] > 0.5
        terminated = (after.done > 0.5) & ~truncated
        ended = terminated | truncated
        after = after.replace(reward=jnp.asarray(after.reward, jnp.float32))
        next_state = jax.tree.map(lambda new, old: jnp.where(ended, new, old), self.env.reset(key), after)
        return next_state.obs, next_state, after.reward, terminated, truncated, {"final_observation": after.obs}

    def observation_space(self, params: BraxParams) -> spaces.Box:
        return spaces.Box(-jnp.inf, jnp.inf, (self.brax_env.observation_size,), jnp.float32)

    def action_space(self, params: BraxParams) -> spaces.Box:
        return spaces.Box(-1.0, 1.0, (self.brax_env.action_size,), jnp.float32)


def brax_env_class(name: str, config_name: str):
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # mujoco.mjx prints "Failed to import warp" without warp
            import brax.envs
    except ImportError:
        raise InputError(f"env config '{config_name}' needs brax: {INSTALL}") from None
    registered = brax.envs._envs  # brax's registry: what register_environment adds, get_environment reads
    if name not in registered:
        raise InputError(f"unknown brax env '{name}'; valid: {', '.join(PREFIX + n for n in sorted(registered))}")
    return registered[name]


def make_brax(reference: str, name: str, kwargs: dict | None = None, return_range=None) -> EnvSpec:
    """`brax:<name>` with env kwargs: `episode_length` (default 1000), `backend` (generalized, positional,
    spring or mjx; the env's own default otherwise), and any keyword of the brax env's constructor. No return
    range unless given (--return-range)."""
    env_class = brax_env_class(name, reference)
    kwargs = dict(kwargs or {})
    episode_length = kwargs.pop("episode_length", DEFAULT_EPISODE_LENGTH)
    if isinstance(episode_length, bool) or not isinstance(episode_length, int) or episode_length < 1:
        raise InputError(f"env kwargs of '{reference}': episode_length must be an int >= 1, not {episode_length!r}")
    backend = kwargs.get("backend")
    if backend is not None and backend not in BACKENDS:
        raise InputError(f"env kwargs of '{reference}': unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    try:
        with warnings.catch_warnings():  # brax warns at every model load that its pipelines are unmaintained
            warnings.filterwarnings("ignore", message="Brax System", category=UserWarning)
            env = env_class(**kwargs)
    except Exception as exc:
        raise InputError(f"brax env '{name}' with kwargs {json.dumps(kwargs)} raised {raised(exc)}") from None
    identity = {"episode_length": episode_length, **kwargs, "backend": env.backend}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()
    params = BraxParams(max_steps_in_episode=episode_length)
    return build_spec(reference, reference, BraxEnv(env, episode_length), params, return_range, digest)
