import dataclasses
import os
from pathlib import Path

import pytest

import hyperlax

hyperlax.configure_xla()  # as the CLI does, before JAX starts its backend

import jax  # noqa: E402

from hyperlax.engine.runner import batch_plan, plan_batches

TESTS = Path(__file__).parent
TINY_PPO = str(TESTS / "recipes" / "tiny_ppo.py")

# One compilation cache for the whole run, CLI subprocesses included, so each program compiles once.
CACHE = Path(os.environ.setdefault("XDG_CACHE_HOME", str(TESTS.parent / ".pytest_cache" / "xdg")))
jax.config.update("jax_compilation_cache_dir", str(CACHE / "hyperlax" / "jax"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


@pytest.fixture
def tiny_ppo():
    return TINY_PPO


def run_batch(runner, samples, name="batch_00000"):
    """Train `samples` as one CPU batch (programs of the CPU's program width) through the runner."""
    key, seeds = runner.structure_of(samples[0]), runner.settings.num_seeds
    return runner.run_batch(batch_plan(name, samples, key, len(samples), "cpu", None, seeds))


def run_sequentially(runner, sample):
    """Train `sample` alone, as sequential mode plans it."""
    settings = dataclasses.replace(runner.settings, sequential=True)
    [plan] = plan_batches([sample], runner.structure_of, settings, runner.backend)
    return runner.run_batch(plan)


def returns_of(result, sample_id):
    return result.returns[[row["sample_id"] for row in result.rows].index(sample_id)]
