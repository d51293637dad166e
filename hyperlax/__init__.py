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
