"""sweep-hp-samples: sample a recipe's search space, train every sample, write a results table."""

import itertools
import json
import time
from pathlib import Path

import numpy as np
import optuna
from optuna.trial import TrialState
from rich.console import Console
from rich.table import Table

from hyperlax.commands.execute import make_runner, run_plans, stream
from hyperlax.commands.options import SweepArgs
from hyperlax.commands.pruning import PrunerSettings, check_pruner, make_pruner
from hyperlax.commands.rundir import (
    StoredRun,
    check_output_root,
    exclusive,
    given_values,
    merge_options,
    resolved_options,
    run_dir,
    run_record,
)
from hyperlax.commands.settings import check_structures, check_width, run_settings
from hyperlax.commands.signals import interrupted
from hyperlax.engine.pool import SlotPool
from hyperlax.engine.runner import Sample
from hyperlax.errors import InputError
from hyperlax.results.files import collect_rows, is_complete, write_json_atomic, write_results_csv, write_samples
from hyperlax.results.outcomes import Status
from hyperlax.results.progress import BatchProgress
from hyperlax.space.distributions import SAMPLING_METHODS, sample
from hyperlax.space.recipes import load_recipe
from hyperlax.space.spec import apply_space

SWEEP_FILE = "sweep.json"
SWEEP = StoredRun(
    SWEEP_FILE, "a sweep", f"{SWEEP_FILE} and samples/",
    ("algo_and_network_config", "env_config", "num_samples", "sampling_method", "seed", "num_seeds"),
)  # fmt: skip


def resolve_args(args: SweepArgs) -> tuple[SweepArgs, Path | None]:
    """Fill unset arguments from the resumed sweep.json or the defaults; return the resumed directory."""
    merged = merge_options(SweepArgs, given_values(args), args.resume_from, SWEEP)
    resolved = resolved_options(SweepArgs, merged)
    check_output_root(resolved.output_root)
    check_width(resolved.program_width, resolved.hparam_batch_size, "--hparam-batch-size")
    if resolved.sampling_method not in SAMPLING_METHODS:
        raise InputError(f"unknown sampling method '{resolved.sampling_method}'; valid: {', '.join(SAMPLING_METHODS)}")
    return resolved, (Path(args.resume_from) if args.resume_from else None)


def sweep(args: SweepArgs, console: Console) -> Path:
    args, resume_dir = resolve_args(args)
    recipe = apply_space(load_recipe(args.algo_and_network_config), args.search_space)
    sweep_dir = resume_dir or run_dir(args.output_root, recipe, args.env_config)

    def check_no_sweep_there():
        if resume_dir is None and (sweep_dir / SWEEP_FILE).exists():
            raise InputError(
                f"{sweep_dir} already holds a sweep; continue it with --resume-from {sweep_dir} "
                f"or choose another --output-root"
            )

    check_no_sweep_there()
    settings = run_settings(
        recipe,
        args,
        hparam_batch_size=args.hparam_batch_size,
        sequential=args.sequential,
        group_by_structure=args.group_by_structural_hparams,
    )
    check_pruner(PrunerSettings.of(args), ["final_performance"], settings.num_evaluations)
    spec, runner = make_runner(recipe, args.env_config, settings)
    defaults = recipe.defaults()
    drawn = sample(recipe.distributions, args.num_samples, args.sampling_method, args.seed)
    samples = [Sample.from_values(i, values, defaults) for i, values in enumerate(drawn)]
    plans = runner.plan(samples)
    batch = max(p.padded_size for p in plans) if args.pruner == "none" else args.hparam_batch_size
    check_structures(runner, recipe, batch, "--hparam-batch-size")
    with exclusive(sweep_dir, recheck=check_no_sweep_there):
        if resume_dir is None:
            write_json_atomic(sweep_dir / SWEEP_FILE, run_record(args, settings, recipe, spec))
        try:
            run_sweep(args, recipe.name, runner, samples, plans, sweep_dir, console)
        except KeyboardInterrupt as exc:
            done = sum(is_complete(d) for d in (sweep_dir / "samples").glob("*"))
            raise interrupted(exc, f"{done} finished directories kept in {sweep_dir / 'samples'}", sweep_dir) from None
    return sweep_dir


def run_sweep(
    args: SweepArgs, name: str, runner, samples: list, plans: list, sweep_dir: Path, console: Console
) -> None:
    settings, spec = runner.settings, runner.spec
    unit = "runs" if args.sequential else "batches"
    layout = f"{len(plans)} {unit}" if args.pruner == "none" else f"a pool of {args.hparam_batch_size} slots"
    console.print(
        f"sweep: {len(samples)} samples of {name} on {spec.name} ({spec.gymnax_id}), "
        f"{layout}, pruner {args.pruner}, {settings.num_seeds} seeds, {settings.total_timesteps} env steps each "
        f"-> {sweep_dir}"
    )
    start = time.perf_counter()
    if args.pruner == "none":
        run_plans(runner, plans, sweep_dir / "samples", console, unit)
    else:
        stream_with_pruning(runner, samples, sweep_dir / "samples", console, args)
    rows = collect_rows(sweep_dir / "samples")
    write_results_csv(sweep_dir / "results.csv", rows)
    wall = time.perf_counter() - start
    print_summary(console, rows, wall)
    console.print(f"throughput: {runner.meter.summary(wall)}")
    console.print(f"results: {sweep_dir / 'results.csv'}")


def stream_with_pruning(runner, samples: list, samples_dir: Path, console: Console, args: SweepArgs) -> None:
    """Samples stream through a slot pool; an in-memory Optuna study's pruner stops those that fall behind,
    and each sample's directory (samples/sample_NNNNN) is written as it ends. On resume, the samples already
    written are skipped and their curves given back to the pruner, so it decides as it would have."""
    evaluations = runner.settings.num_evaluations
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", pruner=make_pruner(PrunerSettings.of(args), evaluations))
    pending = []
    for drawn in samples:
        sample_dir = samples_dir / sample_dir_name(drawn.sample_id)
        if is_complete(sample_dir):
            study.add_trial(finished_trial(sample_dir))
        else:
            pending.append(drawn)
    if len(pending) < len(samples):
        console.print(f"{len(samples) - len(pending)} of {len(samples)} samples already complete, skipped")
    queue, trials = iter(pending), {}

    def next_samples(room: int) -> list:
        taken = list(itertools.islice(queue, room))
        trials.update((sample.sample_id, study.ask()) for sample in taken)
        return taken

    def should_stop(sample, evaluation: int, mean_return: float) -> bool:
        trials[sample.sample_id].report(mean_return, evaluation)
        return trials[sample.sample_id].should_prune()

    def on_done(sample, row, returns, eval_steps) -> None:
        write_samples(samples_dir / sample_dir_name(sample.sample_id), [sample], [row], returns, eval_steps)
        state, value = pruning_outcome(row)
        study.tell(trials.pop(sample.sample_id), value, state)

    s = args.hparam_batch_size
    pool = SlotPool.for_runner(runner, s)
    with BatchProgress(console, len(pending), evaluations, "samples") as progress:
        stream(pool, next_samples, on_done, should_stop, progress)


def pruning_outcome(row: dict) -> tuple:
    """A sample's row as the pruning study's trial state and value."""
    state = {Status.OK: TrialState.COMPLETE, Status.PRUNED: TrialState.PRUNED}.get(row["status"], TrialState.FAIL)
    return state, row["final_performance"] if state == TrialState.COMPLETE else None


def sample_dir_name(sample_id: int) -> str:
    return f"sample_{sample_id:05d}"


def finished_trial(sample_dir: Path):
    """A sample written earlier as a finished Optuna trial whose intermediate values are its eval returns."""
    [row] = json.loads((sample_dir / "metrics.json").read_text())
    returns = np.load(sample_dir / "curves.npz")["returns"][0]  # [seeds, evaluations, episodes]
    curve = returns.mean(axis=(0, 2))
    intermediate = {k + 1: float(v) for k, v in enumerate(curve) if np.isfinite(v)}
    state, value = pruning_outcome(row)
    return optuna.trial.create_trial(state=state, value=value, intermediate_values=intermediate)


def print_summary(console: Console, rows: list, wall_seconds: float, top: int = 5) -> None:
    ok = [r for r in rows if r["status"] == Status.OK]
    counts = ", ".join(f"{sum(r['status'] == status for r in rows)} {status}" for status in Status)
    columns = ("final_performance", "peak_performance", "stability_score", "normalized_auc")
    table = Table(title=f"{len(rows)} samples: {counts}; {wall_seconds:.0f}s wall; best by final_performance")
    for column in ("sample", *columns):
        table.add_column(column, justify="right")
    for r in sorted(ok, key=lambda r: -r["final_performance"])[:top]:
        table.add_row(str(r["sample_id"]), *("n/a" if r[c] is None else f"{r[c]:.4g}" for c in columns))
    console.print(table)
