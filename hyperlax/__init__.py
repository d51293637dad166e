"""hyperlax: train many hyperparameter configurations of an RL agent as one compiled JAX program."""

import os

__version__ = "0.1.0"


def configure_xla() -> None:
    """Set the XLA flags hyperlax's training programs are measured and tested with; call it before JAX
    starts its backend (before the first JAX computation). The CLI calls it first thing.

    XLA:CPU then runs single-threaded Eigen inside each program: hyperlax gets its parallelism from running
    2-config programs side by side, and multi-threaded Eigen was once seen to hang vmapped training programs
    (every pool thread idle). A choice of --xla_cpu_multi_thread_eigen already in XLA_FLAGS is kept.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()


from hyperlax.errors import InputError  # noqa: E402  (light: no JAX, no Optuna)

API = (
    "optimize",
    "sweep",
    "pbt",
    "train",
    "evaluate",
    "load_agent",
    "zoo_entries",
    "StudyResult",
    "SweepResult",
    "PBTResult",
)


def __getattr__(name: str):
    """hyperlax.optimize and the rest of the Python API (hyperlax.api), imported when first used: the API's
    modules import the commands, which import JAX and Optuna, and `import hyperlax` (the CLI's --help too)
    must stay light. importlib, not an import statement: the package root is the lowest layer."""
    if name in API:
        import importlib

        return getattr(importlib.import_module("hyperlax.api"), name)
    raise AttributeError(f"module 'hyperlax' has no attribute {name!r}")


def __dir__() -> list:
    return sorted([*globals(), *API])


__all__ = ["InputError", "__version__", "configure_xla", *API]
