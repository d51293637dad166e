"""validate-best on a pbt-search directory: did the schedule or the weights do the work?

PBT's winner carries weights that several members trained with several hyperparameter values. Replaying
its lineage's schedule from scratch (the values switched at the recorded env steps, no exploitation) and
training its final values held constant, side by side on seeds PBT never used (the same keys for both, so
seed luck cancels in their difference), says whether the schedule itself is worth keeping: each gets the
IQM of its per-seed final returns with a 95% bootstrap interval, and the schedule the probability of
improving on the constant values.
"""

import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from hyperlax.commands.execute import make_runner
from hyperlax.commands.pbt.search import PBT_FILE
from hyperlax.commands.rundir import env_choice, stored_args
from hyperlax.commands.settings import FRESH_SEED_OFFSET
from hyperlax.engine.pool import SlotPool
from hyperlax.engine.runner import RunSettings, Sample, metrics_row
from hyperlax.errors import InputError
from hyperlax.results.files import read_json, write_json_atomic
from hyperlax.results.intervals import improvement_interval, iqm_interval
from hyperlax.space.recipes import load_recipe


def is_pbt_dir(path) -> bool:
    return (Path(path) / PBT_FILE).is_file()


def replay(runner, schedule: list, final: dict, defaults: dict, ready_interval: int) -> np.ndarray:
    """Train the schedule (member 0, values switched at each interval) and the final values (member 1):
    their eval returns [member, seeds, evaluations, episodes]."""
    members = [schedule[0]["hparams"], final]
    pool = SlotPool.for_runner(runner, 2)
    for m, values in enumerate(members):  # the same keys for both: the difference is the schedule's alone
        pool.add(Sample.from_values(m, values, defaults, key_id=0))
    for k in range(runner.settings.num_evaluations):
        if k and k % ready_interval == 0:
            values = schedule[min(k // ready_interval, len(schedule) - 1)]["hparams"]
            pool.set_hyperparameters(Sample.from_values(0, values, defaults, key_id=0))
        live = pool.step()
    return np.stack([np.stack(s.returns, axis=1) for s in sorted(live, key=lambda s: s.sample.sample_id)])


def validate_pbt(study_dir: str, num_seeds: int, console: Console) -> Path:
    out = Path(study_dir)
    target = out / "validation"
    if (target / "validation.json").exists():
        raise InputError(f"{target} already holds a validation; move it away to validate again")
    if not (out / "best_pbt_schedule.json").is_file():
        raise InputError(f"{out} has no best_pbt_schedule.json yet; let pbt-search finish (or resume it) first")
    stored = stored_args(out / PBT_FILE)
    best = read_json(out / "best_pbt_schedule.json", "validate-best")
    recipe = load_recipe(stored["algo_and_network_config"])
    settings = RunSettings(
        total_timesteps=stored["total_timesteps"], num_evaluations=stored["num_evaluations"], num_seeds=num_seeds,
        eval_episodes=stored["eval_episodes"], seed=stored["seed"] + FRESH_SEED_OFFSET, hparam_batch_size=2,
    )  # fmt: skip
    spec, runner = make_runner(recipe, env_choice(stored, out / PBT_FILE), settings)
    final = best["schedule"][-1]["hparams"]
    console.print(f"replaying member {best['member']}'s schedule beside its final values on {num_seeds} fresh seeds")
    start = time.perf_counter()
    returns = replay(runner, best["schedule"], final, recipe.defaults(), stored["ready_interval"])
    eval_steps = best["env_steps_per_interval"] // stored["ready_interval"] * np.arange(1, settings.num_evaluations + 1)
    rows = [metrics_row(m, returns[m], eval_steps, True, spec.return_range) for m in range(2)]
    finals = [row.get("per_seed_final_returns") or [] for row in rows]
    report = {
        "member": best["member"], "pbt_final_return": best["final_return"], "validation_num_seeds": num_seeds,
        "schedule": {**summary(rows[0], finals[0]), "hparams_by_interval": [e["hparams"] for e in best["schedule"]]},
        "final_hparams_constant": {**summary(rows[1], finals[1]), "hparams": final},
        "schedule_improves_on_constant": improvement_interval(finals[0], finals[1]).as_dict()
        if finals[0] and finals[1] else None,
    }  # fmt: skip
    target.mkdir(exist_ok=True)
    write_json_atomic(target / "validation.json", report)
    print_report(console, report, time.perf_counter() - start)
    console.print(f"validation: {target / 'validation.json'}")
    return target


def summary(row: dict, per_seed: list) -> dict:
    iqm = iqm_interval(per_seed).as_dict() if per_seed else None
    return {"status": str(row["status"]), "final_performance": row.get("final_performance"),
            "per_seed_final_returns": per_seed, "iqm_final_return": iqm}  # fmt: skip


def print_report(console: Console, report: dict, seconds: float) -> None:
    table = Table(title=f"PBT schedule vs final values held constant, fresh seeds ({seconds:.0f}s)")
    for column in ("trained with", "IQM final return", "95% interval", "status"):
        table.add_column(column, justify="right")
    for label, key in (("the winning schedule", "schedule"), ("final values, constant", "final_hparams_constant")):
        entry = report[key]
        iqm = entry["iqm_final_return"] or {}
        low, high = iqm.get("ci_low"), iqm.get("ci_high")
        cells = (f"{iqm['estimate']:.4g}" if iqm else "", f"[{low:.4g}, {high:.4g}]" if low is not None else "")
        table.add_row(label, *cells, entry["status"])
    console.print(table)
    improvement = report["schedule_improves_on_constant"]
    if improvement:
        low, high = improvement["ci_low"], improvement["ci_high"]
        bounds = f" [{low:.2f}, {high:.2f}]" if low is not None else ""
        console.print(f"P(schedule beats constant) = {improvement['estimate']:.2f}{bounds}")
