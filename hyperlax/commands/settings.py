"""What a training command trains with: run settings from its options and the recipe, checked against the
recipe's structures and the memory they need."""

from hyperlax.algos.common import config_from_flat
from hyperlax.engine.memory import bytes_per_config_and_seed, check_fits
from hyperlax.engine.runner import Runner, RunSettings
from hyperlax.errors import InputError
from hyperlax.space.recipes import Recipe, raised, structural_variants

# Added to a run's --seed by validate-best: every training key of a validation differs from the run's (and
# from a study re-evaluation's, which adds 2_000_003).
FRESH_SEED_OFFSET = 1_000_003


def check_positive(name: str, value) -> None:
    if value is not None and value <= 0:
        raise InputError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")


def check_width(program_width: int | None, batch_size: int, batch_flag: str) -> None:
    """A program wider than its batch would only train padding."""
    if program_width is not None and program_width > batch_size:
        raise InputError(
            f"--program-width {program_width} exceeds {batch_flag} {batch_size}: the extra slots would only train "
            f"padding; give a width of at most {batch_size}"
        )


def check_structures(runner: Runner, recipe: Recipe, configs: int, lower: str) -> None:
    """Every structure the recipe's search space can give builds (shapes only, nothing compiles), and
    `configs` configurations of the largest fit in memory; `lower` names the flag that sets `configs`."""
    defaults, largest = recipe.defaults(), 0
    for key, value in structural_variants(recipe):
        config = config_from_flat(recipe.algorithm.Config, {**defaults, key: value} if key else defaults)
        if problem := recipe.algorithm.config_problem(config, runner.spec):
            where = f" with {key} = {value!r}" if key else ""
            raise InputError(f"recipe '{recipe.name}'{where} on {runner.spec.name}: {problem}")
        try:
            largest = max(largest, bytes_per_config_and_seed(runner, config))
        except Exception as exc:  # a shape the agent cannot be built with
            where = f" with {key} = {value!r}" if key else ""
            raise InputError(f"recipe '{recipe.name}'{where}: the agent cannot be built ({raised(exc)})") from None
    check_fits(runner, largest, configs, lower)


def recipe_evaluations(recipe: Recipe) -> int:
    return recipe.base_config.get("training", {}).get("num_evaluations", 20)


def run_settings(
    recipe: Recipe, args, *, hparam_batch_size: int, sequential: bool = False, group_by_structure: bool = False
) -> RunSettings:
    """Run settings from the arguments, falling back to the recipe's `training` section."""
    training = recipe.base_config.get("training", {})
    settings = RunSettings(
        total_timesteps=args.total_timesteps or training.get("total_timesteps", 100_000),
        num_evaluations=args.num_evaluations or recipe_evaluations(recipe),
        num_seeds=args.num_seeds,
        eval_episodes=args.eval_episodes or training.get("eval_episodes", 10),
        seed=args.seed,
        hparam_batch_size=hparam_batch_size,
        sequential=sequential,
        group_by_structure=group_by_structure,
        program_width=args.program_width,
        seed_aggregate=args.seed_aggregate,
    )
    for name in ("total_timesteps", "num_evaluations", "eval_episodes"):
        check_positive(name, getattr(settings, name))
    return settings
