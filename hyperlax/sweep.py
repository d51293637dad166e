"""sweep-hp-samples: sample a recipe's search space, train every sample, write a results table."""

import json
import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hyperlax.envs import make_env
from hyperlax.errors import InputError
from hyperlax.progress import BatchProgress
from hyperlax.recipes import Recipe, load_recipe
from hyperlax.results import collect_rows, is_complete, read_batch, write_batch, write_json_atomic, write_results_csv
from hyperlax.runner import Runner, RunSettings, Sample
from hyperlax.space import SAMPLING_METHODS, sample

log = logging.getLogger(__name__)

# What decides the samples and their results: a resume must not change any of these.
RESUME_FIXED = (
    "algo_and_network_config",
    "env_config",
    "num_samples",
    "sampling_method",
    "seed",
    "total_timesteps",
    "num_seeds",
    "num_evaluations",
    "eval_episodes",
    "hparam_batch_size",
    "sequential",
    "group_by_structural_hparams",
)


@dataclass
class SweepArgs:
    algo_and_network_config: str | None = None
    env_config: str | None = None
    num_samples: int | None = None
    hparam_batch_size: int | None = None
    sampling_method: str | None = None
    sequential: bool | None = None
    group_by_structural_hparams: bool | None = None
    total_timesteps: int | None = None
    num_seeds: int | None = None
    num_evaluations: int | None = None
    eval_episodes: int | None = None
    seed: int | None = None
    output_root: str = "hyperlax_runs"
    resume_from: str | None = None


DEFAULTS = {
    "algo_and_network_config": "ppo_mlp",
    "env_config": "gymnax.pendulum",
    "num_samples": 8,
    "hparam_batch_size": 8,
    "sampling_method": "qmc_sobol",
    "sequential": False,
    "group_by_structural_hparams": False,
    "num_seeds": 2,
    "seed": 0,
}


def check_positive(name: str, value) -> None:
    if value is not None and value <= 0:
        raise InputError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")


def resolve_args(args: SweepArgs) -> tuple[SweepArgs, Path]:
    """Fill unset arguments from the resumed sweep.json or the defaults; return the sweep directory."""
    given = {k: v for k, v in asdict(args).items() if v is not None}
    if args.resume_from is not None:
        sweep_dir = Path(args.resume_from)
        stored_path = sweep_dir / "sweep.json"
        if not stored_path.is_file():
            raise InputError(
                f"--resume-from {sweep_dir}: no sweep.json there; give the directory a sweep wrote (it holds sweep.json and samples/)"
            )
        stored = json.loads(stored_path.read_text())["args"]
        for key in RESUME_FIXED:
            if key in given and given[key] != stored.get(key):
                raise InputError(
                    f"--{key.replace('_', '-')} {given[key]} differs from {stored.get(key)} stored in {stored_path}; resume with the stored arguments or start a new sweep"
                )
        merged = {**stored, **given}
    else:
        merged = {**DEFAULTS, **given}
    resolved = SweepArgs(**{k: merged.get(k) for k in SweepArgs.__dataclass_fields__})
    for name in (
        "num_samples",
        "hparam_batch_size",
        "total_timesteps",
        "num_seeds",
        "num_evaluations",
        "eval_episodes",
    ):
        check_positive(name, getattr(resolved, name))
    if resolved.sampling_method not in SAMPLING_METHODS:
        raise InputError(f"unknown sampling method '{resolved.sampling_method}'; valid: {', '.join(SAMPLING_METHODS)}")
    return resolved, (Path(args.resume_from) if args.resume_from else None)


def run_settings(
    recipe: Recipe, args, *, hparam_batch_size: int, sequential: bool = False, group_by_structure: bool = False
) -> RunSettings:
    """Run settings from CLI arguments, falling back to the recipe's `training` section."""
    training = recipe.base_config.get("training", {})
    settings = RunSettings(
        total_timesteps=args.total_timesteps or training.get("total_timesteps", 100_000),
        num_evaluations=args.num_evaluations or training.get("num_evaluations", 20),
        num_seeds=args.num_seeds,
        eval_episodes=args.eval_episodes or training.get("eval_episodes", 10),
        seed=args.seed,
        hparam_batch_size=hparam_batch_size,
        sequential=sequential,
        group_by_structure=group_by_structure,
    )
    for name in ("total_timesteps", "num_evaluations", "eval_episodes"):
        check_positive(name, getattr(settings, name))
    return settings


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
    pending = []
    for plan in plans:
        batch_dir = samples_dir / plan.name
        if is_complete(batch_dir):
            stored_ids = [row["sample_id"] for row in read_batch(batch_dir)]
            if stored_ids != [s.sample_id for s in plan.samples]:
                raise InputError(
                    f"{batch_dir} holds samples {stored_ids}, not the planned {[s.sample_id for s in plan.samples]}; resume with the arguments the sweep was started with"
                )
            log.info("%s complete, skipped", plan.name)
        else:
            pending.append(plan)
    if len(pending) < len(plans):
        console.print(f"{len(plans) - len(pending)} of {len(plans)} {label} already complete, skipped")
    s = runner.settings
    with (
        nullcontext(progress)
        if progress is not None
        else BatchProgress(console, len(pending), s.num_evaluations, label) as progress
    ):
        for plan in pending:
            result = runner.run_batch(plan, progress.on_segment, should_stop)
            write_batch(samples_dir / plan.name, plan, result)
            progress.batch_done(result, result.env_steps_per_second * result.wall_seconds)
            if on_batch is not None:
                on_batch(plan, result)
            log.info(
                "%s: %d configs, compile %.1fs, train %.1fs, %.0f env-steps/s",
                plan.name,
                len(plan.samples),
                result.compile_seconds,
                result.wall_seconds,
                result.env_steps_per_second,
            )


def sweep(args: SweepArgs, console: Console) -> Path:
    args, resume_dir = resolve_args(args)
    recipe = load_recipe(args.algo_and_network_config)
    spec = make_env(args.env_config)
    sweep_dir = resume_dir or Path(args.output_root) / recipe.name / spec.name.replace(".", "_")
    if resume_dir is None and (sweep_dir / "sweep.json").exists():
        raise InputError(
            f"{sweep_dir} already holds a sweep; continue it with --resume-from {sweep_dir} or choose another --output-root"
        )
    settings = run_settings(
        recipe,
        args,
        hparam_batch_size=args.hparam_batch_size,
        sequential=args.sequential,
        group_by_structure=args.group_by_structural_hparams,
    )
    runner = Runner(recipe.algorithm, spec, settings)
    defaults = recipe.defaults()
    samples = [
        Sample(i, values, {**defaults, **values})
        for i, values in enumerate(sample(recipe.distributions, args.num_samples, args.sampling_method, args.seed))
    ]
    plans = runner.plan(samples)

    sweep_dir.mkdir(parents=True, exist_ok=True)
    if resume_dir is None:
        write_json_atomic(
            sweep_dir / "sweep.json",
            {
                "args": {
                    **asdict(args),
                    "total_timesteps": settings.total_timesteps,
                    "num_evaluations": settings.num_evaluations,
                    "eval_episodes": settings.eval_episodes,
                    "resume_from": None,
                },
                "recipe": recipe.name,
                "distributions": {k: repr(v) for k, v in recipe.distributions.items()},
                "env": {"name": spec.name, "gymnax_id": spec.gymnax_id, "return_range": spec.return_range},
            },
        )
    console.print(
        f"sweep: {len(samples)} samples of {recipe.name} on {spec.name} ({spec.gymnax_id}), "
        f"{len(plans)} {'runs' if args.sequential else 'batches'}, {settings.num_seeds} seeds, "
        f"{settings.total_timesteps} env steps each -> {sweep_dir}"
    )
    start = time.perf_counter()
    run_plans(runner, plans, sweep_dir / "samples", console, "runs" if args.sequential else "batches")
    rows = collect_rows(sweep_dir / "samples")
    write_results_csv(sweep_dir / "results.csv", rows)
    print_summary(console, rows, time.perf_counter() - start)
    console.print(f"results: {sweep_dir / 'results.csv'}")
    return sweep_dir


def print_summary(console: Console, rows: list, wall_seconds: float, top: int = 5) -> None:
    ok = [r for r in rows if r["status"] == "ok"]
    table = Table(title=f"{len(ok)} of {len(rows)} samples ok, {wall_seconds:.0f}s wall; best by final_performance")
    for column in ("sample", "final_performance", "peak_performance", "stability_score", "normalized_auc"):
        table.add_column(column, justify="right")
    for r in sorted(ok, key=lambda r: -r["final_performance"])[:top]:
        table.add_row(
            str(r["sample_id"]),
            *(f"{r[c]:.4g}" for c in ("final_performance", "peak_performance", "stability_score", "normalized_auc")),
        )
    console.print(table)
