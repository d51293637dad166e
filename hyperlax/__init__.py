"""hyperlax: train many hyperparameter configurations of an RL agent as one compiled JAX program."""

__version__ = "0.1.0"
