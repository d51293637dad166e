"""validate-best: retrain a study's chosen configuration (or its Pareto front) beside the recipe's default on
fresh seeds, and say how much better it is, with intervals.

A search picks the configuration that looked best on its own seeds; some of that is luck. The chosen
trials (by re-evaluated values when the study re-evaluated its top trials, else by the study's) and the
recipe's default configuration train in one run on the same seeds (seed s of each starts from the same
PRNG key), which no trial and no re-evaluation used, so a seed's luck is shared by all of them. Each gets
the IQM of its per-seed final returns with a 95% bootstrap interval, and each trial the probability that
one of its seeds beats one of the default's (the rliable protocol, `hyperlax.results.intervals`).
"""

import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from hyperlax.commands.agents import AgentSaving
from hyperlax.commands.execute import make_runner, run_plans
from hyperlax.commands.options import ValidateArgs, check_values, with_defaults
from hyperlax.commands.rundir import EnvChoice, env_choice, stored_args
from hyperlax.commands.settings import FRESH_SEED_OFFSET
from hyperlax.commands.study._plots import curves_figure, write_page
from hyperlax.commands.study._reevaluate import SHARED_KEYS, samples_of
from hyperlax.commands.study._selection import objective_names_of, reevaluated_records, reevaluated_values, selection
from hyperlax.commands.study._storage import STUDY_FILE, load_stored_study
from hyperlax.commands.study._warm import with_inherited
from hyperlax.engine.runner import RunSettings, Sample
from hyperlax.envs.registry import env_dir_name
from hyperlax.errors import InputError
from hyperlax.results.files import collect_rows, write_json_atomic
from hyperlax.results.intervals import CONFIDENCE, RESAMPLES, improvement_interval, iqm_interval
from hyperlax.space.recipes import load_recipe
from hyperlax.space.spec import apply_space

# The sample id of the recipe's default configuration; no trial has it. Every validated configuration trains
# with the keys of SHARED_KEYS: seed s of the default and of a trial start from the same key.
DEFAULT_ID = 2**31 - 1
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


def validate_best(args: ValidateArgs, console: Console) -> Path:
    check_values(args)
    num_seeds, save_agents = with_defaults(args).num_seeds, with_defaults(args).save_agents
    study_path = Path(args.study_dir)
    stored = stored_args(study_path / STUDY_FILE)
    env, out_dir = validation_target(env_choice(stored, study_path / STUDY_FILE), args.env_config, study_path)
    env_config = env.reference
    if (out_dir / "validation.json").exists():
        raise InputError(f"{out_dir} already holds a validation; move it away to validate again")
    study = load_stored_study(args.study_dir, args.storage)
    chosen, selected_by = selection(study)
    if not chosen:
        raise InputError(f"study '{study.study_name}' has no complete trial to validate yet")
    # The study's space and fixed values (--search-space) applied as the study applied them.
    recipe = apply_space(load_recipe(stored["algo_and_network_config"]), stored.get("search_space"))
    defaults, samples = recipe.defaults(), samples_of(study, chosen, with_inherited(recipe, study))
    baseline = Sample.from_values(
        DEFAULT_ID, {k: defaults[k] for k in sorted(recipe.distributions)}, defaults, SHARED_KEYS
    )
    settings = RunSettings(
        total_timesteps=stored["total_timesteps"],
        num_evaluations=stored["num_evaluations"],
        num_seeds=num_seeds,
        eval_episodes=stored["eval_episodes"],
        seed=stored["seed"] + FRESH_SEED_OFFSET,
        hparam_batch_size=len(samples) + 1,
        seed_aggregate=stored.get("seed_aggregate") or "mean",
    )
    _, runner = make_runner(recipe, env, settings)
    console.print(
        f"validating {len(samples)} trial(s) of study '{study.study_name}' and the recipe's default "
        f"configuration on {num_seeds} fresh seeds{'' if env_config == stored['env_config'] else ' of ' + env_config}"
        f" -> {out_dir}"
    )
    start = time.perf_counter()
    # --save-agents best: the validated trials' agents; all: the default's too
    saving = AgentSaving(save_agents, recipe, runner, wanted=lambda sample, row: sample.sample_id != DEFAULT_ID)
    run_plans(runner, runner.plan([*samples, baseline]), out_dir / "samples", console, "batches", saving)
    rows = {row["sample_id"]: row for row in collect_rows(out_dir / "samples")}
    # One entry per validated trial, as before the baseline existed; each carries the baseline it is compared to.
    shared = {
        "selected_by": selected_by,
        "search_num_seeds": stored["num_seeds"],
        "validation_num_seeds": num_seeds,
        "validation_seed": settings.seed,
        **({"validation_env_config": env_config} if env_config != stored["env_config"] else {}),
        "intervals": f"{CONFIDENCE:.0%} percentile bootstrap over seeds, {RESAMPLES} resamples",
        "baseline": {"configuration": "recipe default", "params": baseline.values, **scores(rows[DEFAULT_ID])},
    }
    report = [{**entry, **shared} for entry in trial_reports(study, chosen, samples, rows, defaults)]
    write_json_atomic(out_dir / "validation.json", report)
    write_curves(out_dir, study.study_name, chosen)
    print_report(console, report, objective_names_of(study), time.perf_counter() - start)
    console.print(f"validation: {out_dir / 'validation.json'}, learning curves: {out_dir / 'curves.html'}")
    return out_dir


def spaces_of(spec) -> str:
    kind = f"{spec.action_dim} discrete actions" if spec.discrete else f"continuous actions of size {spec.action_dim}"
    return f"observations of shape {tuple(spec.obs_shape)}, {kind}"


def validation_target(study_env: EnvChoice, given: str | None, study_dir: Path) -> tuple[EnvChoice, Path]:
    """The env to validate on and the directory: the study's and validation/, or --env-config and
    validation_<env>/ when its observation and action spaces are the study env's (a policy of the study's
    shapes can act in it); a mismatch is a one-line error."""
    if given is None or given == study_env.reference:
        return study_env, study_dir / "validation"
    other = EnvChoice(given)
    study_spaces, given_spaces = spaces_of(study_env.make()), spaces_of(other.make())
    if study_spaces != given_spaces:
        raise InputError(
            f"validate-best --env-config {given}: its {given_spaces} differ from the study's {study_env.reference} "
            f"({study_spaces}); give an env with the same observation and action spaces"
        )
    return other, study_dir / f"validation_{env_dir_name(given)}"


def scores(row: dict) -> dict:
    """A configuration's validation: status, the reported metrics and the IQM of its per-seed final returns."""
    per_seed = row.get("per_seed_final_returns")
    return {
        "validation_status": row["status"],
        "validation": {k: row.get(k) for k in REPORTED},
        "iqm_final_return": iqm_interval(per_seed).as_dict() if per_seed else None,
    }


def trial_reports(study, chosen: list, samples: list, rows: dict, defaults: dict) -> list:
    """Each chosen trial: its params (and whether they are the defaults), study and re-evaluated values, its
    validation and the probability that it beats the default on a fresh seed."""
    names, records = objective_names_of(study), reevaluated_records(study)
    baseline_seeds = rows[DEFAULT_ID].get("per_seed_final_returns")
    reports = []
    for t, sample in zip(chosen, samples, strict=True):
        row, record = rows[t.number], records.get(t.number)
        per_seed = row.get("per_seed_final_returns")
        improvement = improvement_interval(per_seed, baseline_seeds) if per_seed and baseline_seeds else None
        reevaluated = record and reevaluated_values(record, names)
        reports.append(
            {
                "trial": t.number,
                "params": sample.values,
                "same_as_default": all(defaults.get(k) == v for k, v in sample.values.items()),
                "search_values": dict(zip(names, t.values, strict=True)),
                **({"reevaluated_values": dict(zip(names, reevaluated, strict=True))} if reevaluated else {}),
                **scores(row),
                "probability_of_improvement": improvement.as_dict() if improvement else None,
            }
        )
    return reports


def write_curves(out_dir: Path, study_name: str, chosen: list) -> None:
    """curves.html: each configuration's IQM learning curve over the fresh seeds, in its 95% band."""
    curves = {}
    for curves_file in sorted((out_dir / "samples").glob("*/curves.npz")):
        data = np.load(curves_file)
        for sample_id, returns in zip(data["sample_ids"], data["returns"], strict=True):
            label = "recipe default" if sample_id == DEFAULT_ID else f"trial {sample_id}"
            curves[int(sample_id)] = (label, (data["eval_steps"], returns.mean(axis=-1)))
    order = [t.number for t in chosen] + [DEFAULT_ID]
    figure = curves_figure(dict(curves[i] for i in order), f"{study_name}: validation on fresh seeds")
    write_page(
        out_dir / "curves.html", f"{study_name}: validation", figure.to_html(full_html=False, include_plotlyjs=False)
    )


def interval_text(interval: dict | None, digits: str = ".4g") -> str:
    if interval is None:
        return "-"
    if interval["ci_low"] is None:
        return f"{interval['estimate']:{digits}} (one seed)"
    return f"{interval['estimate']:{digits}} [{interval['ci_low']:{digits}}, {interval['ci_high']:{digits}}]"


def print_report(console: Console, report: list, names: list, seconds: float) -> None:
    table = Table(title=f"fresh-seed validation, {report[0]['validation_num_seeds']} seeds ({seconds:.0f}s)")
    reevaluated = any("reevaluated_values" in r for r in report)
    columns = ["configuration", *(f"search {n}" for n in names)] + [f"re-evaluated {n}" for n in names] * reevaluated
    columns += ["IQM final return [95% CI]", "P(better than default) [95% CI]", "status"]
    for column in columns:
        table.add_column(column, justify="right")
    for r in report:
        cells = [f"trial {r['trial']}", *(f"{x:.4g}" for x in r["search_values"].values())]
        if reevaluated:
            values = r.get("reevaluated_values")
            cells += [f"{values[n]:.4g}" if values else "-" for n in names]
        cells += [interval_text(r["iqm_final_return"]), interval_text(r["probability_of_improvement"], ".2f")]
        table.add_row(*cells, r["validation_status"])
    base = report[0]["baseline"]
    blank = [""] * (len(names) * (1 + reevaluated))
    table.add_row("recipe default", *blank, interval_text(base["iqm_final_return"]), "", base["validation_status"])
    console.print(table)
    for r in report:
        if r["same_as_default"]:
            console.print(f"trial {r['trial']} is the recipe's default configuration: no parameter differs")
