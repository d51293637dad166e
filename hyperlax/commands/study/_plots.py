"""Plotly pages of a study, sharing one plotly.min.js per directory: Optuna's plots (one page each, one figure
per objective), and validate-best's learning curves with interval bands."""

import html
import logging
import warnings
from pathlib import Path

import numpy as np
import optuna

from hyperlax.results.files import write_text_atomic
from hyperlax.results.intervals import iqm_interval

log = logging.getLogger(__name__)


def figure_makers(study) -> dict:
    """Page name -> a function making that page's figures."""
    import optuna.visualization as vis
    from optuna.importance import PedAnovaImportanceEvaluator  # needs no scikit-learn, unlike fANOVA

    names = study.metric_names or [f"objective_{i}" for i in range(len(study.directions))]
    single = len(names) == 1

    def target(i: int, sign: float = 1.0):  # None: the study's own value and direction (one objective)
        return None if single else lambda t: sign * t.values[i]

    def lower_is_better(i: int):  # PED-ANOVA ranks a given target low-is-better
        return target(i, -1.0 if study.directions[i] == optuna.study.StudyDirection.MAXIMIZE else 1.0)

    def importances(i: int):
        evaluator = PedAnovaImportanceEvaluator()
        return vis.plot_param_importances(study, evaluator=evaluator, target=lower_is_better(i), target_name=names[i])

    plots = {
        "optimization_history": lambda i: vis.plot_optimization_history(study, target=target(i), target_name=names[i]),
        "param_importances": importances,
        "parallel_coordinate": lambda i: vis.plot_parallel_coordinate(study, target=target(i), target_name=names[i]),
        "slice": lambda i: vis.plot_slice(study, target=target(i), target_name=names[i]),
        "contour": lambda i: vis.plot_contour(study, target=target(i), target_name=names[i]),
    }
    pages = {name: lambda plot=plot: [plot(i) for i in range(len(names))] for name, plot in plots.items()}
    if single:  # every trial's eval return at each evaluation (Optuna's intermediate values)
        pages["intermediate_values"] = lambda: [vis.plot_intermediate_values(study)]
    else:
        pages["pareto_front"] = lambda: [vis.plot_pareto_front(study, target_names=names)]
    return pages


def write_page(path: Path, title: str, body: str) -> None:
    """An HTML page of plotly figures (`body`: their divs) that loads plotly.min.js from its own directory,
    written there once for every page beside it."""
    import plotly.offline

    path.parent.mkdir(parents=True, exist_ok=True)
    if not (path.parent / "plotly.min.js").is_file():
        write_text_atomic(path.parent / "plotly.min.js", plotly.offline.get_plotlyjs())
    write_text_atomic(
        path,
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<script src="plotly.min.js"></script></head>\n<body>\n{body}\n</body></html>\n',
    )


def write_plots(study, plots_dir: Path) -> list:
    written = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        # The targets given to PED-ANOVA are already lower-is-better.
        warnings.filterwarnings("ignore", "PedAnovaImportanceEvaluator computes", UserWarning)
        for name, figures in figure_makers(study).items():
            try:
                body = "\n".join(f.to_html(full_html=False, include_plotlyjs=False) for f in figures())
            except Exception as exc:  # e.g. too few complete trials for this plot
                log.warning("%s.html: %s", name, exc)
                body = f"<p>{html.escape(name)}: not available for this study ({html.escape(str(exc))})</p>"
            path = plots_dir / f"{name}.html"
            write_page(path, f"{study.study_name}: {name}", body)
            written.append(path)
    return written


def iqm_curve(per_seed: np.ndarray) -> tuple:
    """IQM over seeds at each evaluation and its 95% bootstrap band (None where a seed has no value)."""
    points = [iqm_interval(column) if np.isfinite(column).all() else None for column in per_seed.T]
    return tuple([None if p is None else getattr(p, k) for p in points] for k in ("estimate", "low", "high"))


def curves_figure(curves: dict, title: str):
    """Learning curves: for each label, (eval steps, per-seed curves [seeds, evaluations]) -> the IQM over
    seeds as a line in a band of its 95% bootstrap interval, as rliable draws sample-efficiency curves."""
    import plotly.graph_objects as go
    from plotly.colors import DEFAULT_PLOTLY_COLORS

    figure = go.Figure()
    for i, (label, (steps, per_seed)) in enumerate(curves.items()):
        color = DEFAULT_PLOTLY_COLORS[i % len(DEFAULT_PLOTLY_COLORS)]
        estimate, low, high = iqm_curve(per_seed)
        steps = [int(t) for t in steps]
        band = dict(mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip", legendgroup=label)
        figure.add_trace(go.Scatter(x=steps, y=high, **band))
        fill = color.replace("rgb", "rgba").replace(")", ", 0.2)")
        figure.add_trace(go.Scatter(x=steps, y=low, fill="tonexty", fillcolor=fill, **band))
        figure.add_trace(go.Scatter(x=steps, y=estimate, mode="lines+markers", name=label, line=dict(color=color),
                                    legendgroup=label))  # fmt: skip
    figure.update_layout(title=title, xaxis_title="env steps", yaxis_title="eval return (IQM over seeds, 95% CI)")
    return figure
