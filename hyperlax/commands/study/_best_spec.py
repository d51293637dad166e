"""study-best --format yaml: the best trial's full configuration as a spec that sweep-hp-samples can run.

The spec holds the study's recipe, env and budget (algo_and_network_config, env_config, total_timesteps,
num_evaluations, eval_episodes, num_seeds, seed_aggregate, seed), `num_samples: 1`, an empty
`search_space` with `search_space_mode: replace`, and under `fixed:` every hyperparameter of the recipe
(its defaults, the study's own fixed values, the best trial's params). `sweep-hp-samples --spec FILE`
trains exactly that one configuration (on the sweep's seeds, so its values come near the trial's, not
bitwise equal).
"""

from pathlib import Path

from hyperlax.commands.options import BestArgs
from hyperlax.commands.rundir import stored_args
from hyperlax.commands.study._params import decode_params, json_keys_of
from hyperlax.commands.study._reports import best_summary, range_edge_lines
from hyperlax.commands.study._selection import selection
from hyperlax.commands.study._storage import STUDY_FILE, load_stored_study
from hyperlax.commands.study._warm import with_inherited
from hyperlax.errors import InputError
from hyperlax.space.recipes import load_recipe
from hyperlax.space.spec import apply_space

RUN_KEYS = ("algo_and_network_config", "env_config", "total_timesteps", "num_evaluations", "eval_episodes",
            "num_seeds", "seed_aggregate", "seed", "program_width")  # fmt: skip


def plain(value):
    """A value as plain YAML types (tuples as lists)."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def best_configuration(study_dir: str, storage: str | None) -> tuple[dict, str]:
    """The selected trial's configuration as spec values (one objective; several: an input error), and
    comment lines: the trial, then a warning per value at an edge of its range."""
    study = load_stored_study(study_dir, storage)
    trials, selected_by = selection(study)
    if len(study.directions) > 1:
        raise InputError(
            f"study-best --format yaml writes one configuration; study '{study.study_name}' has "
            f"{len(study.directions)} objectives (a Pareto front of {len(trials)}): use --format json"
        )
    if not trials:
        raise InputError(f"study '{study.study_name}' has no complete trial yet; nothing to write")
    [best] = trials
    args = stored_args(Path(study_dir) / STUDY_FILE)
    recipe = with_inherited(apply_space(load_recipe(args["algo_and_network_config"]), args.get("search_space")), study)
    fixed = {**recipe.defaults(), **decode_params(best.params, json_keys_of(study))}
    spec = {k: args[k] for k in RUN_KEYS if args.get(k) is not None}
    spec.update(num_samples=1, search_space_mode="replace", search_space={}, fixed=plain(fixed))
    summary = best_summary(study)
    value = summary["best_trial"]["values"]
    about = f"study '{study.study_name}', trial {best.number} (selected by {selected_by}): {value}"
    return spec, "\n".join([about, *range_edge_lines(study, summary["range_edges"])])


def best_spec(study_dir: str, storage: str | None) -> str:
    """The selected trial's configuration as YAML text; its comment names the trial and any value at an edge
    of its range."""
    import yaml

    spec, about = best_configuration(study_dir, storage)
    comments = "".join(f"# {line}\n" for line in about.splitlines())
    header = comments + "# run it again: hyperlax train --spec FILE.yaml (or sweep-hp-samples --spec FILE.yaml)\n"
    return header + yaml.safe_dump(spec, sort_keys=False, default_flow_style=None)


def study_best(args: BestArgs) -> str:
    """study-best: JSON of the best trial (or Pareto front), or with --format yaml its configuration as a spec."""
    import json

    if (args.format or "json") == "yaml":
        return best_spec(args.study_dir, args.storage)
    return json.dumps(best_summary(load_stored_study(args.study_dir, args.storage)), indent=2)
