"""The config axis split over several devices (a 1-D mesh) gives the metrics of one device.

Two CPU devices stand in for two GPUs (XLA_FLAGS=--xla_force_host_platform_device_count=2); the device count
is fixed when JAX starts, so each side trains in a subprocess of its own.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import TINY_PPO

TRAIN = f"""
import json, sys
import hyperlax
hyperlax.configure_xla()
import jax
import numpy as np
from hyperlax.envs.registry import make_env
from hyperlax.space.recipes import load_recipe
from hyperlax.engine.runner import BatchPlan, Runner, RunSettings, Sample

recipe = load_recipe({TINY_PPO!r})
values = [{{"algorithm.hyperparam.actor_lr": lr}} for lr in (1e-3, 3e-3, 1e-2, 3e-2)]
samples = [Sample.from_values(i, v, recipe.defaults()) for i, v in enumerate(values)]
width = int(sys.argv[2])
settings = RunSettings(total_timesteps=256, num_evaluations=2, num_seeds=2, eval_episodes=2, program_width=width)
runner = Runner(recipe.algorithm, make_env("gymnax.cartpole"), settings)
result = runner.run_batch(BatchPlan("batch_00000", samples, runner.structure_of(samples[0]), 4, width))
[(init, segment, _)] = runner._programs.values()
np.save(sys.argv[1], result.returns)
print(json.dumps({{"devices": jax.device_count(), "rows": [r["final_performance"] for r in result.rows],
                   "program_devices": len(jax.tree.leaves(segment.output_shardings)[0].device_set)}}))
"""


def train(tmp_path, devices: int, width: int) -> tuple:
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    out = tmp_path / f"returns_{devices}.npy"
    command = [sys.executable, "-c", TRAIN, str(out), str(width)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(out)


@pytest.mark.slow  # two subprocesses, each compiling
def test_two_devices_give_the_metrics_of_one(tmp_path):
    # Each device computes what one device does alone: 2 configurations x 2 seeds. One device trains the 4
    # configurations as two programs of width 2; two devices as one program of width 4, split in half.
    one, one_returns = train(tmp_path, 1, 2)
    two, two_returns = train(tmp_path, 2, 4)
    assert (one["devices"], one["program_devices"]) == (1, 1)
    assert (two["devices"], two["program_devices"]) == (2, 2)  # the program really ran on both
    assert two["rows"] == one["rows"]
    assert np.array_equal(two_returns, one_returns)
