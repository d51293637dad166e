"""Optuna's plots of a study, one plotly HTML page each (one figure per objective), sharing one plotly.min.js."""

import html
import logging
import warnings
from pathlib import Path

import optuna

from hyperlax.results import write_text_atomic

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


def write_plots(study, plots_dir: Path) -> list:
    import plotly.offline

    plots_dir.mkdir(exist_ok=True)
    if not (plots_dir / "plotly.min.js").is_file():
        write_text_atomic(plots_dir / "plotly.min.js", plotly.offline.get_plotlyjs())
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
            title = f"{html.escape(study.study_name)}: {name}"
            write_text_atomic(
                path,
                f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title>'
                f'<script src="plotly.min.js"></script></head>\n<body>\n{body}\n</body></html>\n',
            )
            written.append(path)
    return written
