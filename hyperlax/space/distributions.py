"""Search-space distributions and sampling (scrambled Sobol or uniform random), by dotted key."""

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import qmc

from hyperlax.errors import InputError

SAMPLING_METHODS = ("qmc_sobol", "random")


@dataclass(frozen=True)
class Uniform:
    domain: tuple

    def from_unit(self, u: float) -> float:
        low, high = self.domain
        return float(low + u * (high - low))


@dataclass(frozen=True)
class LogUniform:
    domain: tuple

    def from_unit(self, u: float) -> float:
        low, high = self.domain
        return float(math.exp(math.log(low) + u * (math.log(high) - math.log(low))))


@dataclass(frozen=True)
class UniformInt:
    domain: tuple  # inclusive bounds

    def from_unit(self, u: float) -> int:
        low, high = self.domain
        return int(min(high, low + math.floor(u * (high - low + 1))))


@dataclass(frozen=True)
class IntLog(UniformInt):
    """Integers from low to high (inclusive), uniform in log space: Optuna's suggest_int(log=True)."""

    def from_unit(self, u: float) -> int:
        low, high = self.domain
        return int(min(high, math.floor(math.exp(math.log(low) + u * (math.log(high + 1) - math.log(low))))))


@dataclass(frozen=True)
class Categorical:
    values: list

    def from_unit(self, u: float) -> Any:
        return self.values[min(len(self.values) - 1, math.floor(u * len(self.values)))]


DISTRIBUTIONS = (Uniform, LogUniform, UniformInt, IntLog, Categorical)


def is_number(value) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def validate_distribution(key: str, dist) -> None:
    if not isinstance(dist, DISTRIBUTIONS):
        raise InputError(
            f"search space entry '{key}' is {type(dist).__name__}; use Uniform, LogUniform, UniformInt or Categorical"
        )
    if isinstance(dist, Categorical):
        if not isinstance(dist.values, (list, tuple)) or not dist.values:
            raise InputError(f"search space entry '{key}': Categorical needs a non-empty list of values")
        return
    domain = dist.domain
    if not isinstance(domain, (list, tuple)) or len(domain) != 2 or not all(map(is_number, domain)):
        raise InputError(f"search space entry '{key}': domain must be (low, high), two finite numbers; got {domain!r}")
    if not domain[0] <= domain[1]:
        raise InputError(f"search space entry '{key}': domain must be (low, high) with low <= high, got {domain}")
    if isinstance(dist, LogUniform) and domain[0] <= 0:
        raise InputError(f"search space entry '{key}': LogUniform needs a positive lower bound, got {domain}")
    if isinstance(dist, UniformInt) and not all(float(v).is_integer() for v in domain):
        raise InputError(f"search space entry '{key}': UniformInt needs integer bounds, got {domain}")
    if isinstance(dist, IntLog) and domain[0] < 1:
        raise InputError(f"search space entry '{key}': IntLog needs a lower bound of at least 1, got {domain}")


def unit_points(num_samples: int, dim: int, method: str, seed: int) -> np.ndarray:
    """`num_samples` points of [0, 1)^dim; the same (method, seed) always gives the same points."""
    if method == "qmc_sobol":
        sampler = qmc.Sobol(d=max(dim, 1), scramble=True, seed=seed)
        with warnings.catch_warnings():  # Sobol prefers powers of two; other counts are still fine
            warnings.simplefilter("ignore", UserWarning)
            return sampler.random(num_samples)[:, :dim]
    if method == "random":
        return np.random.default_rng(seed).random((num_samples, dim))
    raise InputError(f"unknown sampling method '{method}'; valid: {', '.join(SAMPLING_METHODS)}")


def sample(distributions: dict, num_samples: int, method: str, seed: int) -> list[dict]:
    """`num_samples` configurations `{dotted_key: value}` drawn from `distributions`."""
    keys = sorted(distributions)
    points = unit_points(num_samples, len(keys), method, seed)
    return [{key: distributions[key].from_unit(float(u)) for key, u in zip(keys, row, strict=True)} for row in points]
