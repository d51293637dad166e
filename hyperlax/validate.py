"""validate-best: retrain a study's best configuration (or its Pareto front) on fresh seeds.

A search picks the configuration that looked best on its own seeds; some of that is luck. Retraining it
with seeds no trial used says how much of its score holds.
"""

import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hyperlax.envs import make_env
from hyperlax.errors import InputError
from hyperlax.recipes import load_recipe
from hyperlax.results import collect_rows, write_json_atomic
from hyperlax.runner import Runner, RunSettings, Sample
from hyperlax.search import STUDY_FILE, decode_params, json_keys_of, load_stored_study
from hyperlax.sweep import run_plans

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


def validate_best(study_dir: str, storage: str | None, num_seeds: int, console: Console) -> Path:
    if num_seeds <= 0:
        raise InputError(f"--num-seeds must be a positive integer, got {num_seeds}")
    study = load_stored_study(study_dir, storage)
    study_path = Path(study_dir)
    out_dir = study_path / "validation"
    if (out_dir / "validation.json").exists():
        raise InputError(f"{out_dir} already holds a validation; move it away to validate again")
    args = json.loads((study_path / STUDY_FILE).read_text())["args"]
    best = study.best_trials
    if not best:
        raise InputError(f"study '{study.study_name}' has no complete trial to validate yet")
    recipe, spec = load_recipe(args["algo_and_network_config"]), make_env(args["env_config"])
    defaults, json_keys = recipe.defaults(), json_keys_of(study)
    samples = [
        Sample(t.number, values, {**defaults, **values})
        for t in best
        for values in [decode_params(t.params, json_keys)]
    ]
    settings = RunSettings(
        total_timesteps=args["total_timesteps"],
        num_evaluations=args["num_evaluations"],
        num_seeds=num_seeds,
        eval_episodes=args["eval_episodes"],
        seed=args["seed"] + FRESH_SEED_OFFSET,
        hparam_batch_size=len(samples),
    )
    runner = Runner(recipe.algorithm, spec, settings)
    console.print(
        f"validating {len(samples)} trial(s) of study '{study.study_name}' on {num_seeds} fresh seeds -> {out_dir}"
    )
    start = time.perf_counter()
    run_plans(runner, runner.plan(samples), out_dir / "samples", console, "batches")
    rows = {row["sample_id"]: row for row in collect_rows(out_dir / "samples")}
    names = study.metric_names or [f"objective_{i}" for i in range(len(study.directions))]
    report = [
        {
            "trial": t.number,
            "params": samples[i].values,
            "search_values": dict(zip(names, t.values)),
            "search_num_seeds": args["num_seeds"],
            "validation_num_seeds": num_seeds,
            "validation_status": rows[t.number]["status"],
            "validation": {k: rows[t.number].get(k) for k in REPORTED},
        }
        for i, t in enumerate(best)
    ]
    write_json_atomic(out_dir / "validation.json", report)
    table = Table(title=f"fresh-seed validation ({time.perf_counter() - start:.0f}s)")
    for column in (
        "trial",
        *(f"search {n}" for n in names),
        "validation final_performance",
        "± std over seeds",
        "status",
    ):
        table.add_column(column, justify="right")
    for r in report:
        v = r["validation"]
        final = "" if v["final_performance"] is None else f"{v['final_performance']:.4g}"
        spread = "" if v["final_std_across_seeds"] is None else f"{v['final_std_across_seeds']:.3g}"
        table.add_row(
            str(r["trial"]), *(f"{x:.4g}" for x in r["search_values"].values()), final, spread, r["validation_status"]
        )
    console.print(table)
    console.print(f"validation: {out_dir / 'validation.json'}")
    return out_dir
