"""The slot pool: samples refilled into running programs train exactly as they do alone."""

import numpy as np
import pytest

from hyperlax.commands.execute import stream
from hyperlax.engine.pool import SlotPool
from hyperlax.engine.runner import Runner, RunSettings, Sample, program_width
from hyperlax.envs.registry import make_env
from hyperlax.results.metrics import compute_metrics
from hyperlax.results.outcomes import Status
from hyperlax.space.recipes import load_recipe
from tests.conftest import TESTS, returns_of, run_sequentially

EVALUATIONS = 3
# (recipe, env, the learning-rate key that tells samples apart)
ALGORITHMS = {
    "ppo": ("tiny_ppo.py", "gymnax.cartpole", "actor_lr"),
    "sac": ("tiny_sac.py", "gymnax.pendulum", "actor_lr"),
    "dqn": ("tiny_dqn.py", "gymnax.cartpole", "lr"),
}


def tiny(algo: str):
    recipe_file, env, lr_key = ALGORITHMS[algo]
    recipe = load_recipe(str(TESTS / "recipes" / recipe_file))
    # One seed: a CPU program holds two samples, as the pools below do, so a sample alone (sequential mode)
    # trains in a program of the same width.
    settings = RunSettings(total_timesteps=96, num_evaluations=EVALUATIONS, num_seeds=1, eval_episodes=1)
    runner = Runner(recipe.algorithm, make_env(env), settings)

    def sample(sample_id: int, lr: float) -> Sample:
        values = {f"algorithm.hyperparam.{lr_key}": lr}
        return Sample.from_values(sample_id, values, recipe.defaults())

    return runner, sample


def run_to_the_end(pool: SlotPool) -> dict:
    """Step until the pool is empty, removing each sample after its last evaluation: sample id -> curve."""
    curves = {}
    while pool.live:
        for slot in pool.step():
            if slot.evaluations == EVALUATIONS:
                curves[slot.sample.sample_id] = np.stack(slot.returns, axis=1)  # [seeds, evaluations, episodes]
                pool.remove(slot.sample.sample_id)
    return curves


@pytest.mark.parametrize("algo", sorted(ALGORITHMS))
def test_a_sample_refilled_mid_run_gives_the_curve_it_gives_alone(algo):
    runner, sample = tiny(algo)
    first, neighbour, refill = sample(0, 1e-3), sample(1, 3e-4), sample(5, 2e-3)
    pool = SlotPool(runner, program_width=2, capacity=2)
    pool.add(first)
    pool.add(neighbour)
    pool.step()
    pool.remove(first.sample_id)  # as if pruned after its first evaluation
    pool.add(refill)  # takes its slot while the neighbour is one evaluation ahead
    curves = run_to_the_end(pool)
    assert sorted(curves) == [1, 5]
    for s in (neighbour, refill):
        alone = returns_of(run_sequentially(runner, s), s.sample_id)
        assert np.array_equal(curves[s.sample_id], alone), f"{algo}: sample {s.sample_id} differs from alone"


def test_stream_stops_diverged_and_pruned_samples_at_once_and_refills_their_slots():
    runner, sample = tiny("ppo")
    huge = {f"algorithm.hyperparam.{key}": 1e30 for key in ("actor_lr", "critic_lr", "max_grad_norm")}
    diverging = Sample.from_values(1, huge, sample(1, 1e-3).flat_config)
    queue = [sample(0, 1e-3), diverging, sample(2, 2e-3), sample(3, 5e-4)]
    ended, trained = {}, {}

    def next_samples(room):
        taken, queue[:] = queue[:room], queue[room:]
        return taken

    def should_stop(s, evaluation, mean_return):
        trained[s.sample_id] = evaluation
        return s.sample_id == 2  # pruned at its first evaluation

    def on_done(s, row, returns, eval_steps):
        ended[s.sample_id] = (row, returns, eval_steps)

    pool = SlotPool(runner, program_width=2, capacity=2)
    assert stream(pool, next_samples, on_done, should_stop) == 4
    status = {i: row["status"] for i, (row, _, _) in ended.items()}
    assert status == {0: Status.OK, 1: Status.FAILED, 2: Status.PRUNED, 3: Status.OK}
    pruned_returns = ended[2][1][0]  # [seeds, evaluations, episodes]: trained once, then never again
    assert np.isfinite(pruned_returns[:, 0]).all() and np.isnan(pruned_returns[:, 1:]).all()
    assert ended[2][0]["reason"] == "pruned after 32 env steps"
    so_far = compute_metrics(pruned_returns[:, :1], ended[2][2][:1], runner.spec.return_range)
    assert ended[2][0]["final_performance"] == so_far["final_performance"]  # the metrics of its curve so far
    never_trained = np.isnan(ended[1][1][0]).all(axis=(0, 2))  # per evaluation
    failed_at = int(np.argmax(never_trained))
    assert never_trained.any() and not never_trained[:failed_at].any()  # stopped when it diverged, not at the end
    evaluations_trained = EVALUATIONS * 2 + 1 + failed_at
    assert pool.meter.env_steps == evaluations_trained * 32 * runner.settings.num_seeds  # only live slots count
    assert np.array_equal(ended[3][1][0], returns_of(run_sequentially(runner, sample(3, 5e-4)), 3))


def test_program_width_gives_two_rows_on_cpu_and_the_whole_pool_on_gpu_unless_given():
    assert program_width(16, "cpu", None, 1) == 2
    assert program_width(16, "cpu", None, 2) == 1
    assert program_width(16, "gpu", None, 2) == 16
    assert program_width(16, "cpu", 8, 2) == 8


def test_out_of_memory_halves_the_pool_and_restarts_the_samples_it_held(monkeypatch):
    runner, sample = tiny("ppo")
    real_step, capacities = SlotPool._step, []

    def step_with_small_memory(self):
        capacities.append(self.capacity)
        if self.capacity > 2:  # what XLA raises when the device runs out of memory
            raise RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 1.00GiB")
        return real_step(self)

    monkeypatch.setattr(SlotPool, "_step", step_with_small_memory)
    samples = [sample(i, 1e-3 * (i + 1)) for i in range(4)]
    queue, ended = list(samples), {}

    def next_samples(room):
        taken, queue[:] = queue[:room], queue[room:]
        return taken

    pool = SlotPool(runner, program_width=2, capacity=4)
    stream(pool, next_samples, lambda s, row, returns, eval_steps: ended.update({s.sample_id: returns[0]}))
    assert capacities[:2] == [4, 2] and pool.capacity == 2
    monkeypatch.undo()
    for s in samples:
        assert np.array_equal(ended[s.sample_id], returns_of(run_sequentially(runner, s), s.sample_id))
