"""What every algorithm shares: typed hyperparameter fields and the traced/structural split.

An algorithm's `Config` is a `flax.struct.PyTreeNode`. Traced hyperparameters are pytree leaves (float32
scalars, stacked along a config axis inside a batch); structural ones are static fields
(`pytree_node=False`) that change shapes or control flow. The runner reads the split from the type, so it
needs no per-algorithm code.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from hyperlax.algos.networks import ACTIVATIONS, Torso
from hyperlax.algos.registry import resolve_torso, torso_problem
from hyperlax.envs.spec import EnvSpec, evaluate


def traced(help: str, key: str | None = None, default: float | None = None):
    """A float hyperparameter that may differ between configurations of one compiled batch; `default` stands
    in when a recipe (or a run stored before the field existed) lacks the key."""
    return struct.field(pytree_node=True, metadata={"help": help, "key": key, "default": default})


def structural(help: str, key: str | None = None, minimum: int = 1, check=None, default=None):
    """A hyperparameter that changes shapes or control flow: configurations are grouped by it. An integer
    one is at least `minimum`; a string one passes `check(value) -> problem or None`; `default` stands in
    when a recipe (or a run stored before the field existed) lacks the key."""
    metadata = {"help": help, "key": key, "minimum": minimum, "check": check, "default": default}
    return struct.field(pytree_node=False, metadata=metadata)


def activation_problem(value: str) -> str | None:
    return None if value in ACTIVATIONS else f"expected one of {', '.join(ACTIVATIONS)}, got {value!r}"


def activation_field(help: str, key: str | None = None):
    """A structural activation name (networks.ACTIVATIONS)."""
    return structural(help, key, check=activation_problem)


def torso_reference_problem(value: str) -> str | None:
    return torso_problem(value, None)


def torso_field(help: str, key: str | None = None):
    """A structural torso reference (mlp, cnn, module:attr or file.py:attr); mlp when the recipe has none."""
    return structural(help, key, check=torso_reference_problem, default="mlp")


def torsos_problem(config, env: EnvSpec | None) -> str | None:
    """Why one of `config`'s torsos cannot be used (with `env`: cannot read its observations), or None."""
    for f in dataclasses.fields(config):
        if f.metadata.get("check") is not torso_reference_problem:
            continue
        if problem := torso_problem(getattr(config, f.name), None if env is None else env.obs_shape):
            return f"{dotted_key(f)}: {problem}"
    return None


def make_torso(reference: str, layer_sizes: tuple, activation_name: str, env: EnvSpec) -> Torso:
    """A config's torso for `env`'s observations."""
    return Torso(resolve_torso(reference), tuple(layer_sizes), activation_name, env.obs_shape)


MAX_LAYER_WIDTH = 65_536
MAX_INT = 10**9  # counts, sizes and step intervals: int32 counters must hold their products


def value_problem(field: dataclasses.Field, value) -> str | None:
    """What is wrong with `value` for this Config field (None: nothing). Checked before anything is built."""
    kind = field.type
    if is_traced(field):
        number = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
        return None if number and np.isfinite(value) else f"expected a finite number, got {value!r}"
    if kind is bool:
        return None if isinstance(value, bool) else f"expected true or false, got {value!r}"
    if kind is int:
        low = field.metadata.get("minimum", 1)
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and low <= value <= MAX_INT
        return None if ok else f"expected an integer from {low} to {MAX_INT:,}, got {value!r}"
    if kind is tuple:  # hidden layer sizes
        sizes = value if isinstance(value, (list, tuple)) else None
        ok = sizes is not None and len(sizes) <= 64
        ok = ok and all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_LAYER_WIDTH for n in sizes)
        return None if ok else f"expected a list of layer widths from 1 to {MAX_LAYER_WIDTH:,}, got {value!r}"
    if kind is str:  # an activation, a torso, or a user's choice: the field's check says
        if not isinstance(value, str):
            return f"expected a string, got {value!r}"
        check = field.metadata.get("check")
        return check(value) if check else None
    return None


def dotted_key(field: dataclasses.Field) -> str:
    return field.metadata.get("key") or f"algorithm.hyperparam.{field.name}"


def is_traced(field: dataclasses.Field) -> bool:
    return field.metadata.get("pytree_node", True)


def config_from_flat(config_cls, flat: dict) -> Any:
    """Build a Config from `{dotted_key: value}`: traced values as float32, lists as tuples."""
    values = {}
    for field in dataclasses.fields(config_cls):
        key = dotted_key(field)
        value = flat[key] if key in flat or field.metadata.get("default") is None else field.metadata["default"]
        if is_traced(field):
            value = np.float32(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[field.name] = value
    return config_cls(**values)


def structural_key(config) -> tuple:
    """The static part of a config: configurations with equal keys share one compiled program."""
    return tuple((f.name, getattr(config, f.name)) for f in dataclasses.fields(config) if not is_traced(f))


def stack_configs(configs: list) -> Any:
    """Stack configs with one structural key into one Config whose traced leaves have a leading axis."""
    return jax.tree.map(lambda *leaves: np.stack(leaves), *configs)


def clipped_adam(lr, max_grad_norm, num_updates: int | None = None, eps: float = 1e-8):
    """Adam after a global-norm clip; with `num_updates`, the rate decays linearly to 0 over that many steps."""
    if num_updates is not None:
        lr = optax.linear_schedule(lr, 0.0, num_updates)
    return optax.chain(optax.clip_by_global_norm(max_grad_norm), optax.adam(lr, eps=eps))


def trainable_count(state) -> int:
    """Parameters a gradient step trains: the leaves under a state field named `*params` (PPO's actor_params
    and critic_params, SAC's, DQN's params), not target networks (`target_params`: copies that follow)."""
    total = 0
    for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
        names = [k.name for k in path if isinstance(k, jax.tree_util.GetAttrKey)]
        if any(n.endswith("params") and not n.startswith("target") for n in names):
            total += int(np.prod(leaf.shape))
    return total


def tree_is_finite(tree) -> jax.Array:
    """True when every leaf is finite: how an algorithm notices that a configuration diverged."""
    return jnp.all(jnp.array([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]))


class SegmentOutput(NamedTuple):
    eval_returns: jax.Array  # [eval_episodes] returns of the deterministic policy after this segment
    finite: jax.Array  # False once parameters or losses became non-finite
    env_steps: jax.Array  # env steps trained so far


class Policy(NamedTuple):
    """How a trained agent acts, what `make_policy(config, env)` returns; a saved agent is rebuilt from it.

    params_of(state) -> the pytree acting needs, picked from a training state: network parameters and
      observation-normalisation statistics (what an agent file keeps).
    act(params, obs, key=None, deterministic=True) -> action for `obs` (any leading batch axes): the greedy
      action, or with `deterministic=False` one drawn with `key`. The training program's evaluation calls
      `act(params_of(state), obs)`, so a reloaded agent takes bitwise the actions it took there.
    """

    params_of: Callable
    act: Callable


class Train(NamedTuple):
    """What `make_train` returns: pure functions that jit and vmap accept as they are.

    init(config, key) -> state; segment(config, state) -> (state, SegmentOutput). One segment trains
    `steps_per_segment` env steps and then evaluates; the runner calls it `num_evaluations` times.
    """

    init: Callable
    segment: Callable
    steps_per_segment: int


def make_segment(
    iteration: Callable, greedy_policy: Callable, spec: EnvSpec, iterations_per_segment: int, eval_episodes: int
) -> Callable:
    """`segment(hp, state)`: `iterations_per_segment` calls of `iteration(hp, state)`, then an evaluation of
    `greedy_policy(state)`, a deterministic `policy(obs) -> action`.

    The eval key folds in env_steps, so each evaluation draws fresh episodes from the state's own stream.
    """

    def segment(hp, state):
        state, _ = jax.lax.scan(lambda s, _: (iteration(hp, s), None), state, None, iterations_per_segment)
        eval_key = jax.random.fold_in(state.eval_key, state.env_steps)
        returns = evaluate(spec, greedy_policy(state), eval_key, eval_episodes)
        finite = state.finite & jnp.all(jnp.isfinite(returns))
        return state, SegmentOutput(returns, finite, state.env_steps)

    return segment
