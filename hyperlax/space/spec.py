"""A search space written in a YAML spec, applied to a recipe.

A spec's `search_space:` maps dotted keys to one distribution each (`{log_uniform: [1e-5, 1e-3]}`,
`{uniform: [lo, hi]}`, `{int: [lo, hi]}`, `{int_log: [lo, hi]}`, `{power_of_two: [5, 9]}` for 2^5..2^9,
`{categorical: [[64, 64], [256, 256]]}`), each optionally with `enabled_if: {key: value}` (searched only then:
hyperlax.space.conditions); `search_space_mode: replace|update` says whether it replaces the recipe's space or
updates it; `fixed:` maps dotted keys to values held constant (replacing the base
config's, and leaving the space). The CLI turns the three keys into one `--search-space JSON` option, which
sweep.json and study.json store with the other arguments, so a resume trains the same space.
"""

import copy
import json
import math

from hyperlax.errors import InputError
from hyperlax.space.conditions import check_conditions
from hyperlax.space.distributions import Categorical, IntLog, LogUniform, Uniform, UniformInt, validate_distribution
from hyperlax.space.recipes import Recipe, check_recipe

MODES = ("replace", "update")
RANGED = {"log_uniform": LogUniform, "uniform": Uniform, "int": UniformInt, "int_log": IntLog}
KINDS = (*RANGED, "power_of_two", "categorical")
MAX_POWER = 30


def distribution(key: str, entry):
    """One YAML entry as a distribution of hyperlax.space.distributions (its `enabled_if`, if any, is read by
    apply_space); a malformed one is an input error naming the key."""
    if isinstance(entry, dict) and "enabled_if" in entry:
        entry = {k: v for k, v in entry.items() if k != "enabled_if"}
    if not (isinstance(entry, dict) and len(entry) == 1 and next(iter(entry)) in KINDS):
        raise InputError(f"search_space: {key}: expected one of {', '.join(KINDS)} with its values, got {entry!r}")
    [(kind, values)] = entry.items()
    if kind == "categorical":
        if not isinstance(values, list) or not values:
            raise InputError(f"search_space: {key}: categorical needs a non-empty list of values, got {values!r}")
        return Categorical(values=values)
    if not (isinstance(values, list) and len(values) == 2):
        raise InputError(f"search_space: {key}: {kind} needs [low, high], got {values!r}")
    if kind == "power_of_two":
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_POWER for v in values):
            raise InputError(f"search_space: {key}: power_of_two needs exponents from 0 to {MAX_POWER}, got {values}")
        if values[0] > values[1]:
            raise InputError(f"search_space: {key}: power_of_two needs [low, high] with low <= high, got {values}")
        return Categorical(values=[2**k for k in range(values[0], values[1] + 1)])
    dist = RANGED[kind](domain=tuple(values))
    validate_distribution(key, dist)
    return dist


def read_option(text: str) -> dict:
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        raise InputError(f"--search-space is not JSON: {str(text)[:80]!r}") from None
    if not isinstance(data, dict) or set(data) - {"mode", "search_space", "fixed"}:
        raise InputError('--search-space: expected {"mode", "search_space", "fixed"} (what a spec\'s keys give)')
    if data.get("mode", "update") not in MODES:
        raise InputError(f"search_space_mode: expected {' or '.join(MODES)}, got {data.get('mode')!r}")
    for name in ("search_space", "fixed"):
        if not isinstance(data.get(name, {}), dict):
            raise InputError(f"{name}: expected a mapping of dotted keys, got {data.get(name)!r}")
    return data


def with_fixed(base: dict, fixed: dict, defaults: dict) -> dict:
    """The base config with `fixed` values set at their dotted keys."""
    base = copy.deepcopy(base)
    for key, value in fixed.items():
        if key not in defaults:
            raise InputError(f"fixed: unknown hyperparameter key '{key}'; valid keys: {', '.join(sorted(defaults))}")
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"fixed: {key}: expected a finite value, got {value}")
        *path, leaf = key.split(".")[1:]
        node = base["algorithm"]
        for part in path:
            node = node[part]
        node[leaf] = value
    return base


def apply_space(recipe: Recipe, text: str | None) -> Recipe:
    """The recipe with the --search-space JSON applied (the recipe itself when None), checked like a recipe."""
    if text is None:
        return recipe
    data = read_option(text)
    given = {str(k): distribution(str(k), v) for k, v in data.get("search_space", {}).items()}
    fixed = {str(k): v for k, v in data.get("fixed", {}).items()}
    if both := sorted(set(given) & set(fixed)):
        raise InputError(f"search_space and fixed both name {', '.join(both)}; a key is searched or held fixed")
    space = given if data.get("mode", "update") == "replace" else {**recipe.distributions, **given}
    space = {k: v for k, v in space.items() if k not in fixed}
    entries = data.get("search_space", {}).items()
    conditions = {str(k): v["enabled_if"] for k, v in entries if isinstance(v, dict) and "enabled_if" in v}
    conditions = {k: c for k, c in conditions.items() if k in space}
    changed = Recipe(recipe.name, with_fixed(recipe.base_config, fixed, recipe.defaults()), space, conditions)
    check_recipe(changed, f"{recipe.name} + the spec's search_space/fixed")
    check_conditions(conditions, space, changed.defaults())
    return changed


def read_grid(text: str) -> dict:
    """--grid JSON (a spec's `grid:`): {dotted key: [values...]}, each list non-empty and without repeats."""
    try:
        grid = json.loads(text)
    except (TypeError, ValueError):
        raise InputError(f"--grid is not JSON: {str(text)[:80]!r}") from None
    if not isinstance(grid, dict) or not grid:
        raise InputError(f"--grid: expected a mapping of dotted keys to lists of values, got {grid!r}")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise InputError(f"--grid: {key}: expected a non-empty list of values, got {values!r}")
        encoded = [json.dumps(v, sort_keys=True) for v in values]
        if len(set(encoded)) != len(encoded):
            raise InputError(f"--grid: {key} lists a value twice: {values}")
    return grid


def grid_size(text: str) -> int:
    return math.prod(len(values) for values in read_grid(text).values())


def apply_grid(recipe: Recipe, text: str | None) -> Recipe:
    """The recipe whose search space is exactly the grid (one Categorical per key, so values are checked, stored
    and grouped by structure as any categorical); keys missing from the grid take their recipe defaults."""
    if text is None:
        return recipe
    grid, defaults = read_grid(text), recipe.defaults()
    if unknown := sorted(k for k in grid if k not in defaults):
        raise InputError(
            f"--grid: unknown hyperparameter key '{unknown[0]}'; valid keys: {', '.join(sorted(defaults))}"
        )
    changed = Recipe(recipe.name, recipe.base_config, {str(k): Categorical(values=v) for k, v in grid.items()})
    check_recipe(changed, f"{recipe.name} + --grid")
    return changed
