"""optuna-hp-search's options, and their resolution and checks (before anything is created)."""

import importlib.util
from pathlib import Path

from hyperlax.commands.options import SearchArgs
from hyperlax.commands.pruning import PrunerSettings, check_pruner
from hyperlax.commands.rundir import (
    EnvChoice,
    StoredRun,
    check_output_root,
    given_values,
    merge_options,
    resolved_options,
    run_dir,
    stored_args,
)
from hyperlax.commands.settings import check_width, recipe_evaluations
from hyperlax.commands.study._constraints import check_constraints, parse_bounds
from hyperlax.commands.study._params import json_encoded_keys
from hyperlax.commands.study._reevaluate import Reevaluation
from hyperlax.commands.study._samplers import SAMPLERS, is_user_sampler, user_sampler_class
from hyperlax.commands.study._storage import (
    DB_FILE,
    STUDY_FILE,
    StudyTarget,
    check_sqlite_file,
    check_storage,
    mask_url,
)
from hyperlax.commands.study._tracking import TRACKERS, check_trackers
from hyperlax.commands.study._warm import WarmStart
from hyperlax.envs.registry import env_dir_name
from hyperlax.errors import InputError
from hyperlax.results.objectives import RANGE_OBJECTIVES, STUDY_OBJECTIVES
from hyperlax.space.recipes import load_recipe
from hyperlax.space.spec import apply_grid, apply_space, grid_size, read_grid, read_option

DIRECTIONS = ("maximize", "minimize")
# A study trains --n-trials configurations: unless --total-timesteps is given, each gets the recipe's
# budget capped here, so the default study (16 trials of ppo_mlp) takes about a minute on a laptop CPU.
MAX_DEFAULT_TIMESTEPS = 50_000


def check_objectives(names: list, directions: list) -> None:
    if not names:
        raise InputError(f"--objective-names gives no objective; name one or more of {', '.join(STUDY_OBJECTIVES)}")
    for name in names:
        if name not in STUDY_OBJECTIVES:
            raise InputError(f"unknown objective '{name}'; valid: {', '.join(STUDY_OBJECTIVES)}")
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
    if is_user_sampler(name):
        user_sampler_class(name)
        return
    if name not in SAMPLERS:
        raise InputError(
            f"unknown sampler '{name}'; valid: {', '.join(SAMPLERS)}, package.module:Class or file.py:Class"
        )
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
    recipe = apply_grid(recipe, merged.get("grid"))
    merged.setdefault("study_name", f"{recipe.name}_{env_dir_name(merged['env_config'])}")
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
    check_grid(merged, "n_trials" in given or args.resume_from is not None)
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


def check_grid(merged: dict, n_trials_given: bool) -> None:
    """--sampler grid and --grid go together; --n-trials defaults to the grid's size and may not exceed it; a key
    is in the grid or held fixed, not both."""
    grid, sampler = merged.get("grid"), merged["sampler"]
    if (grid is None) != (sampler != "grid"):
        raise InputError(
            "--sampler grid walks a --grid (a spec's grid: {dotted.key: [values]}); give both"
            if grid is None
            else f"--grid is walked by --sampler grid, not --sampler {sampler}; give --sampler grid"
        )
    if grid is None:
        return
    size = grid_size(grid)
    if not n_trials_given:
        merged["n_trials"] = size
    if merged["n_trials"] > size:
        raise InputError(f"--n-trials {merged['n_trials']}: the grid has {size} combinations; give at most {size}")
    fixed = read_option(merged["search_space"]).get("fixed", {}) if merged.get("search_space") else {}
    if both := sorted(set(fixed) & set(read_grid(grid))):
        raise InputError(f"--grid and the spec's fixed both name {', '.join(both)}; a key is in the grid or fixed")


def study_target(args: SearchArgs) -> StudyTarget:
    directions = tuple(args.objective_directions)
    return StudyTarget(args.study_name, tuple(args.objective_names), directions, args.heartbeat_interval)


def warm_start_of(args: SearchArgs) -> WarmStart:
    fixed = tuple(read_option(args.search_space).get("fixed", {})) if args.search_space is not None else ()
    return WarmStart(args.warm_start_from, args.warm_start_top_k, args.narrow, args.env_config, fixed)


def reevaluation_of(args: SearchArgs, env: EnvChoice) -> Reevaluation:
    resumed = args.resume_from is not None
    return Reevaluation(args.reevaluate_top, args.reevaluate_seeds, args.seed, env, resumed, args.save_agents)


def check_objectives_available(names: list, spec) -> None:
    """An objective divided by the return range cannot be optimised on an env without one."""
    for name in names:
        if name in RANGE_OBJECTIVES and spec.return_range is None:
            raise InputError(
                f"--objective-names {name}: {spec.name} has no return range, so {name} is unavailable; give "
                f"--return-range LOW HIGH, or optimise peak_performance or final_performance"
            )


def check_resolved(args: SearchArgs, num_evaluations: int) -> None:
    check_width(args.program_width, args.runner_hparam_batch_size, "--runner-hparam-batch-size")
    check_sampler(args.sampler, len(args.objective_names))
    check_constraints(args.constraint, args.sampler)
    if args.patience is not None and len(args.objective_names) > 1:
        raise InputError(
            f"--patience stops when one objective's best stops improving; {len(args.objective_names)} objectives "
            "given: drop --patience, or give one objective"
        )
    check_pruner(PrunerSettings.of(args), args.objective_names, num_evaluations)
    check_trackers({option: getattr(args, option) for option in TRACKERS})


def study_record(recipe, spec, settings, args: SearchArgs, phases: list) -> dict:
    """What the study itself keeps: workers on other machines check their settings against it."""
    return {
        "recipe": recipe.name,
        "env_config": spec.name,
        "seed": args.seed,
        "num_seeds": settings.num_seeds,
        "total_timesteps": settings.total_timesteps,
        "num_evaluations": settings.num_evaluations,
        "eval_episodes": settings.eval_episodes,
        "distributions": {k: repr(v) for k, v in sorted(recipe.distributions.items())},
        "json_encoded_params": json_encoded_keys(recipe.distributions),
        # Recorded only when not the default, so studies stored before the option exist stay joinable.
        **({"seed_aggregate": settings.seed_aggregate} if settings.seed_aggregate != "mean" else {}),
        **({"search_space": args.search_space} if args.search_space is not None else {}),
        **({"conditions": recipe.conditions} if recipe.conditions else {}),
        **({"constraints": [str(b) for b in parse_bounds(args.constraint)]} if args.constraint else {}),
        **({"inherited": phases[-1]["inherited"]} if phases and phases[-1].get("inherited") else {}),
        **({"env_kwargs": args.env_kwargs} if args.env_kwargs is not None else {}),
        **({"return_range": list(args.return_range)} if args.return_range is not None else {}),
    }
