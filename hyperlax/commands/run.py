"""What every command that trains shares: run directories, stored arguments, run settings, running plans.

sweep-hp-samples, optuna-hp-search and validate-best all train through this module, so no command imports
another.
"""

import fcntl
import logging
import os
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from pathlib import Path

import numpy as np
from rich.console import Console

from hyperlax.algos.common import config_from_flat
from hyperlax.commands import signals
from hyperlax.engine.memory import bytes_per_config_and_seed, check_fits
from hyperlax.engine.pool import SlotPool
from hyperlax.engine.runner import Runner, RunSettings, metrics_row, stopped_row
from hyperlax.envs.gymnax import EnvSpec, make_env
from hyperlax.errors import InputError
from hyperlax.results.files import is_complete, read_batch, read_json, write_batch
from hyperlax.results.progress import BatchProgress
from hyperlax.space.recipes import Recipe, raised, structural_variants

log = logging.getLogger(__name__)


def check_positive(name: str, value) -> None:
    if value is not None and value <= 0:
        raise InputError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")


LOCK_FILE = "hyperlax.lock"
# Added to a run's --seed by validate-best: every training key of a validation differs from the run's (and
# from a study re-evaluation's, which adds 2_000_003).
FRESH_SEED_OFFSET = 1_000_003


def check_width(program_width: int | None, batch_size: int, batch_flag: str) -> None:
    """A program wider than its batch would only train padding."""
    if program_width is not None and program_width > batch_size:
        raise InputError(
            f"--program-width {program_width} exceeds {batch_flag} {batch_size}: the extra slots would only train "
            f"padding; give a width of at most {batch_size}"
        )


def check_output_root(output_root) -> None:
    """--output-root is a directory that exists and is writable, or one that can be created."""
    if not str(output_root).strip():
        raise InputError("--output-root is empty; give a directory for the results")
    path = Path(output_root)
    if path.exists() and not path.is_dir():
        raise InputError(f"--output-root {output_root} is a file; give a directory for the results")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"--output-root {output_root}: {existing} is a file, so the directory cannot be created")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"--output-root {output_root}: {existing} is not writable; choose another directory")


@contextmanager
def exclusive(run_dir: Path, recheck: Callable | None = None):
    """Hold `run_dir`/hyperlax.lock for the run: a second run writing to the same directory stops with an
    input error naming the first one's pid. `recheck` runs once the lock is held (what another run may have
    written since the checks before it)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = (run_dir / LOCK_FILE).open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "unknown"
        lock.close()
        raise InputError(
            f"{run_dir} is being written by another hyperlax run (pid {holder}); wait for it to end, "
            f"or choose another --output-root"
        ) from None
    try:
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        if recheck is not None:
            recheck()
        yield
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def run_dir(output_root, recipe: Recipe, env_config: str) -> Path:
    """<output-root>/<recipe>/<env with '.' replaced by '_'>: where a sweep or study of this pair lives."""
    return Path(output_root) / recipe.name / env_config.replace(".", "_")


def given_values(args) -> dict:
    """The arguments that were set (on the command line, by a spec or by the caller)."""
    return {k: v for k, v in asdict(args).items() if v is not None}


def stored_args(stored_path: Path) -> dict:
    """The arguments a run stored in its sweep.json or study.json."""
    stored = read_json(stored_path, "stored run")
    if not isinstance(stored, dict) or not isinstance(stored.get("args"), dict):
        raise InputError(f"{stored_path} holds no 'args' mapping; it was not written by hyperlax, or it was edited")
    return stored["args"]


def merge_stored(
    given: dict, stored_path: Path, fixed: tuple, required: tuple = (), as_stored: Callable = lambda key, value: value
) -> dict:
    """The stored arguments updated with the given ones; a given one in `fixed` (it decides the results)
    must equal its stored value (`as_stored` turns a given value into its stored form, e.g. a masked URL).
    Every key in `required` must have been stored: without it the stored run cannot be told apart."""
    stored = stored_args(stored_path)
    missing = [key for key in required if key not in stored]
    if missing:
        raise InputError(
            f"{stored_path} lacks {', '.join(missing)}; it was truncated or edited (restore it, or start anew)"
        )
    for key in fixed:
        if key not in given:
            continue
        value = as_stored(key, given[key])
        if value != stored.get(key):
            raise InputError(
                f"--{key.replace('_', '-')} {value} differs from {stored.get(key)} stored in {stored_path}; "
                f"continue with the stored arguments or start anew in another --output-root"
            )
    return {**stored, **given}


def check_structures(runner: Runner, recipe: Recipe, configs: int, lower: str) -> None:
    """Every structure the recipe's search space can give builds (shapes only, nothing compiles), and
    `configs` configurations of the largest fit in memory; `lower` names the flag that sets `configs`."""
    defaults, largest = recipe.defaults(), 0
    for key, value in structural_variants(recipe):
        config = config_from_flat(recipe.algorithm.Config, {**defaults, key: value} if key else defaults)
        if problem := recipe.algorithm.config_problem(config, runner.spec):
            where = f" with {key} = {value!r}" if key else ""
            raise InputError(f"recipe '{recipe.name}'{where} on {runner.spec.name}: {problem}")
        try:
            largest = max(largest, bytes_per_config_and_seed(runner, config))
        except Exception as exc:  # a shape the agent cannot be built with
            where = f" with {key} = {value!r}" if key else ""
            raise InputError(f"recipe '{recipe.name}'{where}: the agent cannot be built ({raised(exc)})") from None
    check_fits(runner, largest, configs, lower)


def recipe_evaluations(recipe: Recipe) -> int:
    return recipe.base_config.get("training", {}).get("num_evaluations", 20)


def run_settings(
    recipe: Recipe, args, *, hparam_batch_size: int, sequential: bool = False, group_by_structure: bool = False
) -> RunSettings:
    """Run settings from the arguments, falling back to the recipe's `training` section."""
    training = recipe.base_config.get("training", {})
    settings = RunSettings(
        total_timesteps=args.total_timesteps or training.get("total_timesteps", 100_000),
        num_evaluations=args.num_evaluations or recipe_evaluations(recipe),
        num_seeds=args.num_seeds,
        eval_episodes=args.eval_episodes or training.get("eval_episodes", 10),
        seed=args.seed,
        hparam_batch_size=hparam_batch_size,
        sequential=sequential,
        group_by_structure=group_by_structure,
        program_width=args.program_width,
        seed_aggregate=args.seed_aggregate or "mean",  # None: a run stored before the option existed
    )
    for name in ("total_timesteps", "num_evaluations", "eval_episodes"):
        check_positive(name, getattr(settings, name))
    return settings


def make_runner(recipe: Recipe, env_config: str, settings: RunSettings) -> tuple[EnvSpec, Runner]:
    spec = make_env(env_config)
    return spec, Runner(recipe.algorithm, spec, settings)


def run_record(args, settings: RunSettings, recipe: Recipe, spec: EnvSpec, **args_override) -> dict:
    """What sweep.json and study.json keep: the resolved arguments, the recipe, its space and the env."""
    return {
        "args": {
            **asdict(args),
            "total_timesteps": settings.total_timesteps,
            "num_evaluations": settings.num_evaluations,
            "eval_episodes": settings.eval_episodes,
            "resume_from": None,
            **args_override,
        },
        "recipe": recipe.name,
        "distributions": {k: repr(v) for k, v in recipe.distributions.items()},
        "env": {"name": spec.name, "gymnax_id": spec.gymnax_id, "return_range": spec.return_range},
    }


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
    runner: Runner,
    plans: list,
    samples_dir: Path,
    console: Console,
    label: str = "batches",
    progress: BatchProgress | None = None,
    on_batch: Callable | None = None,
    should_stop: Callable | None = None,
) -> None:
    """Train every plan whose directory is not complete yet; complete ones are skipped (resume).

    `progress`: an open BatchProgress to advance instead of a new one; `on_batch(plan, result)` runs after
    each batch is written; `should_stop` goes to the runner (pruning).
    """
    pending = pending_plans(plans, samples_dir)
    if len(pending) < len(plans):
        console.print(f"{len(plans) - len(pending)} of {len(plans)} {label} already complete, skipped")
    s = runner.settings
    progress_context = (
        nullcontext(progress) if progress else BatchProgress(console, len(pending), s.num_evaluations, label)
    )
    with progress_context as progress:
        for plan in pending:
            signals.check()
            result = runner.run_batch(plan, progress.on_segment, should_stop)
            with signals.deferred():  # written and handed on, or neither
                write_batch(samples_dir / plan.name, plan, result)
                if on_batch is not None:
                    on_batch(plan, result)
            progress.batch_done(result, result.env_steps_per_second * result.wall_seconds)
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
) -> int:
    """Train samples through a slot pool until `next_samples` has none left and the pool is empty.

    `next_samples(room)` gives up to `room` new samples (fewer or none: nothing to start now). After each
    pool step, each live slot has one more evaluation: its last one -> finished; non-finite -> failed at once;
    `should_stop(sample, evaluation, mean_return)` -> pruned. A sample that ends is handed to
    `on_done(sample, row, returns [1, seeds, evaluations, episodes] (NaN after a stop), eval_steps)` and its
    slot is refilled before the next step. Returns how many samples ended.
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
                pool.remove(slot.sample.sample_id)
                with signals.deferred():  # a result is written and told, or neither
                    on_done(slot.sample, *slot_result(slot, pool, stopped))
                ended += 1
                if progress is not None:
                    progress.advance(evaluations - k)  # the evaluations it will never run
                    progress.set_done(progress.done_batches + 1, pool.env_steps, pool.train_seconds)
        if progress is not None:
            progress.advance(len(trained))
            progress.set_done(progress.done_batches, pool.env_steps, pool.train_seconds)


def slot_result(slot, pool: SlotPool, stopped: bool) -> tuple:
    """A sample's row, its curve padded to every evaluation with NaN, and the eval steps."""
    settings, return_range = pool.runner.settings, pool.runner.spec.return_range
    k, evaluations = slot.evaluations, settings.num_evaluations
    returns = np.stack(slot.returns, axis=1)  # [seeds, evaluations so far, episodes]
    eval_steps = slot.steps_per_segment * np.arange(1, evaluations + 1)
    make_row = stopped_row if stopped else metrics_row
    row = make_row(slot.sample, returns, eval_steps[:k], bool(slot.finite.all()), return_range, settings.seed_aggregate)
    rate = pool.env_steps / pool.train_seconds if pool.train_seconds else 0.0
    row.update(env_steps_per_second=rate, compile_seconds=pool.compile_seconds)
    curve = np.full((1, returns.shape[0], evaluations, returns.shape[2]), np.nan, returns.dtype)
    curve[0, :, :k] = returns
    return row, curve, eval_steps
