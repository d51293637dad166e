"""A user's own env: `--env-config path/to/file.py:make` or `package.module:make`, where `make(**kwargs)`
returns `(env, env_params)` and `env` satisfies protocol.Env (any gymnax Environment does).

The reference is stored with a run beside the file's absolute path and SHA-256 (`source_of`), so a resume, a
validation or a worker elsewhere finds the same file again and notices when it changed.
"""

import hashlib
import importlib.util
import json
from pathlib import Path

from hyperlax.envs.protocol import Env
from hyperlax.envs.spec import EnvSpec, build_spec
from hyperlax.errors import InputError, raised
from hyperlax.registry import is_file_reference, load_reference, split_reference


def is_user_reference(reference: str) -> bool:
    """file.py[:attr], a path, or package.module:attr."""
    return is_file_reference(reference) or ":" in reference


def source_file(reference: str) -> Path | None:
    """The file that defines the factory: the .py file named, or the module's file once imported."""
    where, _ = split_reference(reference)
    if is_file_reference(reference):
        return Path(where).expanduser().resolve()
    try:
        found = importlib.util.find_spec(where)  # imports parent packages, not the module itself
    except (Exception, SystemExit):
        return None
    return Path(found.origin).resolve() if found is not None and found.origin not in (None, "built-in") else None


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_of(reference: str) -> dict | None:
    """{"path", "sha256"} of the factory's file, or None (not a user env, or no file behind the module)."""
    path = source_file(reference) if is_user_reference(reference) else None
    if path is None or not path.is_file():
        return None
    return {"path": str(path), "sha256": file_hash(path)}


def make_user_env(reference: str, kwargs: dict | None = None, return_range=None) -> EnvSpec:
    """The EnvSpec of `make(**kwargs)`'s (env, env_params); every problem is one InputError line."""
    what = f"env '{reference}'"
    where, attr = split_reference(reference)
    if attr is None:
        raise InputError(f"{what}: name the factory too, e.g. {where}:make")
    factory = load_reference(reference, {}, "env")
    if not callable(factory):
        raise InputError(f"{what}: {attr} is not callable; it must be make(**kwargs) -> (env, env_params)")
    try:
        made = factory(**(kwargs or {}))
    except (Exception, SystemExit) as exc:
        raise InputError(f"{what}: {attr}({kwargs_text(kwargs)}) raised {raised(exc)}") from None
    if not isinstance(made, tuple | list) or len(made) != 2:
        got = f"a {len(made)}-tuple" if isinstance(made, tuple | list) else type(made).__name__
        raise InputError(f"{what}: {attr} returned {got}; it must return (env, env_params)")
    env, params = made
    if not isinstance(env, Env):
        missing = [m for m in ("reset", "step", "observation_space", "action_space") if not hasattr(env, m)]
        raise InputError(f"{what}: the env {type(env).__name__} lacks {', '.join(missing)} (see envs/protocol.py)")
    source = source_of(reference)
    env_id = f"{source['path'] if source and is_file_reference(reference) else where}:{attr}"
    extra = hashlib.sha256(f"{source and source['sha256']}{json.dumps(kwargs, sort_keys=True)}".encode()).hexdigest()
    return build_spec(reference, env_id, env, params, return_range, extra_digest=extra[:16])


def kwargs_text(kwargs: dict | None) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in (kwargs or {}).items())
