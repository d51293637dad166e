"""--env-config references to EnvSpecs: a prefix picks the adapter (`gymnax:<id>`; another adapter adds its
prefix to ADAPTERS), a short name of the catalog is a gymnax alias, and anything else that looks like code
(`path/to/file.py:make`, `package.module:make`) is the user's own factory."""

import re
from pathlib import Path

from hyperlax.envs import in_memory
from hyperlax.envs.catalog import ALIASES
from hyperlax.envs.gymnax import gymnax_ids, make_gymnax
from hyperlax.envs.spec import EnvSpec
from hyperlax.envs.user import is_user_reference, make_user_env
from hyperlax.errors import InputError
from hyperlax.registry import is_file_reference, split_reference


# prefix -> adapter(reference, what follows the prefix, kwargs, return_range) -> EnvSpec
def make_brax(reference: str, name: str, kwargs: dict | None = None, return_range=None) -> EnvSpec:
    from hyperlax.envs.brax import make_brax as make  # brax is an optional extra: imported only when named

    return make(reference, name, kwargs, return_range)


ADAPTERS = {"gymnax": make_gymnax, "brax": make_brax}


def make_env(reference: str, kwargs: dict | None = None, return_range=None) -> EnvSpec:
    """The env a --env-config names, its parameters changed by `kwargs`, with `return_range` when given."""
    if not isinstance(reference, str) or not reference.strip():
        raise InputError(f"unknown env config {reference!r}; valid: {valid_text()}")
    if in_memory.is_in_memory(reference):
        return in_memory.spec_of(reference)
    if reference in ALIASES:
        return make_gymnax(reference, ALIASES[reference], kwargs, return_range)
    prefix, colon, rest = reference.partition(":")
    if colon and prefix in ADAPTERS:
        return ADAPTERS[prefix](reference, rest, kwargs, return_range)
    if is_user_reference(reference):
        return make_user_env(reference, kwargs, return_range)
    raise InputError(f"unknown env config '{reference}'; valid: {valid_text()}")


def valid_text() -> str:
    return (
        f"{', '.join(ALIASES)}, gymnax:<id> (id one of {', '.join(gymnax_ids())}), "
        f"brax:<name> (the brax extra), path/to/file.py:make or package.module:make"
    )


def env_dir_name(reference: str) -> str:
    """The run directory's name for an env: gymnax.pendulum -> gymnax_pendulum, gymnax:Breakout-MinAtar ->
    gymnax_Breakout-MinAtar, path/to/my_env.py:make -> my_env_make."""
    if is_file_reference(reference):
        where, attr = split_reference(reference)
        reference = Path(where).stem + (f"_{attr}" if attr else "")
    return re.sub(r"[^A-Za-z0-9_-]", "_", reference)
