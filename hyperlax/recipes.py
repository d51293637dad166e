"""Recipes: a base config and a search space, by built-in name or by path to a user's file."""

import dataclasses
import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass
from pathlib import Path

import hyperlax.configs.algo as builtin_recipes
from hyperlax.algos import ALGORITHMS
from hyperlax.algos.common import dotted_key, is_traced
from hyperlax.errors import InputError
from hyperlax.space import validate_distribution


@dataclass(frozen=True)
class Recipe:
    name: str
    base_config: dict
    distributions: dict

    @property
    def algo_name(self) -> str:
        return self.base_config["algorithm"]["name"]

    @property
    def algorithm(self):
        return ALGORITHMS[self.algo_name]

    def defaults(self) -> dict:
        """Every tunable hyperparameter of the base config, by dotted key."""
        return flatten(self.base_config["algorithm"], "algorithm", skip={"algorithm.name"})


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
    path = Path(spec)
    if spec.endswith(".py") or path.exists():
        if not path.is_file():
            raise InputError(
                f"recipe file '{spec}' does not exist; give a built-in recipe ({', '.join(builtin_names())}) "
                f"or a path to a .py file"
            )
        module_spec = importlib.util.spec_from_file_location(f"hyperlax_user_recipe_{path.stem}", path)
        module = importlib.util.module_from_spec(module_spec)
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            raise InputError(
                f"recipe file '{spec}' raised {type(exc).__name__}: {exc}; fix the file and run again"
            ) from None
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
    except Exception as exc:
        raise InputError(f"recipe '{spec}' raised {type(exc).__name__}: {exc}; fix the recipe and run again") from None
    algo = base.get("algorithm", {}).get("name") if isinstance(base, dict) else None
    if algo not in ALGORITHMS:
        raise InputError(f"recipe '{spec}': algorithm.name is {algo!r}; valid: {', '.join(sorted(ALGORITHMS))}")
    recipe = Recipe(name=name, base_config=base, distributions=dict(distributions))
    valid = recipe.defaults()
    for key, dist in recipe.distributions.items():
        if key not in valid:
            raise InputError(
                f"recipe '{spec}': unknown hyperparameter key '{key}'; valid keys: {', '.join(sorted(valid))}"
            )
        validate_distribution(key, dist)
    return recipe


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
