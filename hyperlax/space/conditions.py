"""Conditional search-space keys: `enabled_if: {key: value, ...}` on a YAML distribution.

A key with conditions is searched only when every named key has the given value (the value drawn for a
searched categorical, else the fixed or default value); otherwise it takes its recipe default and, in a study,
is not suggested at all, so the trial's params say which keys were active. The conditions change values, never
shapes: a structural key that is disabled takes its default, so the structure of a configuration is still read
from its values and grouping stays static. Conditions are checked when the spec is applied: every named key is
a hyperparameter, a key the space searches must be categorical with the value among its choices, and no key
depends on itself through others.
"""

from hyperlax.errors import InputError
from hyperlax.space.distributions import Categorical


def check_conditions(conditions: dict, space: dict, defaults: dict) -> None:
    """`conditions` {key: {condition key: value}} against the space and the recipe's keys (see the module)."""
    for key, condition in conditions.items():
        if not isinstance(condition, dict) or not condition:
            raise InputError(
                f"search_space: {key}: enabled_if: expected a mapping of dotted keys to values, got {condition!r}"
            )
    for key in conditions:
        check_acyclic(key, conditions, [])
    for key, condition in conditions.items():
        where = f"search_space: {key}: enabled_if"
        for name, value in condition.items():
            if name not in defaults:
                raise InputError(
                    f"{where}: unknown hyperparameter key '{name}'; valid keys: {', '.join(sorted(defaults))}"
                )
            dist = space.get(name)
            if dist is not None and not isinstance(dist, Categorical):
                raise InputError(
                    f"{where}: {name} is searched with {type(dist).__name__}; a condition names a categorical "
                    "or a fixed key"
                )
            if isinstance(dist, Categorical) and value not in dist.values:
                raise InputError(f"{where}: {name} = {value!r} is not one of its choices {dist.values}")


def check_acyclic(key: str, conditions: dict, path: list) -> None:
    if key in path:
        raise InputError(f"search_space: enabled_if conditions form a cycle: {' -> '.join([*path, key])}")
    for name in conditions.get(key, {}):
        check_acyclic(name, conditions, [*path, key])


def ordered(keys, conditions: dict) -> list:
    """`keys` sorted, each after the keys its conditions name (they are decided first)."""
    done, order = set(), []

    def visit(key: str) -> None:
        if key in done:
            return
        done.add(key)
        for name in sorted(conditions.get(key, {})):
            visit(name)
        if key in keys:
            order.append(key)

    for key in sorted(keys):
        visit(key)
    return order


def is_enabled(key: str, values: dict, conditions: dict, defaults: dict) -> bool:
    """Every condition of `key` holds for `values` (a key not among them: its default)."""
    return all(values.get(name, defaults.get(name)) == value for name, value in conditions.get(key, {}).items())


def enabled_values(values: dict, conditions: dict, defaults: dict) -> dict:
    """`values` without the keys whose conditions do not hold (they take their defaults)."""
    kept = {}
    for key in ordered(values, conditions):
        if is_enabled(key, kept, conditions, defaults):
            kept[key] = values[key]
    return kept
