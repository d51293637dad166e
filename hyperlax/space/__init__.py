"""Search spaces: distributions (what a recipe imports), YAML search-space specs and recipes."""

from hyperlax.space.distributions import Categorical, IntLog, LogUniform, Uniform, UniformInt

__all__ = ["Categorical", "IntLog", "LogUniform", "Uniform", "UniformInt"]
