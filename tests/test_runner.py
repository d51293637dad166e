import jax.numpy as jnp
import numpy as np
import pytest

from hyperlax.engine.programs import run_parallel
from hyperlax.engine.runner import Runner, RunSettings, Sample, cpu_program_width, padded_size, plan_batches
from hyperlax.envs.registry import make_env
from hyperlax.errors import InputError
from hyperlax.space.recipes import load_recipe
from tests.conftest import returns_of, run_batch

# ---- grouping and padding (pure planning, no training) ----


def samples_with_structures(structures):
    return [Sample(i, {"s": s}, {"s": s}) for i, s in enumerate(structures)]


def structure(sample):
    return sample.flat_config["s"]


def ids(plan):
    return [s.sample_id for s in plan.samples]


def test_batched_mode_keeps_sample_order_and_splits_mixed_slices_by_structure():
    samples = samples_with_structures(["a", "b", "a", "a", "b", "a"])
    plans = plan_batches(samples, structure, RunSettings(total_timesteps=1, hparam_batch_size=4), "cpu")
    assert [ids(p) for p in plans] == [[0, 2, 3], [1], [4], [5]]
    assert [p.name for p in plans] == ["batch_00000", "batch_00001", "batch_00002", "batch_00003"]
    assert all(len({structure(s) for s in p.samples}) == 1 for p in plans)


def test_group_by_structure_gathers_each_structure_into_full_batches():
    samples = samples_with_structures(["a", "b", "a", "a", "b", "a"])
    settings = RunSettings(total_timesteps=1, hparam_batch_size=4, group_by_structure=True)
    plans = plan_batches(samples, structure, settings, "cpu")
    assert [ids(p) for p in plans] == [[0, 2, 3, 5], [1, 4]]


def test_sequential_mode_runs_one_sample_per_run_directory():
    plans = plan_batches(
        samples_with_structures(["a", "b", "a"]),
        structure,
        RunSettings(total_timesteps=1, sequential=True, hparam_batch_size=4),
        "cpu",
    )
    assert [p.name for p in plans] == ["run_0000", "run_0001", "run_0002"]
    assert [ids(p) for p in plans] == [[0], [1], [2]]


def test_sequential_mode_pairs_one_seed_runs_of_one_structure_on_cpu_instead_of_padding_them():
    samples = samples_with_structures(["a", "a", "a", "b", "b", "a"])
    settings = RunSettings(total_timesteps=1, sequential=True, num_seeds=1)
    plans = plan_batches(samples, structure, settings, "cpu")
    assert [ids(p) for p in plans] == [[0, 1], [2], [3, 4], [5]]
    assert [p.padded_size for p in plans] == [2, 2, 2, 2]
    assert [ids(p) for p in plan_batches(samples, structure, settings, "gpu")] == [[i] for i in range(6)]


def test_cpu_programs_hold_two_rows_and_pad_only_a_one_seed_batch_of_odd_size():
    assert [cpu_program_width(seeds) for seeds in (1, 2, 3, 5)] == [2, 1, 1, 1]
    assert [padded_size(n, 8, "cpu", None, 1) for n in (1, 2, 3, 7, 8)] == [2, 2, 4, 8, 8]
    assert [padded_size(n, 8, "cpu", None, 2) for n in (1, 2, 3, 7, 8)] == [1, 2, 3, 7, 8]
    assert padded_size(3, 8, "cpu", 4, 2) == 4  # a given width pads whatever the seeds


def test_gpu_pads_a_short_last_batch_to_the_group_shape():
    samples = samples_with_structures(["a"] * 10)
    plans = plan_batches(samples, structure, RunSettings(total_timesteps=1, hparam_batch_size=4), "gpu")
    assert [len(p.samples) for p in plans] == [4, 4, 2]
    assert [p.padded_size for p in plans] == [4, 4, 4]
    assert {p.program_width for p in plans} == {4}


# ---- training through the runner (tiny recipe) ----


@pytest.fixture(scope="module")
def tiny(request):
    from tests.conftest import TINY_PPO

    recipe = load_recipe(TINY_PPO)
    defaults = recipe.defaults()

    def make_sample(sample_id, **overrides):
        values = {f"algorithm.hyperparam.{k}": v for k, v in overrides.items()}
        return Sample.from_values(sample_id, values, defaults)

    def runner(env="gymnax.cartpole", **settings):
        base = dict(total_timesteps=128, num_evaluations=2, num_seeds=2, eval_episodes=2)
        return Runner(recipe.algorithm, make_env(env), RunSettings(**{**base, **settings}))

    return make_sample, runner


# With 2 seeds a configuration fills a CPU program; with 1 seed two share one, and the position matters.
@pytest.mark.parametrize("env, num_seeds", [("gymnax.cartpole", 2), ("gymnax.pendulum", 2), ("gymnax.cartpole", 1)])
def test_a_configuration_gives_the_same_curve_alone_and_in_any_batch_at_any_position(tiny, env, num_seeds):
    make_sample, make_runner = tiny
    runner = make_runner(env, num_seeds=num_seeds)
    target = make_sample(7, actor_lr=3e-3, gamma=0.95)
    others = [make_sample(i, actor_lr=10 ** -(i % 4 + 2), gamma=0.9 + 0.01 * i) for i in range(5)]
    alone = returns_of(run_batch(runner, [target]), 7)
    for batch in ([others[0], target], [others[1], others[2], target], others[:3] + [target] + others[3:]):
        assert np.array_equal(returns_of(run_batch(runner, batch), 7), alone)


def test_different_sample_ids_get_different_keys(tiny):
    make_sample, make_runner = tiny
    result = run_batch(make_runner(), [make_sample(0), make_sample(1)])
    assert not np.array_equal(result.returns[0], result.returns[1])


@pytest.mark.slow
def test_segment_boundaries_do_not_change_training(tiny):
    make_sample, make_runner = tiny
    sample = make_sample(3)
    two = run_batch(make_runner(total_timesteps=128, num_evaluations=2), [sample])
    four = run_batch(make_runner(total_timesteps=128, num_evaluations=4), [sample])
    assert list(two.eval_steps) == [64, 128] and list(four.eval_steps) == [32, 64, 96, 128]
    assert np.array_equal(two.returns[0, :, 1], four.returns[0, :, 3])  # same policy evaluated at step 128


def test_a_diverging_configuration_fails_alone(tiny):
    make_sample, make_runner = tiny
    runner = make_runner()
    good = make_sample(0)
    diverging = make_sample(1, actor_lr=1e30, critic_lr=1e30, max_grad_norm=1e30)
    result = run_batch(runner, [good, diverging])
    status = {row["sample_id"]: row["status"] for row in result.rows}
    assert status == {0: "ok", 1: "failed"}
    assert "non-finite" in result.rows[1]["reason"]
    assert np.array_equal(result.returns[0], returns_of(run_batch(runner, [good]), 0))
    assert np.isfinite(result.rows[0]["final_performance"])


def test_metrics_and_throughput_are_reported_per_configuration(tiny):
    make_sample, make_runner = tiny
    result = run_batch(make_runner(), [make_sample(0)])
    row = result.rows[0]
    for key in (
        "peak_performance",
        "final_performance",
        "stability_score",
        "normalized_auc",
        "per_seed_final_returns",
        "final_iqm_across_seeds",
        "env_steps_per_second",
        "compile_seconds",
    ):
        assert key in row
    assert len(row["per_seed_final_returns"]) == 2
    assert result.returns.shape == (1, 2, 2, 2)  # config, seed, evaluation, episode
    assert row["env_steps_per_second"] > 0


def test_discrete_only_or_continuous_only_algorithms_refuse_other_envs(tiny):
    import types

    fake = types.SimpleNamespace(NAME="fake", SUPPORTS_DISCRETE=False, SUPPORTS_CONTINUOUS=True)
    with pytest.raises(InputError, match="fake needs continuous actions but gymnax.cartpole has discrete"):
        Runner(fake, make_env("gymnax.cartpole"), RunSettings(total_timesteps=1))


def test_out_of_memory_splits_the_batch_in_half_and_keeps_every_result(tiny, monkeypatch):
    make_sample, make_runner = tiny
    runner = make_runner()
    samples = [make_sample(i, actor_lr=1e-3 * (i + 1)) for i in range(4)]
    expected = run_batch(runner, samples)
    real_run, attempts = Runner._run, []

    def run_with_small_memory(self, plan, on_segment, *rest):
        attempts.append(len(plan.samples))
        if len(plan.samples) > 2:  # what XLA raises when the device runs out of memory
            raise RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 1.00GiB")
        return real_run(self, plan, on_segment, *rest)

    monkeypatch.setattr(Runner, "_run", run_with_small_memory)
    result = run_batch(runner, samples)
    assert attempts == [4, 2, 2]
    assert [row["sample_id"] for row in result.rows] == [0, 1, 2, 3]
    assert np.array_equal(result.returns, expected.returns)


def test_errors_other_than_out_of_memory_are_not_retried(tiny, monkeypatch):
    make_sample, make_runner = tiny

    def broken(self, plan, on_segment, *rest):
        raise RuntimeError("INTERNAL: something else")

    monkeypatch.setattr(Runner, "_run", broken)
    with pytest.raises(RuntimeError, match="INTERNAL"):
        run_batch(make_runner(), [make_sample(0), make_sample(1)])


def test_run_parallel_returns_results_in_call_order_and_raises_a_failed_call():
    import threading

    threads = set()

    def call(i):
        threads.add(threading.current_thread().name)
        return jnp.full((2,), i) * 2

    out = run_parallel([lambda i=i: call(i) for i in range(6)])
    assert [int(x[0]) for x in out] == [0, 2, 4, 6, 8, 10]
    assert all(name.startswith("hyperlax-program") for name in threads)  # not the caller's thread
    with pytest.raises(ZeroDivisionError):
        run_parallel([lambda: jnp.zeros(1), lambda: 1 / 0])
