"""Reports at any time, from storage: study-plots (every output of a study again) and study-compare (studies
side by side: a table and their optimization histories on one plotly page)."""

import html
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hyperlax.commands.options import CompareArgs, QueryArgs
from hyperlax.commands.options.study import COMPARE_FILE
from hyperlax.commands.study._ledger import was_trained
from hyperlax.commands.study._params import decode_params, json_keys_of
from hyperlax.commands.study._plots import write_page
from hyperlax.commands.study._reports import print_range_edges, write_outputs
from hyperlax.commands.study._selection import objective_names_of, selection
from hyperlax.commands.study._storage import load_stored_study
from hyperlax.errors import InputError


def study_plots(args: QueryArgs, console: Console) -> None:
    """Every output of a study regenerated from its storage: best params, trials.csv, analysis_plots/; then a
    warning per selected value at an edge of its range."""
    study = load_stored_study(args.study_dir, args.storage)
    study_dir = Path(args.study_dir)
    files = write_outputs(study, study_dir)
    console.print(f"study '{study.study_name}': {', '.join(str(f.relative_to(study_dir)) for f in files)}")
    print_range_edges(console, study)


def wall_seconds(trials: list) -> float | None:
    """From the first trial's start to the last one's end."""
    starts = [t.datetime_start for t in trials if t.datetime_start]
    ends = [t.datetime_complete for t in trials if t.datetime_complete]
    return (max(ends) - min(starts)).total_seconds() if starts and ends else None


def comparison_column(study) -> dict:
    """What study-compare shows of one study: counts, its best (or first Pareto) trial's values and params."""
    trials = study.get_trials(deepcopy=False)
    selected, _ = selection(study)
    best = selected[0] if selected else None
    names = objective_names_of(study)
    wall = wall_seconds(trials)
    return {
        "trials": str(sum(map(was_trained, trials))),
        "best value": ", ".join(f"{n} {v:.5g}" for n, v in zip(names, best.values, strict=True)) if best else "-",
        "best trial": str(best.number) if best else "-",
        "wall time": f"{wall:.1f}s" if wall is not None else "-",
        "params": decode_params(best.params, json_keys_of(study)) if best else {},
    }


def cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.5g}"
    return "-" if value is None else str(value)


def comparison_table(labels: list, columns: list) -> Table:
    """Rows: counts, best value, wall time, then every parameter; one column per study."""
    table = Table(title="studies compared (best trial of each)")
    table.add_column("", overflow="fold")
    for label in labels:
        table.add_column(label, overflow="fold")
    for key in ("trials", "best value", "best trial", "wall time"):
        table.add_row(key, *(c[key] for c in columns))
    for key in sorted({k for c in columns for k in c["params"]}):
        table.add_row(key, *(cell(c["params"].get(key)) for c in columns))
    return table


def histories_figure(labels: list, studies: list):
    """Each study's first objective per finished trial and its best so far, against trial number."""
    import plotly.graph_objects as go
    from optuna.study import StudyDirection

    figure = go.Figure()
    for label, study in zip(labels, studies, strict=True):
        done = [t for t in study.get_trials(deepcopy=False) if t.values is not None]
        done.sort(key=lambda t: t.number)
        better = max if study.directions[0] == StudyDirection.MAXIMIZE else min
        values = [t.values[0] for t in done]
        best = [better(values[: i + 1]) for i in range(len(values))]
        numbers = [t.number for t in done]
        figure.add_trace(go.Scatter(x=numbers, y=values, mode="markers", name=f"{label}: trials", opacity=0.5))
        figure.add_trace(go.Scatter(x=numbers, y=best, mode="lines", name=f"{label}: best so far"))
    name = objective_names_of(studies[0])[0]
    figure.update_layout(title="optimization histories", xaxis_title="trial", yaxis_title=name)
    return figure


def study_compare(args: CompareArgs, console: Console) -> Path:
    dirs = list(args.study_dirs or [])
    if len(dirs) < 2:
        raise InputError(f"study-compare needs two or more study directories, got {len(dirs)}")
    output = Path(args.output or COMPARE_FILE)
    if output.is_dir() or not output.parent.is_dir():
        raise InputError(f"--output {output}: give an HTML file in an existing directory")
    studies = [load_stored_study(d, None) for d in dirs]
    labels = [f"{s.study_name} ({d})" for s, d in zip(studies, dirs, strict=True)]
    console.print(comparison_table(labels, [comparison_column(s) for s in studies]))
    figure = histories_figure(labels, studies)
    body = figure.to_html(full_html=False, include_plotlyjs=False)
    write_page(output, "studies compared", f"<h3>{html.escape(', '.join(labels))}</h3>\n{body}")
    console.print(f"optimization histories: {output}")
    return output
