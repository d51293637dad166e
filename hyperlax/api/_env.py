"""`env=` of the Python API: a name or path as --env-config takes it, or an env object built in this process."""

import hashlib
import os
import warnings

from hyperlax.envs import in_memory
from hyperlax.errors import InputError, raised

ENV_METHODS = ("reset", "step", "observation_space", "action_space")


def env_config_of(env) -> str:
    """--env-config's value for `env`: a name or path as it is; an env object, `(env, params)` or `(env, params,
    (R_min, R_max))` registered in this process under a generated reference (one warning line says what that
    means for resuming)."""
    if isinstance(env, (str, os.PathLike)):
        return os.fspath(env)
    obj, params, return_range = unpacked(env)
    reference = register(obj, params, return_range)
    warnings.warn(
        f"env is an in-memory object ({reference}): the CLI's --resume-from, validate-best and other workers "
        "cannot import it, so give them an importable env (module:make); a resume from Python passes the same "
        "object again",
        stacklevel=4,  # the caller of hyperlax.optimize / sweep / pbt
    )
    return reference


def unpacked(env) -> tuple:
    """(env, params, return range or None) from an env object or a tuple of them."""
    obj, params, return_range = (tuple(env) + (None, None))[:3] if isinstance(env, tuple) else (env, None, None)
    missing = [name for name in ENV_METHODS if not callable(getattr(obj, name, None))]
    if missing:
        raise InputError(
            f"env={type(obj).__name__}: not an env (it lacks {', '.join(missing)}); give an env name "
            "(gymnax.cartpole), an env object, (env, params) or (env, params, (R_min, R_max))"
        )
    if params is None:
        params = getattr(obj, "default_params", None)
        if params is None:
            raise InputError(f"env={type(obj).__name__} has no default_params; give env=(env, params)")
    return obj, params, return_range


def known_return_range(obj, params) -> tuple | None:
    """The catalog's return range for a gymnax env of the same id (from its params), or the env's own
    `return_range`; None when neither is known (stability_score and normalized_auc are then unavailable)."""
    from hyperlax.envs.catalog import RETURN_RANGES

    try:
        name = getattr(obj, "name", None)
    except Exception:  # gymnax's `name` is a property; a user's may fail
        name = None
    if isinstance(name, str) and name in RETURN_RANGES:
        return RETURN_RANGES[name](params)
    return getattr(obj, "return_range", None)


def register(obj, params, return_range) -> str:
    """Register the env's EnvSpec under a reference derived from its class, params and return range."""
    from hyperlax.envs.spec import build_spec, params_digest

    kind = type(obj)
    return_range = return_range if return_range is not None else known_return_range(obj, params)
    if return_range is not None and len(tuple(return_range)) != 2:
        raise InputError(f"env={kind.__name__}: a return range is (R_min, R_max), got {return_range!r}")
    identity = f"{kind.__module__}.{kind.__qualname__}"
    try:
        range_text = None if return_range is None else tuple(return_range)
        digest = hashlib.sha256(f"{identity} {params_digest(params)} {range_text}".encode()).hexdigest()
        reference = in_memory.reference_of(kind.__name__, digest)
        spec = build_spec(reference, identity, obj, params, return_range)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"env={kind.__name__}: cannot use it as a gymnax-style env ({raised(exc)})") from None
    in_memory.register(reference, spec)
    return reference
