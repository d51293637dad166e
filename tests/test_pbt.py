"""Population-based training: exploit copies training state exactly and keeps keys, explore stays in the
domains, and a killed run resumes with the same lineage."""

import json
import os
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from hyperlax.cli.main import main
from hyperlax.commands.pbt.search import (
    PBTArgs,
    Population,
    exploit_pairs,
    explore_value,
    initial_members,
    winner_range_edges,
)
from hyperlax.engine.pool import KEY_FIELDS
from hyperlax.engine.runner import Runner, RunSettings
from hyperlax.envs.registry import make_env
from hyperlax.space.distributions import Categorical, LogUniform, Uniform, UniformInt
from hyperlax.space.recipes import load_recipe
from tests.conftest import TESTS, TINY_PPO

TINY_SAC = str(TESTS / "recipes" / "tiny_sac.py")
PBT = ["pbt-search", "--algo-and-network-config", TINY_PPO, "--env-config", "gymnax.cartpole",
       "--population-size", "4", "--total-timesteps", "512", "--num-evaluations", "6", "--eval-episodes", "2",
       "--ready-interval", "2"]  # fmt: skip


@pytest.mark.slow
def test_exploit_copies_parameters_optimizer_and_buffer_exactly_and_keeps_the_members_own_keys():
    recipe = load_recipe(TINY_SAC)
    settings = RunSettings(total_timesteps=64, num_evaluations=2, num_seeds=2, eval_episodes=1)
    runner = Runner(recipe.algorithm, make_env("gymnax.pendulum"), settings)
    args = PBTArgs(population_size=4, seed=0)
    population = Population(runner, recipe, initial_members(recipe, args), args)
    population.step()  # some training, so the members differ
    pool = population.pool
    assert pool.program_width < 4  # members 0 and 3 are in different programs: the copy crosses programs
    parent, before = pool.row(0), pool.row(3)
    pool.copy_row(0, 3)
    after = pool.row(3)
    for name in ("learner", "buffer", "env_state", "obs", "env_steps"):  # parameters, Adam moments and counts, ...
        for a, b in zip(jax.tree.leaves(getattr(after, name)), jax.tree.leaves(getattr(parent, name)), strict=True):
            assert np.array_equal(a, b), name
    assert np.asarray(after.buffer.size).max() > 0  # a buffer with transitions in it was copied
    for name in KEY_FIELDS:
        assert np.array_equal(getattr(after, name), getattr(before, name))
        assert not np.array_equal(getattr(after, name), getattr(parent, name))


@pytest.mark.parametrize("mode", ["perturb", "resample"])
def test_explored_values_stay_inside_their_distributions(mode):
    rng = np.random.default_rng(0)
    distributions = [Uniform(domain=(0.9, 0.99)), LogUniform(domain=(1e-5, 1e-3)), UniformInt(domain=(1, 4)),
                     Categorical(values=[[8], [16, 16], [64]])]  # fmt: skip
    for dist in distributions:
        value = dist.from_unit(0.99)
        for _ in range(200):
            value = explore_value(dist, value, mode, 0.25, rng)
            if isinstance(dist, Categorical):
                assert value in dist.values
            else:
                assert dist.domain[0] <= value <= dist.domain[1]
                assert isinstance(value, int) == isinstance(dist, UniformInt)


def test_truncation_sends_each_bottom_member_to_a_top_member():
    returns = np.array([5.0, -1.0, 3.0, 9.0, 0.0, 7.0, 2.0, 8.0])
    pairs = exploit_pairs(returns, 0.25, np.random.default_rng(1))
    assert set(pairs) == {1, 4} and set(pairs.values()) <= {3, 7}


@pytest.mark.slow
def test_a_run_killed_mid_way_resumes_from_its_last_interval_with_the_same_lineage(tmp_path):
    assert main([*PBT, "--output-root", str(tmp_path / "whole")]) == 0
    whole = json.loads((tmp_path / "whole/tiny_ppo/gymnax_cartpole/pbt/lineage.json").read_text())
    out = tmp_path / "killed"
    worker = subprocess.Popen([sys.executable, "-m", "hyperlax.cli", *PBT, "--output-root", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    state = out / "tiny_ppo/gymnax_cartpole/pbt/checkpoint/state.json"
    deadline = time.monotonic() + 180
    while not (state.exists() and json.loads(state.read_text())["interval"] >= 1) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    done = json.loads(state.read_text())["interval"]
    assert 1 <= done < 3, f"killed after {done} of 3 intervals; the test needs a kill mid-way"

    assert main(["pbt-search", "--resume-from", str(out / "tiny_ppo/gymnax_cartpole")]) == 0

    resumed = json.loads((out / "tiny_ppo/gymnax_cartpole/pbt/lineage.json").read_text())
    assert resumed == whole  # parents, hyperparameters and returns, interval by interval


@pytest.mark.slow
def test_a_pbt_run_writes_its_records_and_validate_best_replays_the_winning_schedule(tmp_path):
    assert main([*PBT, "--output-root", str(tmp_path)]) == 0
    out = tmp_path / "tiny_ppo/gymnax_cartpole"
    lineage = json.loads((out / "pbt/lineage.json").read_text())
    assert len(lineage) == 4 * 3 and all(np.isfinite(e["return"]) for e in lineage)
    assert any(e["parent"] != e["member"] for e in lineage)  # at least one exploit
    best = json.loads((out / "best_pbt_schedule.json").read_text())
    assert [e["interval"] for e in best["schedule"]] == [0, 1, 2]
    assert best["range_edges"] == winner_range_edges(best, load_recipe(TINY_PPO))
    assert (out / "members.csv").read_text().count("\n") == 1 + 4
    for page in ("pbt_schedules", "pbt_returns"):
        assert "plotly" in (out / "analysis_plots" / f"{page}.html").read_text()

    assert main(["validate-best", "--study-dir", str(out), "--num-seeds", "3"]) == 0

    report = json.loads((out / "validation/validation.json").read_text())
    assert len(report["schedule"]["per_seed_final_returns"]) == 3
    assert report["final_hparams_constant"]["hparams"] == best["schedule"][-1]["hparams"]
    assert 0.0 <= report["schedule_improves_on_constant"]["estimate"] <= 1.0
