"""The gymnax adapter: every env gymnax registers (and builds), with its params changed by keyword.

gymnax envs implement protocol.Env as they are: `step` auto-resets, returns (obs, state, reward, terminated,
truncated, info) and puts the pre-reset observation in `info["final_observation"]`.
"""

import dataclasses

import gymnax
import jax.numpy as jnp
import numpy as np

from hyperlax.envs.catalog import RETURN_RANGES, SKIPPED
from hyperlax.envs.spec import EnvSpec, build_spec
from hyperlax.errors import InputError


def gymnax_ids() -> list:
    """Every gymnax id hyperlax can build: the registered ones except SKIPPED."""
    return [env_id for env_id in gymnax.registered_envs if env_id not in SKIPPED]


def make_gymnax(name: str, gymnax_id: str, kwargs: dict | None = None, return_range=None) -> EnvSpec:
    """gymnax's `gymnax_id` with its default params updated by `kwargs`; the return range given, else the
    catalog's for those params (or None)."""
    if gymnax_id in SKIPPED:
        raise InputError(f"env '{name}': hyperlax skips {gymnax_id}: {SKIPPED[gymnax_id]}")
    if gymnax_id not in gymnax.registered_envs:
        raise InputError(f"unknown gymnax env '{gymnax_id}'; valid: {', '.join(gymnax_ids())}")
    env, params = gymnax.make(gymnax_id)
    params = with_params(name, params, kwargs or {})
    if return_range is None and gymnax_id in RETURN_RANGES:
        return_range = RETURN_RANGES[gymnax_id](params)
    return build_spec(name, gymnax_id, env, params, return_range)


def with_params(name: str, params, kwargs: dict):
    """`params` with the fields in `kwargs` replaced; an unknown field or a value of the wrong type is one line."""
    fields = {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}
    values = {}
    for key, value in kwargs.items():
        if key not in fields:
            raise InputError(f"--env-kwargs: {name} has no parameter '{key}'; valid: {', '.join(fields)}")
        values[key] = typed_like(name, key, value, fields[key])
    return params.replace(**values)


def typed_like(name: str, key: str, value, default):
    """`value` as the type of the parameter's default: bool, int, float (an int is fine), or an array of its shape."""
    wrong = InputError(f"--env-kwargs: {name}'s {key} is {type_name(default)}, got {value!r}")
    if isinstance(default, bool | np.bool_):
        if not isinstance(value, bool):
            raise wrong
        return value
    if isinstance(default, int | np.integer):
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong
        return value
    if isinstance(default, float | np.floating):
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            raise wrong
        return float(value)
    try:
        array = np.asarray(value, dtype=np.asarray(default).dtype)
    except (TypeError, ValueError):
        raise wrong from None
    if array.shape != np.shape(default) or isinstance(value, bool | str):
        raise wrong
    return jnp.asarray(array)


def type_name(default) -> str:
    if isinstance(default, bool | np.bool_):
        return "true or false"
    if isinstance(default, int | np.integer):
        return "an integer"
    if isinstance(default, float | np.floating):
        return "a number"
    return f"an array of shape {tuple(np.shape(default))}"
