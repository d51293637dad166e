"""optuna-hp-search's options, and their resolution and checks (before anything is created)."""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from hyperlax.commands.options import (
    RunArgs,
    SpaceArgs,
    check_values,
    defaults_of,
    fixed_options,
    float_in,
    int_in,
    option,
)
from hyperlax.commands.pruning import check_pruner
from hyperlax.commands.run import (
    check_output_root,
    check_width,
    given_values,
    merge_stored,
    recipe_evaluations,
    run_dir,
    stored_args,
)
from hyperlax.commands.study._samplers import SAMPLERS
from hyperlax.commands.study._storage import DB_FILE, STUDY_FILE, check_sqlite_file, check_storage, mask_url
from hyperlax.errors import InputError
from hyperlax.results.metrics import OBJECTIVES
from hyperlax.space.recipes import load_recipe
from hyperlax.space.spec import apply_space

DIRECTIONS = ("maximize", "minimize")
# A study trains --n-trials configurations: unless --total-timesteps is given, each gets the recipe's
# budget capped here, so the default study (16 trials of ppo_mlp) takes about a minute on a laptop CPU.
MAX_DEFAULT_TIMESTEPS = 50_000


@dataclass
class SearchArgs(RunArgs, SpaceArgs):
    study_name: str | None = option(
        "Optuna study name; workers sharing --storage and the name share the study",
        shown="<recipe>_<env>",
        fixed=True,
    )
    n_trials: int | None = option(
        "trials trained in total, over all workers and resumes", 16, type=int_in(1, 1_000_000)
    )
    objective_names: list | None = option(
        "one or more of peak_performance, final_performance, stability_score, normalized_auc",
        ["final_performance"],
        nargs="+",
        metavar="NAME",
        fixed=True,
    )
    objective_directions: list | None = option(
        "maximize or minimize, one per objective", shown="maximize for each", nargs="+", metavar="DIRECTION",
        fixed=True,
    )  # fmt: skip
    sampler: str | None = option(
        "tpe, nsgaii, nsgaiii, random, cmaes (one objective), gp (needs the gp extra), qmc",
        shown="tpe for one objective, nsgaii for several",
    )
    optuna_study_batch_size: int | None = option(
        "trials asked at once: at most this many enter the pool between two of its steps", 8, type=int_in(1, 65_536)
    )
    runner_hparam_batch_size: int | None = option(
        "trials trained at once: the slot pool's capacity", 8, type=int_in(1, 65_536)
    )
    storage: str | None = option(
        "any Optuna storage URL (postgresql://..., sqlite:///...)",
        shown="SQLite optuna_study.db in the study directory",
        fixed=True,
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
    mlflow_tracking_uri: str | None = option(
        "log the study to MLflow (file:DIR, sqlite:///FILE.db or a server's http(s) URL; needs hyperlax[mlflow]): "
        "a parent run per study, a nested run per trial as it is told",
        metavar="URI",
    )


def check_objectives(names: list, directions: list) -> None:
    if not names:
        raise InputError(f"--objective-names gives no objective; name one or more of {', '.join(OBJECTIVES)}")
    for name in names:
        if name not in OBJECTIVES:
            raise InputError(f"unknown objective '{name}'; valid: {', '.join(OBJECTIVES)}")
    if len(set(names)) != len(names):
        raise InputError(f"--objective-names lists an objective twice: {' '.join(names)}")
    if len(directions) != len(names):
        raise InputError(
            f"--objective-directions: {len(directions)} given for {len(names)} objectives; "
            f"give one per objective (maximize or minimize)"
        )
    for direction in directions:
        if direction not in DIRECTIONS:
            raise InputError(f"unknown objective direction '{direction}'; valid: {', '.join(DIRECTIONS)}")


def check_sampler(name: str, num_objectives: int) -> None:
    if name not in SAMPLERS:
        raise InputError(f"unknown sampler '{name}'; valid: {', '.join(SAMPLERS)}")
    spec = SAMPLERS[name]
    if num_objectives > 1 and not spec.multi_objective:
        valid = ", ".join(n for n, s in SAMPLERS.items() if s.multi_objective)
        raise InputError(f"--sampler {name} optimises one objective, {num_objectives} given; for several use {valid}")
    if spec.needs and importlib.util.find_spec(spec.needs) is None:
        raise InputError(f"--sampler {name} needs the {spec.needs} package: {spec.install}")


def split_names(values: list | None) -> list | None:
    """`a b`, `a,b` and `a, b` all name the same list."""
    return None if values is None else [v for item in values for v in str(item).split(",") if v.strip()]


def merge_with_study(given: dict, study_dir: Path) -> dict:
    """The arguments stored in a study directory updated with the given ones (which must not change results)."""

    def as_stored(key, value):
        return mask_url(value) if key == "storage" else value

    required = ("algo_and_network_config", "env_config", "study_name", "objective_names", "seed", "num_seeds")
    return merge_stored(given, study_dir / STUDY_FILE, fixed_options(SearchArgs), required, as_stored)


def given_search_values(args: SearchArgs) -> dict:
    given = given_values(args)
    for key in ("objective_names", "objective_directions"):
        if key in given:
            given[key] = split_names(given[key])
    if "storage" in given:
        check_storage(given["storage"])
    return given


def merged_values(args: SearchArgs, given: dict) -> tuple[dict, Path, object]:
    """The arguments from the given ones, a stored study (resume, or a worker joining) and the defaults."""
    if args.resume_from is not None:
        study_dir = Path(args.resume_from)
        if not (study_dir / STUDY_FILE).is_file():
            raise InputError(
                f"--resume-from {study_dir}: no {STUDY_FILE} there; give the directory optuna-hp-search wrote "
                f"(it holds {STUDY_FILE})"
            )
        merged = merge_with_study(given, study_dir)
    else:
        merged = {**defaults_of(SearchArgs), **given}
    if args.resume_from is None:
        check_output_root(merged["output_root"])
    recipe = apply_space(load_recipe(merged["algo_and_network_config"]), merged.get("search_space"))
    merged.setdefault("study_name", f"{recipe.name}_{merged['env_config'].replace('.', '_')}")
    if args.resume_from is None:
        study_dir = run_dir(merged["output_root"], recipe, merged["env_config"])
        if (study_dir / STUDY_FILE).is_file():
            stored = stored_args(study_dir / STUDY_FILE)
            shared = "storage" in given and stored.get("storage") == mask_url(given["storage"])
            if not (shared and stored.get("study_name") == merged["study_name"]):
                raise InputError(
                    f"{study_dir} already holds study '{stored.get('study_name')}'; continue it with "
                    f"--resume-from {study_dir}, or choose another --output-root"
                )
            merged = merge_with_study(given, study_dir)  # another worker of the same shared study
    return merged, study_dir, recipe


def resolve_args(args: SearchArgs):
    """Fill unset arguments from the stored study.json (resume, or a worker joining a shared study) or the
    defaults, and check all of them; nothing is created. Returns (args, study dir, recipe, continuing)."""
    given = given_search_values(args)
    merged, study_dir, recipe = merged_values(args, given)
    training_steps = recipe.base_config.get("training", {}).get("total_timesteps", MAX_DEFAULT_TIMESTEPS)
    merged.setdefault("total_timesteps", min(training_steps, MAX_DEFAULT_TIMESTEPS))
    merged.setdefault("objective_directions", ["maximize"] * len(merged["objective_names"]))
    merged.setdefault("sampler", "tpe" if len(merged["objective_names"]) == 1 else "nsgaii")
    merged.setdefault("pruner", "none")
    resolved = SearchArgs(**{k: merged.get(k) for k in SearchArgs.__dataclass_fields__})
    resolved.output_root = str(study_dir.parent.parent)  # <output-root>/<recipe>/<env>: true for a resumed study too
    check_resolved(resolved, resolved.num_evaluations or recipe_evaluations(recipe))
    if resolved.storage is None and args.resume_from is not None and not (study_dir / DB_FILE).is_file():
        raise InputError(f"--resume-from {study_dir}: no {DB_FILE} there; the study's storage is gone")
    if resolved.storage is None and continuing_dir(study_dir):
        check_sqlite_file(study_dir / DB_FILE, f"{study_dir}")
    if resolved.storage is not None and "storage" not in given:
        check_storage(resolved.storage)  # the stored URL: its driver may be missing on this machine
    continuing = (study_dir / STUDY_FILE).is_file()
    return resolved, study_dir, recipe, continuing


def continuing_dir(study_dir: Path) -> bool:
    return (study_dir / STUDY_FILE).is_file()


def check_resolved(args: SearchArgs, num_evaluations: int) -> None:
    check_objectives(args.objective_names, args.objective_directions)
    check_values(args)
    check_width(args.program_width, args.runner_hparam_batch_size, "--runner-hparam-batch-size")
    check_sampler(args.sampler, len(args.objective_names))
    check_pruner(args.pruner_settings(), args.objective_names, num_evaluations)
    check_tracking_uri(args.mlflow_tracking_uri)


TRACKING_SCHEMES = ("file", "sqlite", "http", "https", "postgresql", "mysql", "mssql", "databricks")


def check_tracking_uri(uri: str | None) -> None:
    """--mlflow-tracking-uri: a URI of a store MLflow knows, and the mlflow package installed."""
    if uri is None:
        return
    scheme = uri.split(":", 1)[0].split("+", 1)[0] if ":" in uri else ""
    if not uri.strip() or scheme not in TRACKING_SCHEMES:
        raise InputError(
            f"--mlflow-tracking-uri {uri!r}: expected a URI of {', '.join(f'{s}:' for s in TRACKING_SCHEMES)} "
            "(e.g. file:/tmp/mlruns or sqlite:///mlflow.db)"
        )
    if importlib.util.find_spec("mlflow") is None:
        raise InputError("--mlflow-tracking-uri needs the mlflow package: pip install 'hyperlax[mlflow]'")
