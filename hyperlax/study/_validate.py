"""validate-best: retrain a study's best configuration (or its Pareto front) on fresh seeds.

A search picks the configuration that looked best on its own seeds; some of that is luck. Retraining it
with seeds no trial used says how much of its score holds.
"""

import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hyperlax.errors import InputError
from hyperlax.options import check_values, int_in, option, with_defaults
from hyperlax.recipes import load_recipe
from hyperlax.results import collect_rows, write_json_atomic
from hyperlax.run import make_runner, run_plans, stored_args
from hyperlax.runner import RunSettings, Sample
from hyperlax.study._params import decode_params, json_keys_of
from hyperlax.study._reports import objective_names_of
from hyperlax.study._storage import STUDY_FILE, load_stored_study

# Added to the study's --seed: every training key of the validation differs from the study's.
FRESH_SEED_OFFSET = 1_000_003
REPORTED = (
    "final_performance",
    "peak_performance",
    "stability_score",
    "normalized_auc",
    "final_mean_across_seeds",
    "final_std_across_seeds",
    "final_iqm_across_seeds",
    "per_seed_final_returns",
)


@dataclass
class ValidateArgs:
    study_dir: str | None = option("the directory optuna-hp-search wrote (holds study.json)", required=True)
    storage: str | None = option("storage URL, when study.json's (stored without password) is not enough")
    num_seeds: int | None = option("fresh seeds", 5, type=int_in(1, 1024))


def validate_best(args: ValidateArgs, console: Console) -> Path:
    check_values(args)
    num_seeds = with_defaults(args).num_seeds
    study = load_stored_study(args.study_dir, args.storage)
    study_path = Path(args.study_dir)
    out_dir = study_path / "validation"
    if (out_dir / "validation.json").exists():
        raise InputError(f"{out_dir} already holds a validation; move it away to validate again")
    stored = stored_args(study_path / STUDY_FILE)
    best = study.best_trials
    if not best:
        raise InputError(f"study '{study.study_name}' has no complete trial to validate yet")
    recipe = load_recipe(stored["algo_and_network_config"])
    defaults, json_keys = recipe.defaults(), json_keys_of(study)
    samples = [
        Sample(t.number, values, {**defaults, **values})
        for t in best
        for values in [decode_params(t.params, json_keys)]
    ]
    settings = RunSettings(
        total_timesteps=stored["total_timesteps"],
        num_evaluations=stored["num_evaluations"],
        num_seeds=num_seeds,
        eval_episodes=stored["eval_episodes"],
        seed=stored["seed"] + FRESH_SEED_OFFSET,
        hparam_batch_size=len(samples),
    )
    _, runner = make_runner(recipe, stored["env_config"], settings)
    console.print(
        f"validating {len(samples)} trial(s) of study '{study.study_name}' on {num_seeds} fresh seeds -> {out_dir}"
    )
    start = time.perf_counter()
    run_plans(runner, runner.plan(samples), out_dir / "samples", console, "batches")
    rows = {row["sample_id"]: row for row in collect_rows(out_dir / "samples")}
    names = objective_names_of(study)
    report = [
        {
            "trial": t.number,
            "params": sample.values,
            "search_values": dict(zip(names, t.values, strict=True)),
            "search_num_seeds": stored["num_seeds"],
            "validation_num_seeds": num_seeds,
            "validation_status": rows[t.number]["status"],
            "validation": {k: rows[t.number].get(k) for k in REPORTED},
        }
        for sample, t in zip(samples, best, strict=True)
    ]
    write_json_atomic(out_dir / "validation.json", report)
    print_report(console, report, names, time.perf_counter() - start)
    console.print(f"validation: {out_dir / 'validation.json'}")
    return out_dir


def print_report(console: Console, report: list, names: list, seconds: float) -> None:
    table = Table(title=f"fresh-seed validation ({seconds:.0f}s)")
    columns = ("trial", *(f"search {n}" for n in names), "validation final_performance", "± std over seeds", "status")
    for column in columns:
        table.add_column(column, justify="right")
    for r in report:
        v = r["validation"]
        final = "" if v["final_performance"] is None else f"{v['final_performance']:.4g}"
        spread = "" if v["final_std_across_seeds"] is None else f"{v['final_std_across_seeds']:.3g}"
        searched = (f"{x:.4g}" for x in r["search_values"].values())
        table.add_row(str(r["trial"]), *searched, final, spread, r["validation_status"])
    console.print(table)
