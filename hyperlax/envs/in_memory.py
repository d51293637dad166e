"""Env objects built in this Python process (hyperlax.optimize(env=my_env)), registered under a generated
reference that takes the place of --env-config: run directories, study names and study.json name them by it.

The reference is derived from what the env is (its class and a digest of its params and return range), so
passing the same object again in another process (a resume from Python) gives the same reference. Other
processes cannot import it: the CLI, validate-best and other workers need an importable `module:make`.
"""

PREFIX = "in_memory."
_SPECS = {}  # reference -> EnvSpec (hyperlax.envs.gymnax), for this process's lifetime


def is_in_memory(reference: str) -> bool:
    return reference.startswith(PREFIX)


def reference_of(class_name: str, digest: str) -> str:
    """in_memory.<Class>_<12 hex digits>: a name that is a directory name on every OS ('.' becomes '_')."""
    return f"{PREFIX}{class_name}_{digest[:12]}"


def register(reference: str, spec) -> None:
    _SPECS[reference] = spec


def registered(reference: str):
    """The EnvSpec registered under `reference`, or None: not in this process."""
    return _SPECS.get(reference)


def spec_of(reference: str):
    """The EnvSpec registered under `reference` in this process; another process's is an input error."""
    from hyperlax.errors import InputError

    spec = registered(reference)
    if spec is None:
        raise InputError(
            f"env '{reference}' was an env object in another Python process; continue in Python with the same "
            "object (hyperlax.optimize(env=...)), or give an importable env (module:make)"
        )
    return spec
