"""Saved agents back: `load_agent(path) -> Agent`, and `hyperlax evaluate --agent PATH`.

An agent directory (hyperlax.results.agents) names its algorithm, configuration and env; loading rebuilds the
algorithm's Policy (make_policy) for that configuration and env, and checks every saved array against the
shapes the policy's parameters have (built abstractly, nothing compiles), so a file of another algorithm, of
another network, or for other spaces is one line, not a shape error deep inside JAX. `act` is the training
program's own policy function, so a reloaded agent acts bitwise as it did in its last evaluation
(`Agent.final_evaluation` replays that evaluation's episodes).
"""

from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization
from rich.console import Console

from hyperlax.algos.common import Policy, config_from_flat
from hyperlax.algos.registry import resolve_algorithm
from hyperlax.commands.options import EvaluateArgs, check_values, with_defaults
from hyperlax.envs.episodes import episode_states, render_problem, stochastic_returns, write_animation
from hyperlax.envs.registry import make_env
from hyperlax.envs.spec import EnvSpec, evaluate
from hyperlax.errors import InputError
from hyperlax.results.agents import read_agent
from hyperlax.results.intervals import iqm_interval

SPACE_FIELDS = ("obs_shape", "discrete", "action_dim", "action_low", "action_high")


@dataclass
class Agent:
    """A saved agent: `act(obs, key=None, deterministic=True)` with the parameters of training seed
    `seed_index` (`params` holds every seed's, leading axis)."""

    manifest: dict
    spec: EnvSpec
    policy: Policy
    params: object  # Policy.params_of's pytree, leaves [seeds, ...]
    eval_keys: np.ndarray  # [seeds, 2]: the last evaluation's stream (before folding in env_steps)
    env_steps: np.ndarray  # [seeds]
    seed_index: int = 0

    def __post_init__(self):
        self._act = jax.jit(self.policy.act, static_argnames="deterministic")

    @property
    def num_seeds(self) -> int:
        return int(self.env_steps.shape[0])

    def seed_params(self, seed_index: int | None = None):
        s = self.seed_index if seed_index is None else seed_index
        if not 0 <= s < self.num_seeds:
            raise InputError(f"--seed-index {s}: the agent has {self.num_seeds} seeds (0 to {self.num_seeds - 1})")
        return jax.tree.map(lambda x: jnp.asarray(x[s]), self.params)

    def act(self, obs, key=None, deterministic: bool = True, seed_index: int | None = None):
        """The action for `obs` (any leading batch axes); with `deterministic=False`, one drawn with `key`."""
        if not deterministic and key is None:
            raise ValueError("a stochastic action needs a key")
        return self._act(self.seed_params(seed_index), jnp.asarray(obs), key, deterministic=deterministic)

    def returns(self, episodes: int, key, deterministic: bool = True, seed_index: int | None = None) -> np.ndarray:
        """Returns of `episodes` parallel episodes (deterministic: the training program's evaluation loop)."""
        params, act, spec = self.seed_params(seed_index), self.policy.act, self.spec
        if deterministic:
            run = jax.jit(lambda p, k: evaluate(spec, lambda obs: act(p, obs), k, episodes))
        else:
            run = jax.jit(lambda p, k: stochastic_returns(spec, lambda obs, kk: act(p, obs, kk, False), k, episodes))
        return np.asarray(run(params, key))

    def final_evaluation(self, seed_index: int | None = None) -> np.ndarray:
        """The episode returns of training's last evaluation of this seed, replayed: the same keys, the same
        episodes, the same actions (equal to the run's curves.npz, last evaluation)."""
        s = self.seed_index if seed_index is None else seed_index
        key = jax.random.fold_in(jnp.asarray(self.eval_keys[s]), self.env_steps[s])
        return self.returns(self.manifest["training"]["eval_episodes"], key, True, s)


def check_spaces(manifest: dict, spec: EnvSpec, path, given: str | None) -> None:
    """The env acts in the spaces the agent was trained in; without --env-config, it is the same env."""
    saved = manifest.get("env")
    if not isinstance(saved, dict) or not all(k in saved for k in (*SPACE_FIELDS, "params_digest")):
        raise InputError(f"--agent {path}: agent.json holds no env spaces; it was not written by hyperlax")
    ours = {"obs_shape": list(spec.obs_shape), "discrete": spec.discrete, "action_dim": spec.action_dim}
    ours.update(action_low=spec.action_low, action_high=spec.action_high)
    differs = [k for k in SPACE_FIELDS if saved[k] != ours[k]]
    if differs:
        what = ", ".join(f"{k} {saved[k]} vs {ours[k]}" for k in differs)
        where = f"--env-config {given}" if given else f"env {spec.name}"
        raise InputError(f"--agent {path}: {where} has other spaces than the agent was trained in ({what})")
    if given is None and saved["params_digest"] != spec.params_digest:
        raise InputError(f"--agent {path}: env {spec.name}'s parameters differ from those it was trained with")


def restore_params(saved: dict, template, path, algorithm_name: str):
    """The saved parameters in the structure of `template` (abstract, one seed), every leaf checked."""
    expected = jax.tree_util.tree_flatten_with_path(serialization.to_state_dict(template))[0]
    got = dict(jax.tree_util.tree_flatten_with_path(saved)[0])
    mismatch = f"--agent {path}: params.msgpack does not fit {algorithm_name}'s networks for its configuration"
    if len(got) != len(expected):
        raise InputError(f"{mismatch} ({len(got)} arrays, {len(expected)} expected)")
    seeds = None
    for key_path, leaf in expected:
        value = got.get(key_path)
        name = jax.tree_util.keystr(key_path)
        if not isinstance(value, np.ndarray) or value.shape[1:] != leaf.shape or value.dtype != leaf.dtype:
            shape = getattr(value, "shape", None)
            raise InputError(f"{mismatch} ({name}: {shape} where [seeds, *{tuple(leaf.shape)}] is expected)")
        seeds = value.shape[0] if seeds is None else seeds
        if value.shape[0] != seeds:
            raise InputError(f"{mismatch} ({name} has {value.shape[0]} seeds, not {seeds})")
    return serialization.from_state_dict(template, saved)


def load_agent(path, env_config: str | None = None, seed_index: int = 0) -> Agent:
    """The agent saved in directory `path`; `env_config`: another env with the same spaces."""
    manifest, saved = read_agent(path)
    try:
        algorithm = resolve_algorithm(manifest["algorithm"])
        if algorithm.NAME != manifest["algorithm_name"]:
            raise InputError(
                f"algorithm '{manifest['algorithm']}' is {algorithm.NAME}, not {manifest['algorithm_name']}"
            )
        config = config_from_flat(algorithm.Config, manifest["config"])
        spec = make_env(env_config or manifest["env"]["name"])
        training = manifest["training"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"--agent {path}: agent.json lacks or mangles {exc}; it was not written by hyperlax") from None
    except InputError as exc:
        raise InputError(f"--agent {path}: {exc}") from None
    if not callable(getattr(algorithm, "make_policy", None)):
        raise InputError(f"--agent {path}: algorithm {algorithm.NAME} has no make_policy, so it cannot act")
    check_spaces(manifest, spec, path, env_config)
    policy = algorithm.make_policy(config, spec)
    train = algorithm.make_train(config, spec, training["total_timesteps"], training["num_evaluations"], 1)
    state = jax.eval_shape(train.init, config, jax.random.PRNGKey(0))
    params = restore_params(saved["params"], jax.eval_shape(policy.params_of, state), path, algorithm.NAME)
    eval_keys, env_steps = np.asarray(saved["eval_key"]), np.asarray(saved["env_steps"])
    if eval_keys.shape != (len(env_steps), 2):
        raise InputError(f"--agent {path}: params.msgpack's eval_key has shape {eval_keys.shape}")
    agent = Agent(manifest, spec, policy, params, eval_keys, env_steps, seed_index)
    agent.seed_params()  # the seed index exists
    return agent


def evaluate_agent(args: EvaluateArgs, console: Console) -> dict:
    """hyperlax evaluate: the agent's episode returns (IQM with a 95% interval) and, with --render, a GIF."""
    check_values(args)
    args = with_defaults(args)
    if args.render is not None:
        out = Path(args.render)
        if not args.render.strip() or out.is_dir() or not out.parent.is_dir():
            raise InputError(f"--render {args.render!r}: give a file to write in an existing directory")
    agent = load_agent(args.agent, args.env_config, args.seed_index)
    if args.render is not None and (problem := render_problem(agent.spec)):
        raise InputError(problem)
    key = jax.random.PRNGKey(args.seed)
    returns = agent.returns(args.episodes, key, deterministic=not args.stochastic)
    interval = iqm_interval(returns.tolist())
    how = "stochastic" if args.stochastic else "deterministic"
    m = agent.manifest
    console.print(
        f"agent {m['algorithm_name']} (sample {m['sample_id']}, seed {agent.seed_index} of {agent.num_seeds}) on "
        f"{agent.spec.name}: {args.episodes} {how} episodes"
    )
    ci = "" if interval.low is None else f" [95% CI {interval.low:.4g}, {interval.high:.4g}]"
    console.print(f"return IQM {interval.estimate:.4g}{ci}, mean {returns.mean():.4g}, min {returns.min():.4g}, "
                  f"max {returns.max():.4g}")  # fmt: skip
    result = {"returns": returns, "iqm": interval}
    if args.render is not None:
        params, act = agent.seed_params(), agent.policy.act
        policy = lambda obs, k: act(params, obs, k, not args.stochastic)  # noqa: E731
        states, so_far = episode_states(agent.spec, policy, jax.random.fold_in(key, 1))
        frames = write_animation(agent.spec, states, so_far, args.render)
        console.print(f"animation: {args.render} ({frames} frames, return {so_far[-1]:.4g})")
    return result
