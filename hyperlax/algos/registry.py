"""Algorithms and torsos by reference: a built-in name or a user's `module:attr` / `file.py:attr`.

What a reference resolves to is checked against its protocol (hyperlax.algos.protocol) here, so a wrong
object is one line naming what it lacks rather than an AttributeError deep inside training. Nothing is cached
by reference: a relative path means another file in another working directory (hyperlax.registry keeps each
loaded file's module, by absolute path).
"""

import dataclasses
import importlib

import flax.linen as nn

from hyperlax.errors import InputError
from hyperlax.registry import load_reference

GUIDE = "see README, Writing an algorithm or a network"


def builtin_module(name: str):
    return lambda: importlib.import_module(f"hyperlax.algos.{name}")


def builtin_torso(name: str):
    return lambda: getattr(importlib.import_module("hyperlax.algos.networks"), name)


BUILTIN_ALGORITHMS = {name: builtin_module(name) for name in ("ppo", "sac", "dqn")}
BUILTIN_TORSOS = {"mlp": builtin_torso("MLPTorso"), "cnn": builtin_torso("CNNTorso")}
ALGORITHM_MEMBERS = {
    "NAME": lambda v: isinstance(v, str) and bool(v),
    "Config": lambda v: isinstance(v, type) and dataclasses.is_dataclass(v),
    "make_train": callable,
    "config_problem": callable,
    "SUPPORTS_DISCRETE": lambda v: isinstance(v, bool),
    "SUPPORTS_CONTINUOUS": lambda v: isinstance(v, bool),
}
TORSO_FIELDS = ("layer_sizes", "activation", "obs_shape")


def missing_members(obj, checks: dict) -> list[str]:
    """The members of `checks` that `obj` lacks or whose value fails its check."""
    missing = []
    for name, check in checks.items():
        try:
            ok = check(getattr(obj, name))
        except Exception:  # absent, or a property that raises: either way it is not usable
            ok = False
        if not ok:
            missing.append(name)
    return missing


def resolve_algorithm(reference: str):
    """The algorithm a recipe's `algorithm.name` names (protocol.Algorithm)."""
    algorithm = load_reference(reference, BUILTIN_ALGORITHMS, "algorithm")
    if missing := missing_members(algorithm, ALGORITHM_MEMBERS):
        raise InputError(f"algorithm '{reference}' lacks {', '.join(missing)}; {GUIDE}")
    return algorithm


def resolve_torso(reference: str) -> type:
    """The torso class a recipe's `pre_torso.name` names (protocol.Torso)."""
    torso = load_reference(reference, BUILTIN_TORSOS, "network")
    if not (isinstance(torso, type) and issubclass(torso, nn.Module)):
        raise InputError(f"network '{reference}' is not a flax.linen.Module class; {GUIDE}")
    fields = {f.name for f in dataclasses.fields(torso)}
    if missing := [name for name in TORSO_FIELDS if name not in fields]:
        raise InputError(f"network '{reference}' lacks the fields {', '.join(missing)}; {GUIDE}")
    return torso


def torso_problem(reference: str, obs_shape: tuple | None) -> str | None:
    """Why the torso cannot be used (it does not resolve, or cannot read `obs_shape`), or None."""
    try:
        torso = resolve_torso(reference)
    except InputError as exc:
        return str(exc)
    check = getattr(torso, "input_problem", None)
    return check(tuple(obs_shape)) if obs_shape is not None and callable(check) else None
