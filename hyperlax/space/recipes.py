"""Recipes: a base config and a search space, by built-in name or by path to a user's file."""

import dataclasses
import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

import hyperlax.configs.algo as builtin_recipes
from hyperlax.algos.common import config_from_flat, dotted_key, is_traced, value_problem
from hyperlax.algos.registry import resolve_algorithm
from hyperlax.errors import InputError, raised
from hyperlax.space.distributions import Categorical, UniformInt, validate_distribution


@dataclass(frozen=True)
class Recipe:
    name: str
    base_config: dict
    distributions: dict
    conditions: dict = field(default_factory=dict)  # key -> {key: value}: searched only then (space.conditions)

    @property
    def algo_name(self) -> str:
        return self.base_config["algorithm"]["name"]

    @property
    def algorithm(self):
        """The algorithm `algorithm.name` names (protocol.Algorithm): a built-in name or a reference."""
        return resolve_algorithm(self.algo_name)

    def defaults(self) -> dict:
        """Every tunable hyperparameter of the base config, by dotted key; a key the recipe lacks takes its
        field's default where it has one (a torso: mlp)."""
        flat = flatten(self.base_config["algorithm"], "algorithm", skip={"algorithm.name"})
        for f in dataclasses.fields(self.algorithm.Config):
            if dotted_key(f) not in flat and f.metadata.get("default") is not None:
                flat[dotted_key(f)] = f.metadata["default"]
        return flat


def builtin_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(builtin_recipes.__path__))


def flatten(tree: dict, prefix: str, skip=frozenset()) -> dict:
    flat = {}
    for key, value in tree.items():
        dotted = f"{prefix}.{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, dotted, skip))
        elif dotted not in skip:
            flat[dotted] = value
    return flat


def _load_module(spec: str):
    if not isinstance(spec, str) or not spec.strip():
        raise InputError(f"no recipe given; give a built-in recipe ({', '.join(builtin_names())}) or a .py file")
    path = Path(spec)
    if spec.endswith(".py") or path.exists() or "/" in spec:
        if path.suffix != ".py":
            raise InputError(f"recipe file '{spec}' is not a .py file; a recipe is a Python file (see README, Recipes)")
        if not path.is_file():
            raise InputError(
                f"recipe file '{spec}' does not exist; give a built-in recipe ({', '.join(builtin_names())}) "
                f"or a path to a .py file"
            )
        module_spec = importlib.util.spec_from_file_location(f"hyperlax_user_recipe_{path.stem}", path)
        module = importlib.util.module_from_spec(module_spec)
        try:
            module_spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:  # a recipe that exits must not end the command silently
            raise InputError(f"recipe file '{spec}' raised {raised(exc)}; fix the file and run again") from None
        return path.stem, module
    if spec not in builtin_names():
        raise InputError(
            f"unknown recipe '{spec}'; valid: {', '.join(builtin_names())}, or a path to a .py recipe file"
        )
    return spec, importlib.import_module(f"hyperlax.configs.algo.{spec}")


def load_recipe(spec: str) -> Recipe:
    name, module = _load_module(spec)
    for fn in ("get_base_config", "get_base_hyperparam_distributions"):
        if not callable(getattr(module, fn, None)):
            raise InputError(
                f"recipe '{spec}' has no function {fn}(); a recipe defines get_base_config() and "
                f"get_base_hyperparam_distributions()"
            )
    try:
        base, distributions = module.get_base_config(), module.get_base_hyperparam_distributions()
    except (Exception, SystemExit) as exc:
        raise InputError(f"recipe '{spec}' raised {raised(exc)}; fix the recipe and run again") from None
    algorithm = base.get("algorithm") if isinstance(base, dict) else None
    algo = algorithm.get("name") if isinstance(algorithm, dict) else None
    if not isinstance(algo, str) or not algo:
        raise InputError(
            f"recipe '{spec}': get_base_config() must return a dict whose algorithm.name is ppo, sac, dqn or "
            f"a reference (module:attr, file.py:attr); got {algo!r}"
        )
    try:
        resolve_algorithm(algo)
    except InputError as exc:
        raise InputError(f"recipe '{spec}': {exc}") from None
    if not isinstance(distributions, dict):
        raise InputError(
            f"recipe '{spec}': get_base_hyperparam_distributions() returned {type(distributions).__name__}; "
            f"return a dict of dotted keys to distributions"
        )
    recipe = Recipe(name=name, base_config=base, distributions=dict(distributions))
    check_recipe(recipe, spec)
    return recipe


TRAINING_LIMITS = {"total_timesteps": 10**9, "num_evaluations": 10_000, "eval_episodes": 100_000}


def check_recipe(recipe: Recipe, spec: str) -> None:
    """Every base value and every value a distribution can give has the type and range its field needs."""
    fields = {dotted_key(f): f for f in dataclasses.fields(recipe.algorithm.Config)}
    defaults = recipe.defaults()
    for key, f in fields.items():
        if key not in defaults:
            raise InputError(f"recipe '{spec}': the base config has no {key}; every hyperparameter needs a default")
        if problem := value_problem(f, defaults[key]):
            raise InputError(f"recipe '{spec}': {key}: {problem}")
    training = recipe.base_config.get("training", {})
    if not isinstance(training, dict):
        raise InputError(f"recipe '{spec}': training must be a mapping, got {type(training).__name__}")
    for key, value in training.items():
        limit = TRAINING_LIMITS.get(key)
        if limit and not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= limit):
            raise InputError(f"recipe '{spec}': training.{key}: expected an integer from 1 to {limit:,}, got {value!r}")
    for key, dist in recipe.distributions.items():
        if key not in fields:
            raise InputError(
                f"recipe '{spec}': unknown hyperparameter key '{key}'; valid keys: {', '.join(sorted(fields))}"
            )
        validate_distribution(key, dist)
        check_distribution_values(fields[key], key, dist, spec)
    for key, value in structural_variants(recipe):
        config = config_from_flat(recipe.algorithm.Config, {**defaults, key: value} if key else defaults)
        if problem := recipe.algorithm.config_problem(config, None):
            where = f" with {key} = {value!r}" if key else ""
            raise InputError(f"recipe '{spec}'{where}: {problem}")


def check_distribution_values(f, key: str, dist, spec: str) -> None:
    if isinstance(dist, Categorical):
        candidates = list(dist.values)
    elif isinstance(dist, UniformInt):
        candidates = [int(v) for v in dist.domain]
    elif is_traced(f):
        candidates = list(dist.domain)
    else:
        raise InputError(f"recipe '{spec}': {key} is structural; search it with UniformInt or Categorical")
    for value in candidates:
        if problem := value_problem(f, value):
            raise InputError(f"recipe '{spec}': a value of {key}'s distribution: {problem}")


def structural_variants(recipe: Recipe) -> list:
    """(key, value) pairs that change one structural default; ("", None) stands for the defaults."""
    variants = [("", None)]
    for f in dataclasses.fields(recipe.algorithm.Config):
        dist = recipe.distributions.get(dotted_key(f))
        if is_traced(f) or dist is None:
            continue
        values = dist.values if isinstance(dist, Categorical) else list(dist.domain)
        variants += [(dotted_key(f), v) for v in values]
    return variants


def describe(recipe: Recipe) -> list[dict]:
    """One row per hyperparameter: dotted key, kind (traced/structural), default, search distribution, help."""
    defaults = recipe.defaults()
    return [
        {
            "key": dotted_key(f),
            "kind": "traced" if is_traced(f) else "structural",
            "default": defaults.get(dotted_key(f)),
            "distribution": repr(recipe.distributions[dotted_key(f)]) if dotted_key(f) in recipe.distributions else "",
            "help": f.metadata.get("help", ""),
        }
        for f in dataclasses.fields(recipe.algorithm.Config)
    ]


def markdown_table(recipe: Recipe) -> str:
    lines = ["| key | kind | default | search distribution | meaning |", "|---|---|---|---|---|"]
    for row in describe(recipe):
        meaning = row["help"].replace("|", "\\|")  # a bare | would end the cell
        distribution = row["distribution"] and f"`{row['distribution']}`"
        lines.append(f"| `{row['key']}` | {row['kind']} | `{row['default']}` | {distribution} | {meaning} |")
    return "\n".join(lines)
