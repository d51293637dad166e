"""Provenance: the versions of what decides a run's numbers (hyperlax, JAX and its libraries, Optuna, the env's
package) and the JAX backend, kept in sweep.json / study.json / pbt.json; a resume under others warns in one line.

Versions come from the installed distributions' metadata (importlib.metadata), so reading them imports nothing;
the backend is JAX's default one, which the run has started anyway.
"""

import functools
import importlib.metadata
import logging

import jax

import hyperlax

log = logging.getLogger(__name__)
PACKAGES = ("jax", "jaxlib", "flax", "optax", "optuna", "gymnax")
BACKEND = "jax_backend"


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def env_package(env) -> str | None:
    """The distribution that provides `env`'s class (gymnax, brax, a user's package), when one does."""
    return distribution_of(type(env).__module__.split(".")[0])


@functools.cache
def distribution_of(top_level_module: str) -> str | None:
    names = importlib.metadata.packages_distributions().get(top_level_module, [])
    return names[0] if names else None


def versions(env=None) -> dict:
    """{package: version} of hyperlax, PACKAGES and the env's package, and the JAX backend (cpu, gpu, tpu)."""
    found = {"hyperlax": hyperlax.__version__, **{name: package_version(name) for name in PACKAGES}}
    package = None if env is None else env_package(env)
    if package is not None and package not in found:
        found[package] = package_version(package)
    found[BACKEND] = jax.default_backend()
    return found


def changes(stored: dict, current: dict) -> list:
    """`name stored -> current` for each recorded version (or the backend) that differs; a name the stored
    record lacks is not a change (runs written before a package was recorded)."""
    return [f"{k} {stored[k]} -> {current.get(k)}" for k in sorted(stored) if stored[k] != current.get(k)]


def warn_if_changed(stored_record: dict, where) -> None:
    """One warning line when a resumed run's stored versions differ from this process's: it proceeds."""
    stored = stored_record.get("versions") if isinstance(stored_record, dict) else None
    if not isinstance(stored, dict):
        return
    changed = changes(stored, versions())
    if changed:
        log.warning("%s was written with other versions (%s): results may differ", where, ", ".join(changed))
