"""A zoo entry's keys and types (the format is in hyperlax/zoo/__init__.py), and the agreements between its
parts that `train --zoo` relies on; the first problem found is one short sentence naming the key."""

import datetime
from dataclasses import dataclass

from hyperlax.envs.catalog import ALIASES


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# (what the value must be, its test)
STRING = ("a string", lambda v: isinstance(v, str))
INTEGER = ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
NUMBER = ("a number", is_number)
NUMBER_OR_NULL = ("a number or null", lambda v: v is None or is_number(v))
STRINGS = ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
NUMBERS = ("a list of numbers", lambda v: isinstance(v, list) and all(is_number(x) for x in v))
DATE = ("a date (YYYY-MM-DD)", lambda v: isinstance(v, (str, datetime.date)))
RANGE_OR_NULL = ("[low, high] or null", lambda v: v is None or (isinstance(v, list) and len(v) == 2 and all(
    is_number(x) for x in v)))  # fmt: skip


@dataclass(frozen=True)
class OrNull:
    """A mapping that may be null instead."""

    schema: dict


RESULT = {"iqm": NUMBER, "low": NUMBER_OR_NULL, "high": NUMBER_OR_NULL, "per_seed": NUMBERS}
IMPROVEMENT = {"estimate": NUMBER, "low": NUMBER_OR_NULL, "high": NUMBER_OR_NULL}
SCHEMA = {
    "pair": STRING,
    "algo": STRING,
    "env": STRING,
    "date": DATE,
    "command": STRING,
    "machine": STRING,
    "study": {"recipe": STRING, "sampler": STRING, "n_trials": INTEGER, "num_seeds": INTEGER,
              "total_timesteps": INTEGER, "env_steps": INTEGER, "wall_seconds": NUMBER, "args": STRINGS},
    "validation": {"seed": INTEGER, "num_seeds": INTEGER, "total_timesteps": INTEGER, "tuned": RESULT,
                   "recipe_default": {"recipe": STRING, **RESULT}, "generic_default": {"recipe": STRING, **RESULT},
                   "improvement_over_recipe_default": IMPROVEMENT,
                   "improvement_over_generic_default": IMPROVEMENT, "wall_seconds": NUMBER},
    "reference": OrNull({"source": STRING, "value": NUMBER_OR_NULL, "text": STRING, "budget": STRING,
                         "seeds": STRING}),
    "return_range": RANGE_OR_NULL,
    "verdict": STRING,
    "spec": {"algo_and_network_config": STRING, "env_config": STRING},  # the rest: train's spec reader checks it
}  # fmt: skip
# The spec's keys that must equal the validation's, so that training the spec gives the validation's runs.
REPRODUCED = ("seed", "num_seeds", "total_timesteps")


def type_name(value) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


def shape_problem(value, schema, key: str) -> str | None:
    """The first key of `value` that is missing or of the wrong type under `schema`, as a sentence."""
    if isinstance(schema, OrNull):
        return None if value is None else shape_problem(value, schema.schema, key)
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return f"{key} must be a mapping, got {type_name(value)}"
        missing = [k for k in schema if k not in value]
        if missing:
            return f"{key} lacks {', '.join(missing)}"
        problems = (shape_problem(value[k], sub, f"{key}.{k}") for k, sub in schema.items())
        return next((p for p in problems if p), None)
    what, test = schema
    shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:37]}..."
    return None if test(value) else f"{key} must be {what}, got {shown}"


def canonical_env(env: str) -> str:
    """An env config as the zoo names it: a gymnax short name (gymnax.cartpole) as gymnax:<id>."""
    return f"gymnax:{ALIASES[env]}" if env in ALIASES else env


def agreement_problem(entry: dict) -> str | None:
    """Where the parts of a well-typed entry disagree."""
    if entry["pair"] != f"{entry['algo']}:{entry['env']}":
        return f"pair {entry['pair']!r} is not algo:env ({entry['algo']}:{entry['env']})"
    validation, spec = entry["validation"], entry["spec"]
    for name in ("tuned", "recipe_default", "generic_default"):
        if len(validation[name]["per_seed"]) != validation["num_seeds"]:
            return f"validation.{name}.per_seed holds {len(validation[name]['per_seed'])} values, not num_seeds"
    if canonical_env(spec["env_config"]) != canonical_env(entry["env"]):
        return f"spec.env_config {spec['env_config']!r} is not the entry's env {entry['env']!r}"
    for key in REPRODUCED:
        if spec.get(key) != validation[key]:
            return (f"spec.{key} is {spec.get(key)!r}, validation.{key} {validation[key]!r}: training the spec "
                    f"would not give the validation's runs")  # fmt: skip
    return None


def entry_problem(entry) -> str | None:
    """What is wrong with a zoo entry (the YAML it was read as), or None."""
    if not isinstance(entry, dict):
        return f"the file must be a mapping of the entry's keys, got {type_name(entry)}"
    unknown = sorted(str(k) for k in entry if k not in SCHEMA)
    if unknown:
        return f"unknown key {', '.join(unknown)}; an entry holds exactly {', '.join(SCHEMA)}"
    missing = [k for k in SCHEMA if k not in entry]
    if missing:
        return f"it lacks {', '.join(missing)}"
    problems = (shape_problem(entry[k], schema, k) for k, schema in SCHEMA.items())
    return next((p for p in problems if p), None) or agreement_problem(entry)
