"""Compiled programs: their layout of rows, their placement on devices, running them side by side, and a
meter of what was trained and compiled.

A program trains (configuration, seed) rows. `Runner.compiled` builds programs with `over_rows` and places
them with `config_sharding`; the runner and the slot pool run them with `run_parallel`. A Runner's `meter`
adds up what they did for the summary line every command ends with (a slot pool keeps its own as well).
"""

import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from hyperlax.results.metrics import steps_per_second


def over_rows(fn: Callable) -> Callable:
    """`fn(hp, x)` of one configuration and seed, batched over configs x seeds as one axis of rows:
    hp leaves [C], x leaves [C, S, ...] -> output leaves [C, S, ...].

    One vmapped axis of C*S rows, not vmap(vmap(fn)): with two batch axes XLA copied every weight matrix
    into a transposed layout inside each minibatch update (PPO Pendulum, 2 configs: 78k -> 91k env-steps/s).
    """

    def batched(hp, x):
        configs, seeds = jax.tree.leaves(x)[0].shape[:2]
        row_hp = jax.tree.map(lambda v: jnp.repeat(v, seeds, axis=0), hp)
        row_x = jax.tree.map(lambda v: v.reshape((configs * seeds,) + v.shape[2:]), x)
        out = jax.vmap(fn)(row_hp, row_x)
        return jax.tree.map(lambda v: v.reshape((configs, seeds) + v.shape[1:]), out)

    return batched


def config_sharding(program_width: int):
    """Every array of a program split along its config axis over all devices (a 1-D mesh), when there are
    several and they divide the program width; else None (one device)."""
    devices = jax.devices()
    if len(devices) == 1 or program_width % len(devices):
        return None
    mesh = jax.sharding.Mesh(np.array(devices), ("configs",))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("configs"))


def run_parallel(calls: list) -> list:
    """Run zero-argument calls that each start a compiled program, and wait for every result.

    XLA:CPU runs a program in the thread that calls it, so programs started one after another from one
    thread use one core however many there are (measured: 1.07 cores busy with 4 programs). Here each call
    runs in a thread of its own pool, one thread per core, and JAX releases the GIL while a program runs.
    A GPU queues programs asynchronously: they are started in order and read afterwards.
    """
    if jax.default_backend() != "cpu" or len(calls) == 1:
        outputs = [call() for call in calls]  # every program queued before the first result is awaited
        return [jax.block_until_ready(output) for output in outputs]
    futures = [_executor().submit(lambda call=call: jax.block_until_ready(call())) for call in calls]
    try:
        return [future.result() for future in futures]
    except BaseException:  # a signal or an error: start nothing more; what runs finishes and is dropped
        for future in futures:
            future.cancel()
        raise


@functools.cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(cpu_cores(), thread_name_prefix="hyperlax-program")


def cpu_cores() -> int:
    """The cores this process may run on (all of them where the OS cannot say, as on macOS)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class Meter:
    """What a runner has trained and compiled so far, for the summary of a command."""

    env_steps: float = 0.0  # by the configurations that count (not padding twins, not empty slots)
    train_seconds: float = 0.0
    compile_seconds: float = 0.0
    compiled: int = 0  # programs (an init and a segment) compiled
    cached: int = 0  # programs read from the persistent compile cache instead

    def add_training(self, env_steps: float, seconds: float) -> None:
        self.env_steps += env_steps
        self.train_seconds += seconds

    @property
    def rate(self) -> float:
        """Env steps per second of training (compiles excluded); 0 before any."""
        return steps_per_second(self.env_steps, self.train_seconds)

    def summary(self, wall_seconds: float) -> str:
        rate = self.rate
        share = self.compile_seconds / wall_seconds if wall_seconds else 0.0
        return (
            f"{self.env_steps:,.0f} env steps at {rate:,.0f} env-steps/s; {self.compile_seconds:.1f}s compiling "
            f"({share:.0%} of {wall_seconds:.1f}s wall): {plural(self.compiled, 'program')} compiled, {self.cached} "
            f"read from the compile cache"
        )


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


_cache_hits = 0


def _count_cache_hits(event: str, **kwargs) -> None:
    global _cache_hits
    if event == "/jax/compilation_cache/cache_hits":
        _cache_hits += 1


@functools.cache
def listen_for_cache_hits() -> None:
    """Count the programs read from the persistent compile cache (jax reports each as an event)."""
    jax.monitoring.register_event_listener(_count_cache_hits)


def cache_hits() -> int:
    return _cache_hits
