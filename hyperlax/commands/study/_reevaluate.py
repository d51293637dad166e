"""Top-k re-evaluation at the end of a study (--reevaluate-top K --reevaluate-seeds S).

With many trials and few seeds, the best study value partly picks luck (the winner's curse). Once the
budget is spent, the K best trials (several objectives: up to K of the Pareto front) are trained again on
S fresh seeds, as one batch through the runner, and the study hands over the best by those values
(`_selection`). The keys come from the study's --seed plus REEVALUATION_SEED_OFFSET, a stream no trial used
and that validate-best (FRESH_SEED_OFFSET) does not use either; every re-evaluated trial trains on the same
S seeds (key id SHARED_KEYS), so the K are compared on equal luck.

Which worker re-evaluates: the one that told the study's last trained trial (latest completion time, then
highest number), as every worker reads from the shared storage; or any worker started with --resume-from,
which is how a re-evaluation interrupted, or left by a worker that died, is finished. Re-evaluating twice
costs time, never correctness: the keys depend only on (seed, seed index), so two workers would store
the same values.
"""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hyperlax.commands.agents import AgentSaving
from hyperlax.commands.execute import make_runner, run_plans
from hyperlax.commands.rundir import EnvChoice
from hyperlax.commands.signals import interrupted
from hyperlax.commands.study._agents import link_artifacts
from hyperlax.commands.study._ledger import was_trained
from hyperlax.commands.study._params import decode_params, json_keys_of
from hyperlax.commands.study._reports import METRIC_KEYS, trial_record
from hyperlax.commands.study._selection import (
    REEVALUATION_ATTR,
    candidates,
    objective_names_of,
    reevaluated_values,
    selection,
)
from hyperlax.engine.runner import RunSettings, Sample
from hyperlax.results.files import claim_numbered_dir, collect_rows, write_json_atomic

# Added to the study's --seed for the re-evaluation's keys; validate-best adds 1_000_003.
REEVALUATION_SEED_OFFSET = 2_000_003
REEVALUATION_DIR = "reevaluation"
# Every re-evaluated (and validated) configuration trains with the keys of this id: the same fresh seeds for
# all, so a seed's luck is common to the configurations compared and cancels in their comparison.
SHARED_KEYS = 0


def last_teller(trials: list) -> str | None:
    """The worker that told the last trained trial (its `worker` user attr), or None."""
    told = [t for t in trials if was_trained(t) and t.datetime_complete is not None]
    return max(told, key=lambda t: (t.datetime_complete, t.number)).user_attrs.get("worker") if told else None


def stored_records(study, num_seeds: int, seed: int) -> dict:
    """Trial number -> record of an earlier re-evaluation with the same seeds (a resume reuses them)."""
    stored = study.user_attrs.get(REEVALUATION_ATTR) or {}
    if stored.get("num_seeds") != num_seeds or stored.get("seed") != seed:
        return {}
    return {int(number): record for number, record in stored.get("trials", {}).items()}


@dataclass(frozen=True)
class Reevaluation:
    """--reevaluate-top and --reevaluate-seeds of a study on --env-config with --seed; `resumed`: the worker
    was started with --resume-from, so it finishes a re-evaluation whoever began it."""

    top: int
    num_seeds: int
    study_seed: int
    env: EnvChoice
    resumed: bool = False
    save_agents: str = "none"  # --save-agents: best or all keep every re-evaluated trial's agents


def reevaluate(
    study, recipe, asked: Reevaluation, settings: RunSettings, study_dir: Path, console: Console, worker: str
):
    """Re-evaluate the study's top trials if this worker is the one to (see the module docstring)."""
    top, num_seeds, seed = asked.top, asked.num_seeds, asked.study_seed + REEVALUATION_SEED_OFFSET
    if not top:
        return
    trials = candidates(study, top)
    if not trials:
        console.print("re-evaluation: the study has no complete trial")
        return
    stored = stored_records(study, num_seeds, seed)
    missing = [t for t in trials if t.number not in stored]
    designated = last_teller(study.get_trials(deepcopy=False))
    if missing and not asked.resumed and designated not in (None, worker):
        console.print(f"re-evaluation of the top {top} trials left to worker {designated} (it told the last trial)")
        return
    attr = {"top": top, "num_seeds": num_seeds, "seed": seed, "worker": worker}
    if missing:
        study.set_user_attr(REEVALUATION_ATTR, {**attr, "status": "training", "trials": stored})
        where = study_dir / REEVALUATION_DIR
        console.print(f"re-evaluating {len(missing)} trial(s) on {num_seeds} fresh seeds -> {where}")
        fresh = dataclasses.replace(settings, num_seeds=num_seeds, seed=seed, hparam_batch_size=len(missing))
        try:
            samples = samples_of(study, missing, recipe)
            trained = train(samples, recipe, asked.env, fresh, study_dir, console, asked.save_agents)
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM
            raise interrupted(exc, "every trial is kept; the re-evaluation stopped", study_dir, ": finish it") from None
        stored.update(with_param_counts(trained, missing))
        if asked.save_agents != "none":  # the re-evaluated trials are finished: their agents link to the study
            for batch_dir in sorted({record["batch_dir"] for record in trained.values()}):
                link_artifacts(study, study_dir, study_dir / batch_dir)
    trials_attr = {str(t.number): stored[t.number] for t in trials}
    study.set_user_attr(REEVALUATION_ATTR, {**attr, "status": "done", "trials": trials_attr})
    write_report(study, trials, study_dir / REEVALUATION_DIR / "reevaluation.json", console)


def with_param_counts(records: dict, trials: list) -> dict:
    """The records with each trial's parameter count: it depends on the structure alone, not on the seeds, so
    the trial's own count is the re-evaluation's too (a param_count objective then has a re-evaluated value)."""
    counts = {t.number: t.user_attrs.get("param_count") for t in trials}
    for number, record in records.items():
        if counts.get(number) is not None and record.get("status") == "ok":
            record["metrics"].setdefault("param_count", counts[number])
    return records


def samples_of(study, trials: list, recipe) -> list:
    """The trials as runner samples (id: trial number), their params decoded over the recipe's defaults, all
    with the keys of SHARED_KEYS."""
    json_keys, defaults = json_keys_of(study), recipe.defaults()
    return [
        Sample.from_values(t.number, values, defaults, key_id=SHARED_KEYS)
        for t in trials
        for values in [decode_params(t.params, json_keys)]
    ]


def train(
    samples: list, recipe, env: EnvChoice, settings: RunSettings, study_dir: Path, console: Console, save="none"
) -> dict:
    """Train the samples as one batch (one per structure) in a new reevaluation/round_NNNN; their records.
    With `save` best or all, every re-evaluated trial's agent is saved and linked to the study."""
    _, runner = make_runner(recipe, env, settings)
    round_dir = claim_numbered_dir(study_dir / REEVALUATION_DIR, "round")
    saving = AgentSaving("all" if save != "none" else "none", recipe, runner)
    run_plans(runner, runner.plan(samples), round_dir / "samples", console, "re-evaluation batches", saving)
    records = {}
    for row in collect_rows(round_dir / "samples"):
        records[row["sample_id"]] = {
            "status": str(row["status"]),
            "reason": row.get("reason", ""),
            "num_seeds": settings.num_seeds,
            "batch_dir": str((round_dir / "samples" / row["batch_dir"]).relative_to(study_dir)),
            "metrics": {k: row[k] for k in METRIC_KEYS if row.get(k) is not None},
        }
    return records


def write_report(study, trials: list, path: Path, console: Console) -> None:
    """reevaluation.json (each re-evaluated trial with both values, and the selection) and a table."""
    names, json_keys = objective_names_of(study), json_keys_of(study)
    records = {int(n): r for n, r in study.user_attrs[REEVALUATION_ATTR]["trials"].items()}
    selected, selected_by = selection(study)
    chosen = {t.number for t in selected}
    entries = [trial_record(t, names, json_keys, records[t.number]) for t in trials]
    stored = study.user_attrs[REEVALUATION_ATTR]
    report = {k: stored[k] for k in ("top", "num_seeds", "seed", "worker")}
    write_json_atomic(path, {**report, "selected_by": selected_by, "selected": sorted(chosen), "trials": entries})
    table = Table(title=f"re-evaluation on {stored['num_seeds']} fresh seeds (selected by {selected_by})")
    for column in ("trial", *(f"study {n}" for n in names), *(f"re-evaluated {n}" for n in names), "status", ""):
        table.add_column(column, justify="right")
    for t in trials:
        values = reevaluated_values(records[t.number], names) or [None] * len(names)
        cells = [f"{v:.4g}" if v is not None else "-" for v in (*t.values, *values)]
        mark = "selected" if t.number in chosen else ""
        table.add_row(str(t.number), *cells, records[t.number]["status"], mark)
    console.print(table)
