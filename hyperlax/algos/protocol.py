"""What the engine needs from an algorithm and from a network torso, written down.

The built-ins (hyperlax.algos.ppo, sac, dqn; networks.MLPTorso, CNNTorso) implement these protocols, and a
user's code can too: a recipe names it by `algorithm.name` or `algorithm.network.<net>.pre_torso.name`
(`package.module:attr` or `path/to/file.py:attr`, see hyperlax.registry). Nothing here is a base class:
any module, class or object with these members will do.
"""

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import jax

from hyperlax.algos.common import Policy, SegmentOutput, Train
from hyperlax.envs.spec import EnvSpec

__all__ = ["Algorithm", "Policy", "SegmentOutput", "State", "Torso", "Train"]


@runtime_checkable
class State(Protocol):
    """The training state `Train.init` returns and `Train.segment` carries (a pytree, e.g. a
    flax.struct.PyTreeNode). The engine reads these fields; everything else is the algorithm's own."""

    key: jax.Array  # the training PRNG stream
    eval_key: jax.Array  # evaluation's own stream, so segment boundaries do not change training
    env_steps: jax.Array  # int32 env steps trained so far
    finite: jax.Array  # False once parameters or losses became non-finite: the row fails alone


@runtime_checkable
class Algorithm(Protocol):
    """An RL algorithm the engine can train many configurations of in one compiled program.

    `Config` is a `flax.struct.PyTreeNode` whose fields are made with `hyperlax.algos.common.traced(help)`
    (float hyperparameters that may differ between the rows of one program: stacked along a leading axis)
    or `structural(help)` (ints, bools, tuples, strings that change shapes or control flow: configurations
    are grouped by them). A field's recipe key is `algorithm.hyperparam.<name>` unless `key=` says otherwise.

    `make_train(config, env, total_timesteps, num_evaluations, eval_episodes) -> Train`: `config` holds the
    group's structural values (its traced ones are placeholders); `Train.init(hp, key) -> State` and
    `Train.segment(hp, state) -> (State, SegmentOutput)` must be pure, so jit and vmap accept them as they
    are: `hp` is the config with this row's traced values. The engine calls `segment` `num_evaluations`
    times; each trains `Train.steps_per_segment` env steps, then evaluates `eval_episodes` episodes
    (`hyperlax.algos.common.make_segment` does the scan and the evaluation).

    `config_problem(config, env)`: why a combination of structural values cannot train, in one line, or
    None. `env` is None when a recipe is checked before an env is chosen, else the EnvSpec about to be used.

    `make_policy(config, env) -> Policy` (hyperlax.algos.common.Policy): `params_of(state)`, what acting needs
    from a training state, and `act(params, obs, key=None, deterministic=True)`, the action. Saved agents
    (--save-agents, `hyperlax train`, `hyperlax evaluate`) are built on it, and the built-ins' evaluation
    during training calls the same `act`, so a reloaded agent acts bitwise as the training program did. An
    algorithm without it trains as before; its agents cannot be saved (optional, so not a member here:
    isinstance checks only what every algorithm must have).

    Optional: `gradient_updates_per_env_step(config) -> float`, which the built-ins provide for the
    throughput benchmarks (benchmarks/); the engine does not read it.
    """

    NAME: ClassVar[str]  # how messages and run records name it
    SUPPORTS_DISCRETE: ClassVar[bool]  # can act in envs with discrete actions
    SUPPORTS_CONTINUOUS: ClassVar[bool]  # can act in envs with continuous (box) actions
    Config: ClassVar[type]

    def make_train(
        self, config: Any, env: EnvSpec, total_timesteps: int, num_evaluations: int, eval_episodes: int
    ) -> Train: ...

    def config_problem(self, config: Any, env: EnvSpec | None) -> str | None: ...


class Torso(Protocol):
    """A network torso: a `flax.linen.Module` class, built as `Torso(layer_sizes=..., activation=...,
    obs_shape=...)` from the recipe's structural values (`activation` is a name in
    hyperlax.algos.networks.ACTIVATIONS) and the env's observation shape, whose `__call__(obs)` maps
    observations `[*batch, *obs_shape]` (any number of leading batch axes, none included) to features
    `[*batch, n]`. The algorithm puts its heads (policy logits, values, Q values) on top of the features.

    Optional: `input_problem(obs_shape) -> str | None` (a staticmethod), why the torso cannot read
    observations of that shape (e.g. a CNN on flat observations), checked before anything compiles.
    """

    layer_sizes: Sequence[int]
    activation: str
    obs_shape: tuple

    def __call__(self, obs: jax.Array) -> jax.Array: ...
