"""The options of optuna-hp-search and of the commands around a study (status, best, export, plots, compare,
validate-best)."""

from dataclasses import dataclass

from hyperlax.commands.options.agents import save_agents_option
from hyperlax.commands.options.fields import float_in, int_in, option
from hyperlax.commands.options.shared import PrunerArgs, RunArgs, SpaceArgs

COMPARE_FILE = "study_comparison.html"


@dataclass
class SearchArgs(PrunerArgs, RunArgs, SpaceArgs):
    study_name: str | None = option(
        "Optuna study name; workers sharing --storage and the name share the study",
        shown="<recipe>_<env>",
        fixed=True,
    )
    n_trials: int | None = option(
        "trials trained in total, over all workers and resumes",
        16,
        type=int_in(1, 1_000_000),
        shown="16; --sampler grid: the grid's size",
    )
    objective_names: list | None = option(
        "one or more of peak_performance, final_performance, stability_score, normalized_auc, and the costs "
        "wall_seconds, env_steps_per_second, param_count",
        ["final_performance"],
        nargs="+",
        metavar="NAME",
        fixed=True,
    )
    objective_directions: list | None = option(
        "maximize or minimize, one per objective", shown="maximize for each", nargs="+", metavar="DIRECTION",
        fixed=True,
    )  # fmt: skip
    constraint: list | None = option(
        "METRIC<=VALUE or METRIC>=VALUE on any recorded metric (an objective, a cost, final_*_across_seeds, "
        "compile_seconds), repeatable: the sampler avoids infeasible trials and the best trial is a feasible one; "
        "samplers tpe, nsgaii, nsgaiii, gp",
        action="append",
        metavar="BOUND",
        shown="none",
        fixed=True,
    )
    sampler: str | None = option(
        "tpe, nsgaii, nsgaiii, random, cmaes (one objective), gp (needs the gp extra), qmc, grid (--grid), or a user's "
        "optuna BaseSampler: package.module:Class, path/file.py:Class (built with seed=--seed when it takes one), "
        "optunahub:PACKAGE:Class (needs optunahub)",
        shown="tpe for one objective, nsgaii for several; grid with --grid",
    )
    grid: str | None = option(
        '--sampler grid: the grid as JSON {"dotted.key": [values...]} (a spec\'s grid: key becomes this option); '
        "every combination is one trial, --n-trials is at most their number; keys missing from the grid take "
        "their recipe defaults (or the spec's fixed values)",
        shown="none",
        metavar="JSON",
        fixed=True,
    )
    optuna_study_batch_size: int | None = option(
        "trials asked at once: at most this many enter the pool between two of its steps", 8, type=int_in(1, 65_536)
    )
    runner_hparam_batch_size: int | None = option(
        "trials trained at once: the slot pool's capacity", 8, type=int_in(1, 65_536)
    )
    storage: str | None = option(
        "an Optuna storage: a database URL (postgresql://..., sqlite:///...), journal:PATH (a journal file; for "
        "shared disks) or grpc://HOST:PORT (an optuna gRPC storage proxy; needs the grpc extra)",
        shown="SQLite optuna_study.db in the study directory",
        fixed=True,
    )
    n_jobs: int | None = option(
        "local worker processes sharing the study (one per GPU when there are several, else the CPU cores split "
        "between them); without --storage they share a journal file in the study directory; each logs to "
        "worker_N.log there and one progress bar shows the study",
        1,
        type=int_in(1, 1024),
        metavar="N",
    )
    heartbeat_interval: int | None = option(
        "seconds between heartbeats of trials in training", 10, type=int_in(1, 3600)
    )
    reevaluate_top: int | None = option(
        "once the budget is spent, train the K best trials (several objectives: up to K of the Pareto front) "
        "again on fresh seeds and select by those values; 0: no re-evaluation",
        0,
        type=int_in(0, 10_000),
        metavar="K",
    )
    reevaluate_seeds: int | None = option(
        "fresh seeds of each re-evaluated trial", 5, type=int_in(1, 1024), metavar="S"
    )
    timeout: int | None = option(
        "seconds after this worker's start when it asks no new trial; trials in training finish and are told",
        type=int_in(1, 10**8),
        shown="none",
        metavar="SECONDS",
    )
    patience: int | None = option(
        "one objective: ask no new trial once K trials have finished after the best one without beating it; "
        "trials in training finish and are told",
        type=int_in(1, 1_000_000),
        shown="none",
        metavar="K",
    )
    sampler_startup_trials: int | None = option(
        "tpe, cmaes, gp: trials sampled at random before the model suggests (Optuna's n_startup_trials)",
        type=int_in(0, 1_000_000),
        shown="the sampler's: tpe 10, gp 10, cmaes 1",
    )
    nsga_population: int | None = option(
        "nsgaii, nsgaiii: trials per generation (population_size)",
        type=int_in(2, 65_536),
        shown="--optuna-study-batch-size, at least 2",
    )
    warm_start_from: str | None = option(
        "a previous study's directory: a new study enqueues its top trials first (the next phase of a campaign)",
        metavar="STUDY_DIR",
    )
    warm_start_top_k: int | None = option(
        "--warm-start-from: how many of its best trials to enqueue", 3, type=int_in(1, 10_000), metavar="K"
    )
    narrow: float | None = option(
        "--warm-start-from: shrink each float/int range to a window of this relative width around the previous "
        "best (log space for log ranges), inside the original range",
        type=float_in(0.001, 1.0),
        metavar="F",
    )
    enqueue_defaults: bool | None = option(
        "a new study's first trial is the recipe's default configuration (each searched key at its default, where "
        "its range holds it), so the study measures its picks against the default it would replace",
        False,
        action="store_const",
        const=True,
    )
    quiet: bool | None = option(
        "no line per told trial (number, state, value, the parameters that differ from the recipe's defaults); "
        "the progress bar, warnings and the summary stay",
        False,
        action="store_const",
        const=True,
        shown="off",
    )
    mlflow_tracking_uri: str | None = option(
        "log the study to MLflow (file:DIR, sqlite:///FILE.db or a server's http(s) URL; needs the mlflow extra): "
        "a parent run per study, a nested run per trial as it is told",
        metavar="URI",
    )
    wandb_project: str | None = option(
        "log the study to Weights & Biases (needs the wandb extra): a run per trial in this project, grouped by the "
        "study's name, with its params, final metrics, state and eval-return curve (step = env steps); "
        "WANDB_MODE=offline writes them under WANDB_DIR",
        metavar="NAME",
    )
    tensorboard_dir: str | None = option(
        "write TensorBoard event files (needs the tensorboard extra): DIR/<study name>/trial_NNNNN per trial, with "
        "its eval-return curve (step = env steps), final metrics, params and state",
        metavar="DIR",
    )
    save_agents: str | None = save_agents_option(
        "the selected trial's, or after --reevaluate-top the re-evaluated trials' on their fresh seeds", "best"
    )


@dataclass
class QueryArgs:
    """Options of study-status and study-best."""

    study_dir: str | None = option("the directory optuna-hp-search wrote (holds study.json)", required=True)
    storage: str | None = option("storage URL, when study.json's (stored without password) is not enough")


@dataclass
class ListArgs:
    """Options of study-list."""

    storage: str | None = option(
        "the storage whose studies to list: a database URL, journal:PATH or grpc://HOST:PORT", required=True
    )


@dataclass
class ExportArgs(QueryArgs):
    format: str | None = option("study-export: csv or json", "csv", choices=["csv", "json"])
    output: str | None = option("study-export: file to write", shown="standard output")


@dataclass
class BestArgs(QueryArgs):
    format: str | None = option(
        "study-best: json (the best trial or Pareto front) or yaml (the best trial's full configuration as a "
        "spec that sweep-hp-samples --spec runs again)",
        "json",
        choices=["json", "yaml"],
    )


@dataclass
class CompareArgs:
    study_dirs: list | None = option(
        "two or more directories optuna-hp-search wrote", positional=True, nargs="+", metavar="STUDY_DIR"
    )
    output: str | None = option(
        "the plotly page of the studies' optimization histories (plotly.min.js is written beside it)",
        COMPARE_FILE,
    )


@dataclass
class ValidateArgs:
    study_dir: str | None = option(
        "the directory optuna-hp-search (holds study.json) or pbt-search (holds pbt.json) wrote", required=True
    )
    storage: str | None = option("storage URL, when study.json's (stored without password) is not enough")
    num_seeds: int | None = option("fresh seeds", 5, type=int_in(1, 1024))
    env_config: str | None = option(
        "retrain the chosen trial(s) and the default on this env instead of the study's (a robustness check; "
        "studies only): its observation and action spaces must be the study env's; written to "
        "validation_<env with . replaced by _>/",
        shown="the study's",
        metavar="ENV",
    )
    save_agents: str | None = save_agents_option("the validated trials; all: the recipe default's too", "none")
