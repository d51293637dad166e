"""hyperlax train: one configuration on --num-seeds seeds, its learning curves, final metrics with an IQM and
a 95% interval, and an agent per seed.

The configuration: `--spec best.yaml` (what `study-best --format yaml` writes), `--from-study DIR` (the same
configuration, read from the study: its selected trial over its recipe, env and budget; flags override
them), `--zoo PAIR_OR_FILE` (a zoo entry's spec, as --spec; its shipped figure is printed beside the new
one), or the recipe's defaults with --search-space's fixed values. It trains through the runner as sample
0 of a sweep would (keys from --seed, sample 0 and the seed index), into
`<output-root>/<recipe>/<env>/train/samples/batch_00000/` with its agent in `agent/`; `--resume-from` skips
a finished batch, as a sweep's resume does.
"""

import json
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from hyperlax.commands.agents import AgentSaving, saved_agent_dirs
from hyperlax.commands.execute import make_runner, run_plans
from hyperlax.commands.options import TrainArgs
from hyperlax.commands.rundir import (
    StoredRun,
    check_output_root,
    env_choice,
    exclusive,
    given_values,
    merge_options,
    resolved_options,
    run_dir,
    run_record,
)
from hyperlax.commands.settings import check_structures, run_settings
from hyperlax.commands.signals import interrupted
from hyperlax.engine.runner import Sample
from hyperlax.errors import InputError
from hyperlax.results.files import collect_rows, write_json_atomic
from hyperlax.results.intervals import CONFIDENCE, iqm_interval
from hyperlax.results.outcomes import Status
from hyperlax.space.recipes import load_recipe
from hyperlax.space.spec import apply_space
from hyperlax.zoo import find_entry, reproduction_line

TRAIN_FILE, TRAIN_DIR, SUMMARY_FILE = "train.json", "train", "summary.json"
TRAIN = StoredRun(TRAIN_FILE, "hyperlax train", f"{TRAIN_FILE} and samples/", ("algo_and_network_config", "env_config"))
# What --from-study takes from the study (its seeds and program width are train's own).
STUDY_KEYS = ("algo_and_network_config", "env_config", "total_timesteps", "num_evaluations", "eval_episodes",
              "seed_aggregate")  # fmt: skip


def study_values(study_dir: str) -> dict:
    """The study's selected trial as train's option values."""
    from hyperlax.commands.study import best_configuration

    if not (Path(study_dir) / "study.json").is_file():
        what = "no study.json there" if Path(study_dir).is_dir() else "no such directory"
        raise InputError(f"--from-study {study_dir}: {what}; give the directory optuna-hp-search wrote")
    spec, _ = best_configuration(study_dir, None)
    values = {k: spec[k] for k in STUDY_KEYS if k in spec}
    space = {"mode": "replace", "search_space": {}, "fixed": spec["fixed"]}
    return {**values, "search_space": json.dumps(space, sort_keys=True)}


def resolve_args(args: TrainArgs) -> tuple[TrainArgs, Path | None]:
    if args.zoo is not None and args.from_study is not None:
        raise InputError("--zoo and --from-study both name the configuration to train; give one of them")
    given = given_values(args)
    if args.from_study is not None and args.resume_from is None:
        given = {**study_values(args.from_study), **given}
    resolved = resolved_options(TrainArgs, merge_options(TrainArgs, given, args.resume_from, TRAIN))
    check_output_root(resolved.output_root)
    return resolved, (Path(args.resume_from) if args.resume_from else None)


def train(args: TrainArgs, console: Console) -> Path:
    args, resume_dir = resolve_args(args)
    entry = None if args.zoo is None else find_entry(args.zoo)  # its figures, beside the new ones at the end
    recipe = apply_space(load_recipe(args.algo_and_network_config), args.search_space)
    train_dir = resume_dir or run_dir(args.output_root, recipe, args.env_config) / TRAIN_DIR

    def check_no_run_there():
        if resume_dir is None and (train_dir / TRAIN_FILE).exists():
            raise InputError(
                f"{train_dir} already holds a train run; continue it with --resume-from {train_dir} "
                f"or choose another --output-root"
            )

    check_no_run_there()
    settings = run_settings(recipe, args, hparam_batch_size=1)
    env = env_choice(vars(args), resume_dir and resume_dir / TRAIN_FILE, args.allow_env_change)
    spec, runner = make_runner(recipe, env, settings)
    if not runner.can_keep_agents():
        raise InputError(f"algorithm {runner.algorithm.NAME} has no make_policy, so train cannot save its agents")
    check_structures(runner, recipe, 1, "--num-seeds")
    sample = Sample.from_values(0, {}, recipe.defaults())
    console.print(
        f"train: {recipe.name} on {spec.name} ({spec.env_id}), {settings.num_seeds} seeds, "
        f"{settings.total_timesteps} env steps each -> {train_dir}"
    )
    start = time.perf_counter()
    with exclusive(train_dir, recheck=check_no_run_there):
        if resume_dir is None:
            write_json_atomic(train_dir / TRAIN_FILE, run_record(args, settings, recipe, spec))
        try:
            saving = AgentSaving("all", recipe, runner, single=True)
            run_plans(runner, runner.plan([sample]), train_dir / "samples", console, "batches", saving)
        except KeyboardInterrupt as exc:
            raise interrupted(exc, "nothing finished is lost", train_dir) from None
        summary = report(train_dir, console)
    if entry is not None and "per_seed_final_returns" in summary:
        console.print(reproduction_line(entry, summary["per_seed_final_returns"], summary["iqm_final_return"],
                                        args.seed, settings.total_timesteps))  # fmt: skip
    console.print(f"throughput: {runner.meter.summary(time.perf_counter() - start)}")
    return train_dir


def report(train_dir: Path, console: Console) -> dict:
    """Print the curve and the final metrics (IQM over seeds with its 95% interval); write summary.json and
    return what it holds."""
    [row] = collect_rows(train_dir / "samples")
    batch_dir = train_dir / "samples" / row["batch_dir"]
    curves = np.load(batch_dir / "curves.npz")
    curve = curves["returns"][0].mean(axis=-1)  # [seeds, evaluations]
    table = Table(title="learning curve: mean eval return over episodes")
    for column in ("env steps", "IQM over seeds", "min", "max"):
        table.add_column(column, justify="right")
    for k, step in enumerate(curves["eval_steps"]):
        values = curve[:, k]
        table.add_row(f"{int(step):,}", f"{iqm_interval(values.tolist()).estimate:.4g}", f"{values.min():.4g}",
                      f"{values.max():.4g}")  # fmt: skip
    console.print(table)
    agents = [str(p) for p in saved_agent_dirs(batch_dir)]
    summary = {"status": str(row["status"]), "agents": agents, "batch_dir": str(batch_dir)}
    if row["status"] != Status.OK:
        console.print(f"the configuration {row['status']}: {row.get('reason', '')}")
    else:
        interval = iqm_interval(row["per_seed_final_returns"])
        summary.update(iqm_final_return=interval.as_dict(), per_seed_final_returns=row["per_seed_final_returns"])
        summary.update(final_performance=row["final_performance"], stability_score=row.get("stability_score"))
        ci = "" if interval.low is None else f" [{CONFIDENCE:.0%} CI {interval.low:.4g}, {interval.high:.4g}]"
        finals = ", ".join(f"{v:.4g}" for v in row["per_seed_final_returns"])
        console.print(f"final return IQM {interval.estimate:.4g}{ci} over {len(row['per_seed_final_returns'])} "
                      f"seeds ({finals}); final_performance {row['final_performance']:.4g}")  # fmt: skip
    write_json_atomic(train_dir / SUMMARY_FILE, summary)
    console.print(f"agents: {', '.join(agents) or 'none'} (hyperlax evaluate --agent DIR)")
    return summary
