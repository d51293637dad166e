"""Will a batch fit? An estimate of its memory from the shapes of the training state, checked against the
device's free memory before anything compiles. The runtime out-of-memory halving stays as the backstop."""

import os

import jax
import numpy as np

from hyperlax.errors import InputError

GIB = 1 << 30


def tree_bytes(tree) -> int:
    return sum(int(np.prod(x.shape)) * np.dtype(x.dtype).itemsize for x in jax.tree.leaves(tree))


def bytes_per_config_and_seed(runner, hp) -> int:
    """State (held twice while a segment replaces it, plus a fresh copy on refill), the rollout of one
    iteration and the evaluation episodes, for one configuration (hyperparameters `hp`, a Config) and seed."""
    s, spec = runner.settings, runner.spec
    train = runner.algorithm.make_train(hp, spec, s.total_timesteps, s.num_evaluations, s.eval_episodes)
    state = tree_bytes(jax.eval_shape(train.init, hp, jax.random.PRNGKey(0)))
    env_state = tree_bytes(jax.eval_shape(spec.env.reset, jax.random.PRNGKey(0), spec.params))
    per_env_step = 4 * (2 * spec.obs_dim + max(1, spec.action_dim) + 8)  # obs, next obs, action, scalars
    num_envs = getattr(hp, "num_envs", 1)
    rollout = num_envs * getattr(hp, "rollout_length", 1) * per_env_step
    evaluation = s.eval_episodes * (env_state + 4 * (spec.obs_dim + 8)) * 2  # two steps' arrays at once
    return 3 * state + rollout + evaluation


def available_bytes(backend: str) -> int | None:
    """Free memory of the device (GPU) or of the machine (CPU); None when it cannot be read."""
    if backend != "cpu":
        stats = jax.devices()[0].memory_stats() or {}
        if "bytes_limit" in stats:
            return stats["bytes_limit"] - stats.get("bytes_in_use", 0)
        return None
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else None


def check_fits(runner, each: int, configs: int, lower: str) -> None:
    """An input error when `configs` configurations × seeds of `each` bytes will not fit."""
    free = available_bytes(runner.backend)
    if free is None:
        return
    need = each * configs * runner.settings.num_seeds
    if need > 0.9 * free:
        raise InputError(
            f"a batch needs about {need / GIB:.1f} GiB ({configs} configurations x {runner.settings.num_seeds} "
            f"seeds x {each / 2**20:.1f} MiB), more than the {free / GIB:.1f} GiB free on {runner.backend}; "
            f"lower {lower}, --num-seeds or --eval-episodes"
        )
