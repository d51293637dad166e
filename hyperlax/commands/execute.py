"""Training: a runner for a recipe and env, plans run batch by batch (resumable), and samples streamed
through a slot pool. sweep-hp-samples, optuna-hp-search and validate-best all train through here, so no
command imports another."""

import logging
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from rich.console import Console

from hyperlax.algos.common import trainable_count
from hyperlax.commands import signals
from hyperlax.engine.pool import SlotPool
from hyperlax.engine.runner import Runner, RunSettings, metrics_row, stopped_row
from hyperlax.envs.spec import EnvSpec
from hyperlax.errors import InputError
from hyperlax.results.files import is_complete, read_batch, write_batch
from hyperlax.results.progress import BatchProgress
from hyperlax.space.recipes import Recipe

log = logging.getLogger(__name__)


def make_runner(recipe: Recipe, env, settings: RunSettings) -> tuple[EnvSpec, Runner]:
    """The env (a rundir.EnvChoice) built and checked, and a runner of the recipe's algorithm on it."""
    spec = env.make()
    return spec, Runner(recipe.algorithm, spec, settings)


def param_count(runner: Runner, sample) -> int:
    """The trainable parameters of a sample's networks, from the shapes of its initial state (nothing runs)."""
    hp, s = runner.make_hp(sample), runner.settings
    train = runner.algorithm.make_train(hp, runner.spec, s.total_timesteps, s.num_evaluations, s.eval_episodes)
    return trainable_count(jax.eval_shape(train.init, hp, jax.ShapeDtypeStruct((2,), jnp.uint32)))


def note_return_range(console: Console, spec: EnvSpec) -> None:
    """Say once that the normalised metrics are unavailable (NaN in the results) for an env without a range."""
    if spec.return_range is None:
        console.print(
            f"note: {spec.name} has no return range, so stability_score and normalized_auc are unavailable (NaN); "
            f"give --return-range LOW HIGH to have them"
        )


def pending_plans(plans: list, samples_dir: Path) -> list:
    """The plans whose batch directory is not complete yet; a complete one must hold the planned samples."""
    pending = []
    for plan in plans:
        batch_dir = samples_dir / plan.name
        if not is_complete(batch_dir):
            pending.append(plan)
            continue
        stored_ids = [row["sample_id"] for row in read_batch(batch_dir)]
        planned_ids = [s.sample_id for s in plan.samples]
        if stored_ids != planned_ids:
            raise InputError(
                f"{batch_dir} holds samples {stored_ids}, not the planned {planned_ids}; "
                f"resume with the arguments the sweep was started with"
            )
        log.info("%s complete, skipped", plan.name)
    return pending


def run_plans(
    runner: Runner, plans: list, samples_dir: Path, console: Console, label: str = "batches", saving=None
) -> None:
    """Train every plan whose directory is not complete yet; complete ones are skipped (resume). With
    `saving` (commands.agents.AgentSaving), the agents it keeps are written with their batch."""
    keep = saving is not None and saving.active
    pending = pending_plans(plans, samples_dir)
    if len(pending) < len(plans):
        console.print(f"{len(plans) - len(pending)} of {len(plans)} {label} already complete, skipped")
    s = runner.settings
    with BatchProgress(console, len(pending), s.num_evaluations, label) as progress:
        for plan in pending:
            signals.check()
            result = runner.run_batch(plan, progress.on_segment, keep_agents=keep)
            extra = saving.writer(plan.samples, result.rows, result.agents) if keep else None
            with signals.deferred():  # written, or not at all
                write_batch(samples_dir / plan.name, plan, result, extra)
            progress.batch_done(result)
            log.info(
                "%s: %d configs, compile %.1fs, train %.1fs, %.0f env-steps/s",
                plan.name,
                len(plan.samples),
                result.compile_seconds,
                result.wall_seconds,
                result.env_steps_per_second,
            )


def stream(
    pool: SlotPool,
    next_samples: Callable,
    on_done: Callable,
    should_stop: Callable | None = None,
    progress: BatchProgress | None = None,
    keep_agent: Callable | None = None,
) -> int:
    """Train samples through a slot pool until `next_samples` has none left and the pool is empty.

    `next_samples(room)` gives up to `room` new samples (fewer or none: nothing to start now). After each
    pool step, each live slot has one more evaluation: its last one -> finished; non-finite -> failed at once;
    `should_stop(sample, evaluation, mean_return)` -> pruned. A sample that ends is handed to
    `on_done(sample, row, returns [1, seeds, evaluations, episodes] (NaN after a stop), eval_steps)` and its
    slot is refilled before the next step. With `keep_agent(sample, row) -> bool`, `on_done` gets a fifth
    argument: the sample's final agent parameters (Runner.agent_params, read from its slot before it is
    freed) when `keep_agent` says so, else None. Returns how many samples ended.
    """
    evaluations = pool.runner.settings.num_evaluations
    ended = 0
    while True:
        signals.check()
        if pool.has_room:
            for sample in next_samples(pool.capacity - pool.live):
                pool.add(sample)
        if not pool.live:
            return ended
        trained = pool.step()
        for slot in trained:
            k = slot.evaluations
            diverged = not slot.finite.all() or not np.isfinite(slot.returns[-1]).all()
            may_stop = k < evaluations and not diverged and should_stop is not None
            stopped = may_stop and should_stop(slot.sample, k, float(np.mean(slot.returns[-1])))
            if k == evaluations or diverged or stopped:
                row, curve, eval_steps = slot_result(slot, pool, stopped)
                kept = keep_agent is not None and keep_agent(slot.sample, row)
                agent = pool.agent_params(slot.sample.sample_id) if kept else None
                pool.remove(slot.sample.sample_id)
                with signals.deferred():  # a result is written and told, or neither
                    on_done(slot.sample, row, curve, eval_steps, *([] if keep_agent is None else [agent]))
                ended += 1
                if progress is not None:
                    progress.advance(evaluations - k)  # the evaluations it will never run
                    progress.set_done(progress.done_batches + 1, pool.meter.env_steps, pool.meter.train_seconds)
        if progress is not None:
            progress.advance(len(trained))
            progress.set_done(progress.done_batches, pool.meter.env_steps, pool.meter.train_seconds)


def slot_result(slot, pool: SlotPool, stopped: bool) -> tuple:
    """A sample's row, its curve padded to every evaluation with NaN, and the eval steps."""
    settings, return_range = pool.runner.settings, pool.runner.spec.return_range
    k, evaluations = slot.evaluations, settings.num_evaluations
    returns = np.stack(slot.returns, axis=1)  # [seeds, evaluations so far, episodes]
    eval_steps = slot.steps_per_segment * np.arange(1, evaluations + 1)
    make_row = stopped_row if stopped else metrics_row
    finite = bool(slot.finite.all())
    row = make_row(slot.sample.sample_id, returns, eval_steps[:k], finite, return_range, settings.seed_aggregate)
    row.update(
        env_steps_per_second=pool.meter.rate, compile_seconds=pool.compile_seconds, wall_seconds=slot.train_seconds
    )
    curve = np.full((1, returns.shape[0], evaluations, returns.shape[2]), np.nan, returns.dtype)
    curve[0, :, :k] = returns
    return row, curve, eval_steps
