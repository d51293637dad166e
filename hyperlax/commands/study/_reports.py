"""Reports of a study: trial records, best/Pareto JSON, trials CSV, terminal tables, study-* commands."""

import csv
import io
import json
from pathlib import Path

import optuna
from optuna.trial import TrialState
from rich.console import Console
from rich.table import Table

from hyperlax.commands.options import ExportArgs, ListArgs, QueryArgs
from hyperlax.commands.study._constraints import CONSTRAINT_ATTR, is_constrained, is_feasible
from hyperlax.commands.study._ledger import was_trained
from hyperlax.commands.study._params import decode_params, json_keys_of, ranged_distribution
from hyperlax.commands.study._plots import write_plots
from hyperlax.commands.study._selection import (
    BY_REEVALUATION,
    best_trial,
    objective_names_of,
    reevaluated_records,
    reevaluated_values,
    reevaluation_of,
    selection,
)
from hyperlax.commands.study._storage import DB_ERRORS, first_line_of, load_stored_study, mask_url, open_existing
from hyperlax.commands.study._warm import phases_text
from hyperlax.errors import InputError
from hyperlax.results.files import SUMMARY_COLUMNS, write_json_atomic, write_text_atomic
from hyperlax.space.edges import edge_warning, range_edges

METRIC_KEYS = (*(k for k in SUMMARY_COLUMNS if k not in ("status", "reason")), "wall_seconds", "param_count")


def trial_record(trial, names: list, json_keys, reevaluated: dict | None = None) -> dict:
    """A trial as written to JSON: values by objective, params by dotted key (decoded), metrics, the rest;
    with its re-evaluation record, also the values and metrics it got on fresh seeds (`reevaluated_*`)."""
    attrs = trial.user_attrs
    record = {
        "number": trial.number,
        "state": trial.state.name,
        "values": dict(zip(names, trial.values, strict=True)) if trial.values else None,
        "params": decode_params(trial.params, json_keys),
        "metrics": {k: attrs[k] for k in METRIC_KEYS if k in attrs},
        **{k: v for k, v in attrs.items() if k not in METRIC_KEYS},
    }
    if reevaluated is not None:
        values = reevaluated_values(reevaluated, names)
        record.update(
            reevaluated_values=dict(zip(names, values, strict=True)) if values else None,
            reevaluated_status=reevaluated["status"],
            reevaluated_num_seeds=reevaluated["num_seeds"],
            reevaluated_metrics=reevaluated["metrics"],
            reevaluated_batch_dir=reevaluated["batch_dir"],
        )
    return record


def best_text(study, short: bool = False) -> str:
    """The best value and its trial (`short`: the value alone, for the progress line)."""
    if len(study.directions) > 1:
        front = study.best_trials
        if not front:
            return (
                "no feasible trial yet"
                if study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                else ("no complete trial yet")
            )
        return f"pareto front {len(front)}" + ("" if short else " trials")
    best = best_trial(study)
    if best is None:
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return "no feasible trial yet" if complete else "no complete trial yet"
    return f"best {best.value:.5g}" + ("" if short else f" (trial {best.number})")


def selection_text(study) -> str | None:
    """What a re-evaluation selected, or None when the study has none."""
    reevaluation = reevaluation_of(study)
    selected, selected_by = selection(study)
    if reevaluation is None or selected_by != BY_REEVALUATION:
        return None
    records, names = reevaluated_records(study), objective_names_of(study)
    seeds = f"{reevaluation['num_seeds']} fresh seeds"
    if len(names) > 1:
        return f"re-evaluated on {seeds}: pareto front {', '.join(str(t.number) for t in selected)}"
    [best], [value] = selected, reevaluated_values(records[selected[0].number], names)
    return f"re-evaluated on {seeds}: trial {best.number}, {value:.5g} (study value {best.value:.5g})"


def selected_range_edges(study) -> list:
    """The selected trial's (several objectives: each Pareto trial's) values at an edge of the range it was
    drawn from: hyperlax.space.edges records, each with its trial's number."""
    selected, _ = selection(study)
    json_keys, records = json_keys_of(study), []
    for trial in selected:
        distributions = {k: ranged_distribution(d) for k, d in trial.distributions.items()}
        found = range_edges(decode_params(trial.params, json_keys), distributions)
        records += [{"trial": trial.number, **record} for record in found]
    return records


def range_edge_lines(study, records: list) -> list:
    """One warning per `selected_range_edges` record."""
    pareto = len(study.directions) > 1
    return [edge_warning(r, f"Pareto trial {r['trial']}'s" if pareto else "best") for r in records]


def print_range_edges(console: Console, study) -> None:
    for line in range_edge_lines(study, selected_range_edges(study)):
        console.print(line, markup=False, highlight=False, soft_wrap=True)  # one line each, however long


def best_summary(study) -> dict:
    """Single objective: the best trial. Several: every trial of the Pareto front. After a re-evaluation,
    chosen by re-evaluated values (`selected_by`), each with both its study and its re-evaluated values."""
    names, json_keys, records = objective_names_of(study), json_keys_of(study), reevaluated_records(study)
    selected, selected_by = selection(study)
    summary = {
        "study_name": study.study_name,
        "objective_names": names,
        "directions": [d.name.lower() for d in study.directions],
        "finished_trials": sum(map(was_trained, study.get_trials(deepcopy=False))),
        "selected_by": selected_by,
        "range_edges": selected_range_edges(study),  # values within 5% of a bound of their range: widen it there
    }
    reevaluation = reevaluation_of(study)
    if reevaluation is not None:
        summary["reevaluation"] = {
            **{k: reevaluation[k] for k in ("top", "num_seeds", "seed")},
            "trials": sorted(records),
        }
    records_of = [trial_record(t, names, json_keys, records.get(t.number)) for t in selected]
    if len(study.directions) > 1:
        if selected_by == BY_REEVALUATION:
            summary["study_pareto_front"] = sorted(t.number for t in study.best_trials)
        return {**summary, "pareto_front": records_of}
    if selected_by == BY_REEVALUATION:
        summary["study_best_trial"] = best_trial(study).number
    return {**summary, "best_trial": records_of[0] if records_of else None}


def csv_cell(value):
    return json.dumps(value) if isinstance(value, (list, dict)) else "" if value is None else value


def trials_csv(study) -> str:
    """All trials, one row each, with the columns of study.trials_dataframe(); params decoded, lists as JSON."""
    names, json_keys = objective_names_of(study), json_keys_of(study)
    trials = study.get_trials(deepcopy=False)
    params = sorted({k for t in trials for k in t.params})
    attrs = sorted({k for t in trials for k in t.user_attrs})
    records = reevaluated_records(study)
    constrained = is_constrained(study)  # then a `feasible` column: True, False, or empty (failed, no record)
    # After a re-evaluation: reevaluated_status, reevaluated_num_seeds and reevaluated_<metric> columns.
    reevaluated = ["status", "num_seeds", *METRIC_KEYS] if records else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["number", *(f"values_{n}" for n in names), "datetime_start", "datetime_complete", "duration_seconds"]
        + [*(f"params_{k}" for k in params), *(f"user_attrs_{k}" for k in attrs)]
        + [*(f"reevaluated_{k}" for k in reevaluated), "state"]
        + (["feasible"] if constrained else [])
    )
    for t in trials:
        start, end = t.datetime_start, t.datetime_complete
        duration = (end - start).total_seconds() if start and end else None
        decoded = decode_params(t.params, json_keys)
        record = records.get(t.number, {})
        flat = {**record.get("metrics", {}), **{k: record.get(k) for k in ("status", "num_seeds")}}
        cells = [t.number, *(t.values or [None] * len(names)), start, end, duration]
        cells += [*(decoded.get(k) for k in params), *(t.user_attrs.get(k) for k in attrs)]
        cells += [*(flat.get(k) for k in reevaluated), t.state.name]
        cells += [is_feasible(t) if CONSTRAINT_ATTR in t.user_attrs else None] if constrained else []
        writer.writerow([csv_cell(v) for v in cells])
    return out.getvalue()


def write_outputs(study, study_dir: Path) -> list:
    """best_optuna_params.json or pareto_front_params.json, trials.csv and analysis_plots/*.html."""
    summary = best_summary(study)
    best_file = study_dir / ("pareto_front_params.json" if "pareto_front" in summary else "best_optuna_params.json")
    write_json_atomic(best_file, summary)
    write_text_atomic(study_dir / "trials.csv", trials_csv(study))
    return [best_file, study_dir / "trials.csv", *write_plots(study, study_dir / "analysis_plots")]


def state_counts(study) -> dict:
    trials = study.get_trials(deepcopy=False)
    counts = {state.name.lower(): sum(t.state == state for t in trials) for state in TrialState}
    counts["finished"] = sum(map(was_trained, trials))
    counts["failed_before_training"] = sum(t.state == TrialState.FAIL and not was_trained(t) for t in trials)
    return counts


def print_summary(console: Console, study, n_trials: int, wall_seconds: float, env_steps_per_second) -> None:
    counts = state_counts(study)
    title = f"study '{study.study_name}': {counts['finished']} of {n_trials} trials finished"
    table = Table(title=title, show_header=False)
    failed = counts["fail"] - counts["failed_before_training"]
    rows = [
        ("result", best_text(study)),
        ("complete / pruned / failed", f"{counts['complete']} / {counts['pruned']} / {failed}"),
        ("not trained (interrupted, budget reached, error)", str(counts["failed_before_training"])),
        ("wall time", f"{wall_seconds:.1f}s"),
        ("env-steps/s (this worker)", f"{env_steps_per_second:,.0f}" if env_steps_per_second else "-"),
    ]
    selected = selection_text(study)
    if selected is not None:
        rows.insert(1, ("selected", selected))
    for row in rows:
        table.add_row(*row)
    console.print(table)
    params = best_params_table(study)
    if params is not None:
        console.print(params)
    print_range_edges(console, study)


def best_params_table(study) -> Table | None:
    """The selected trial's parameters (several objectives: each Pareto trial's, side by side)."""
    selected, _ = selection(study)
    if not selected:
        return None
    json_keys = json_keys_of(study)
    table = Table(title="best parameters" if len(selected) == 1 else "Pareto front parameters")
    table.add_column("parameter")
    for trial in selected:
        table.add_column(f"trial {trial.number}", overflow="fold")
    decoded = [decode_params(t.params, json_keys) for t in selected]
    for key in sorted({k for d in decoded for k in d}):
        table.add_row(key, *(f"{v:.5g}" if isinstance(v, float) else str(v) for v in (d.get(key) for d in decoded)))
    return table


def feasibility_text(study) -> str:
    bounds = study.user_attrs["hyperlax"]["constraints"]
    recorded = [t for t in study.get_trials(deepcopy=False) if CONSTRAINT_ATTR in t.user_attrs]
    feasible = sum(map(is_feasible, recorded))
    return f"constraints {', '.join(bounds)}: {feasible} feasible, {len(recorded) - feasible} infeasible trials"


def study_status(args: QueryArgs, console: Console) -> None:
    study = load_stored_study(args.study_dir, args.storage)
    counts = state_counts(study)
    table = Table(title=f"study '{study.study_name}'")
    table.add_column("", justify="left")
    table.add_column("trials", justify="right")
    for key in ("finished", "complete", "pruned", "fail", "failed_before_training", "running", "waiting"):
        table.add_row(key.replace("_", " "), str(counts[key]))
    console.print(table)
    console.print(best_text(study))
    if is_constrained(study):
        console.print(feasibility_text(study))
    for line in phases_text(study):
        console.print(line)
    selected = selection_text(study)
    if selected is not None:
        console.print(f"selected: {selected}")


def study_export(args: ExportArgs) -> str:
    study = load_stored_study(args.study_dir, args.storage)
    if (args.format or "csv") == "csv":
        return trials_csv(study)
    names, json_keys, reevaluated = objective_names_of(study), json_keys_of(study), reevaluated_records(study)
    trials = study.get_trials(deepcopy=False)
    records = [trial_record(t, names, json_keys, reevaluated.get(t.number)) for t in trials]
    return json.dumps(records, indent=2, default=str)


def study_list(args: ListArgs, console: Console) -> None:
    """The studies in a storage: name, directions, trials by state, best value (or Pareto front size)."""
    storage = open_existing(args.storage)
    try:
        studies = storage.get_all_studies()
        table = Table(title=f"studies in {mask_url(args.storage)}")
        for column in ("study", "directions", "complete", "pruned", "fail", "running", "waiting", "best"):
            table.add_column(column, justify="left" if column in ("study", "directions", "best") else "right")
        for frozen in studies:
            trials = storage.get_all_trials(frozen._study_id, deepcopy=False)
            counts = {state: sum(t.state == state for t in trials) for state in TrialState}
            directions = " ".join(d.name.lower() for d in frozen.directions)
            study = optuna.load_study(study_name=frozen.study_name, storage=storage)
            states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING)
            table.add_row(frozen.study_name, directions, *(str(counts[s]) for s in states), best_text(study))
    except DB_ERRORS as exc:
        raise InputError(f"cannot read storage {mask_url(args.storage)}: {first_line_of(exc, args.storage)}") from None
    console.print(table if studies else f"{mask_url(args.storage)} holds no study")
