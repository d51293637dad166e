"""optuna-hp-search's options, and their resolution and checks (before anything is created)."""

import importlib.util
from pathlib import Path

from hyperlax.commands.options import SearchArgs
from hyperlax.commands.pruning import PrunerSettings, check_pruner
from hyperlax.commands.rundir import (
    StoredRun,
    check_output_root,
    given_values,
    merge_options,
    resolved_options,
    run_dir,
    stored_args,
)
from hyperlax.commands.settings import check_width, recipe_evaluations
from hyperlax.commands.study._reevaluate import Reevaluation
from hyperlax.commands.study._samplers import SAMPLERS
from hyperlax.commands.study._storage import (
    DB_FILE,
    STUDY_FILE,
    StudyTarget,
    check_sqlite_file,
    check_storage,
    mask_url,
)
from hyperlax.commands.study._warm import WarmStart
from hyperlax.errors import InputError
from hyperlax.results.objectives import OBJECTIVES
from hyperlax.space.recipes import load_recipe
from hyperlax.space.spec import apply_space

DIRECTIONS = ("maximize", "minimize")
# A study trains --n-trials configurations: unless --total-timesteps is given, each gets the recipe's
# budget capped here, so the default study (16 trials of ppo_mlp) takes about a minute on a laptop CPU.
MAX_DEFAULT_TIMESTEPS = 50_000


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


STUDY = StoredRun(
    STUDY_FILE, "optuna-hp-search", STUDY_FILE,
    ("algo_and_network_config", "env_config", "study_name", "objective_names", "seed", "num_seeds"),
)  # fmt: skip


def as_stored(key, value):
    """A given value as study.json stores it: a storage URL without its password."""
    return mask_url(value) if key == "storage" else value


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
    merged = merged_with(given, args.resume_from)
    if args.resume_from is None:
        check_output_root(merged["output_root"])
    recipe = apply_space(load_recipe(merged["algo_and_network_config"]), merged.get("search_space"))
    merged.setdefault("study_name", f"{recipe.name}_{merged['env_config'].replace('.', '_')}")
    if args.resume_from is not None:
        return merged, Path(args.resume_from), recipe
    study_dir = run_dir(merged["output_root"], recipe, merged["env_config"])
    if (study_dir / STUDY_FILE).is_file():
        stored = stored_args(study_dir / STUDY_FILE)
        shared = "storage" in given and stored.get("storage") == mask_url(given["storage"])
        if not (shared and stored.get("study_name") == merged["study_name"]):
            raise InputError(
                f"{study_dir} already holds study '{stored.get('study_name')}'; continue it with "
                f"--resume-from {study_dir}, or choose another --output-root"
            )
        merged = merged_with(given, str(study_dir))  # another worker of the same shared study
    return merged, study_dir, recipe


def merged_with(given: dict, study_dir: str | None) -> dict:
    return merge_options(SearchArgs, given, study_dir, STUDY, as_stored)


def resolve_args(args: SearchArgs):
    """Fill unset arguments from the stored study.json (resume, or a worker joining a shared study) or the
    defaults, and check all of them; nothing is created. Returns (args, study dir, recipe, continuing)."""
    given = given_search_values(args)
    merged, study_dir, recipe = merged_values(args, given)
    training_steps = recipe.base_config.get("training", {}).get("total_timesteps", MAX_DEFAULT_TIMESTEPS)
    merged.setdefault("total_timesteps", min(training_steps, MAX_DEFAULT_TIMESTEPS))
    merged.setdefault("objective_directions", ["maximize"] * len(merged["objective_names"]))
    merged.setdefault("sampler", "tpe" if len(merged["objective_names"]) == 1 else "nsgaii")
    merged["output_root"] = str(study_dir.parent.parent)  # <output-root>/<recipe>/<env>: true for a resumed study too
    check_objectives(merged["objective_names"], merged["objective_directions"])
    resolved = resolved_options(SearchArgs, merged)
    check_resolved(resolved, resolved.num_evaluations or recipe_evaluations(recipe))
    if resolved.storage is None and args.resume_from is not None and not (study_dir / DB_FILE).is_file():
        raise InputError(f"--resume-from {study_dir}: no {DB_FILE} there; the study's storage is gone")
    continuing = (study_dir / STUDY_FILE).is_file()
    if resolved.storage is None and continuing:
        check_sqlite_file(study_dir / DB_FILE, f"{study_dir}")
    if resolved.storage is not None and "storage" not in given:
        check_storage(resolved.storage)  # the stored URL: its driver may be missing on this machine
    return resolved, study_dir, recipe, continuing


def study_target(args: SearchArgs) -> StudyTarget:
    directions = tuple(args.objective_directions)
    return StudyTarget(args.study_name, tuple(args.objective_names), directions, args.heartbeat_interval)


def warm_start_of(args: SearchArgs) -> WarmStart:
    return WarmStart(args.warm_start_from, args.warm_start_top_k, args.narrow)


def reevaluation_of(args: SearchArgs) -> Reevaluation:
    resumed = args.resume_from is not None
    return Reevaluation(
        args.reevaluate_top, args.reevaluate_seeds, args.seed, args.env_config, resumed, args.save_agents
    )


def check_resolved(args: SearchArgs, num_evaluations: int) -> None:
    check_width(args.program_width, args.runner_hparam_batch_size, "--runner-hparam-batch-size")
    check_sampler(args.sampler, len(args.objective_names))
    check_pruner(PrunerSettings.of(args), args.objective_names, num_evaluations)
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
