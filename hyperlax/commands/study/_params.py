"""A recipe's distributions as Optuna suggestions, and trial params back to configuration values."""

import json

import optuna
from optuna.distributions import FloatDistribution, IntDistribution

from hyperlax.space.conditions import is_enabled, ordered
from hyperlax.space.distributions import Categorical, IntLog, LogUniform, Uniform, UniformInt


def is_json_encoded(dist) -> bool:
    """Optuna stores categorical choices of None, bool, int, float and str; other choices (lists such as
    layer sizes) go in as JSON strings."""
    plain = (bool, int, float, str)
    return isinstance(dist, Categorical) and not all(v is None or isinstance(v, plain) for v in dist.values)


def json_encoded_keys(distributions: dict) -> list:
    return sorted(k for k, d in distributions.items() if is_json_encoded(d))


def choices_of(dist: Categorical) -> list:
    """A categorical's choices as Optuna stores them: JSON strings when `is_json_encoded`, else the values."""
    return [json.dumps(v) for v in dist.values] if is_json_encoded(dist) else list(dist.values)


def suggest_values(trial: optuna.Trial, distributions: dict, conditions=None, defaults=None) -> dict:
    """One configuration `{dotted_key: value}`: each recipe distribution through its suggest_*, but a key whose
    `conditions` (enabled_if) do not hold is not suggested: it takes its default (`defaults`)."""
    values, conditions = {}, conditions or {}
    for key in ordered(distributions, conditions):
        dist = distributions[key]
        if not is_enabled(key, values, conditions, defaults or {}):
            continue
        if isinstance(dist, Categorical):
            choice = trial.suggest_categorical(key, choices_of(dist))
            values[key] = json.loads(choice) if is_json_encoded(dist) else choice
        elif isinstance(dist, UniformInt):
            values[key] = trial.suggest_int(key, *map(int, dist.domain), log=isinstance(dist, IntLog))
        else:
            values[key] = trial.suggest_float(key, *dist.domain, log=isinstance(dist, LogUniform))
    return values


def ranged_distribution(dist):
    """The ranged distribution behind an Optuna one that `suggest_values` asked for (None for a categorical):
    a trial keeps the distributions it was drawn from, so a study read back from storage needs no recipe."""
    if isinstance(dist, FloatDistribution):
        return (LogUniform if dist.log else Uniform)(domain=(dist.low, dist.high))
    if isinstance(dist, IntDistribution):
        return (IntLog if dist.log else UniformInt)(domain=(dist.low, dist.high))
    return None


def decode_params(params: dict, json_keys) -> dict:
    return {k: json.loads(v) if k in json_keys else v for k, v in params.items()}


def json_keys_of(study) -> list:
    """The params a study stores JSON-encoded (recorded in its `hyperlax` user attr)."""
    return study.user_attrs.get("hyperlax", {}).get("json_encoded_params", [])
