"""hyperlax: train many hyperparameter configurations of an RL agent as one compiled JAX program."""

import os

# XLA:CPU's multi-threaded Eigen pool can deadlock on vmapped training programs: we saw processes wait
# forever for a segment's result, with every pool thread idle. Single-threaded Eigen avoids it; set
# --xla_cpu_multi_thread_eigen yourself in XLA_FLAGS to choose otherwise. It must be set before JAX
# starts its backend, hence here.
if "xla_cpu_multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_cpu_multi_thread_eigen=false".strip()

__version__ = "0.1.0"
