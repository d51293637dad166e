"""A second run of the same sweep compiles nothing: its programs come from the persistent compile cache."""

import csv
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import TINY_PPO

SWEEP = ["sweep-hp-samples", "--algo-and-network-config", TINY_PPO, "--env-config", "gymnax.cartpole",
         "--num-samples", "3", "--total-timesteps", "64", "--num-evaluations", "2", "--eval-episodes", "2"]  # fmt: skip
TIMING = ("env_steps_per_second", "compile_seconds")


def run_sweep(cache, output_root) -> tuple:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "COLUMNS": "400"}
    done = subprocess.run([sys.executable, "-m", "hyperlax.cli", *SWEEP, "--output-root", str(output_root)],
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    counts = re.search(r"(\d+) programs? compiled, (\d+) read from the compile cache", done.stdout)
    compiled, cached = int(counts[1]), int(counts[2])
    [results] = output_root.rglob("results.csv")
    with open(results) as f:
        rows = [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(f)]
    return compiled, cached, rows


@pytest.mark.slow  # two CLI subprocesses, each compiling
def test_a_second_run_of_a_sweep_compiles_nothing_and_gives_the_same_results(tmp_path):
    cache = tmp_path / "cache"  # empty: the first run compiles
    first = run_sweep(cache, tmp_path / "first")
    second = run_sweep(cache, tmp_path / "second")
    programs = first[0]  # one per structure of the samples
    assert programs >= 1 and first[1] == 0
    assert second[:2] == (0, programs)
    assert first[2] == second[2] and len(first[2]) == 3
