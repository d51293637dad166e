import dataclasses
import os
from pathlib import Path

import pytest

import hyperlax

hyperlax.configure_xla()  # as the CLI does, before JAX starts its backend

import jax  # noqa: E402

from hyperlax.engine.runner import BatchPlan, chunk_width, padded_size, plan_batches

TESTS = Path(__file__).parent
TINY_PPO = str(TESTS / "recipes" / "tiny_ppo.py")

# One compilation cache for the whole run, CLI subprocesses included, so each program compiles once.
CACHE = Path(os.environ.setdefault("XDG_CACHE_HOME", str(TESTS.parent / ".pytest_cache" / "xdg")))
jax.config.update("jax_compilation_cache_dir", str(CACHE / "hyperlax" / "jax"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


@pytest.fixture
def tiny_ppo():
    return TINY_PPO


def run_batch(runner, samples, name="batch_00000", should_stop=None):
    """Train `samples` as one CPU batch (programs of the CPU's width) through the runner."""
    n, seeds = len(samples), runner.settings.num_seeds
    width = chunk_width(n, "cpu", None, seeds)
    plan = BatchPlan(name, samples, runner.structure_of(samples[0]), padded_size(n, n, "cpu", None, seeds), width)
    return runner.run_batch(plan, should_stop=should_stop)


def run_sequentially(runner, sample):
    """Train `sample` alone, as sequential mode plans it."""
    settings = dataclasses.replace(runner.settings, sequential=True)
    [plan] = plan_batches([sample], runner.structure_of, settings, runner.backend)
    return runner.run_batch(plan)


def returns_of(result, sample_id):
    return result.returns[[row["sample_id"] for row in result.rows].index(sample_id)]
