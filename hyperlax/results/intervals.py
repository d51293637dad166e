"""Interval estimates over seeds, the protocol of rliable (Agarwal et al. 2021, "Deep RL at the edge of the
statistical precipice"): the interquartile mean of per-seed scores with a 95% stratified-bootstrap
confidence interval, and the probability of improvement of one configuration over another with its own.

A stratified bootstrap resamples runs within each task; with one task (one env) it is the bootstrap over
seeds, and the percentile interval of `scipy.stats.bootstrap` computes it. The `rliable` package itself
(1.2.0) does not import with pandas 3 (its `arch` dependency fails), would add arch, statsmodels, pandas
and seaborn to the dependencies, and its bootstrap draws resamples from NumPy's global generator whatever
`random_state` it is given; here every interval comes from a seeded generator, so a report is
reproducible, and on the same data the intervals agree with rliable's to the bootstrap's sampling noise.
"""

from dataclasses import dataclass

import numpy as np
import scipy.stats

CONFIDENCE = 0.95
RESAMPLES = 10_000


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float | None  # None: fewer than two seeds, nothing to resample
    high: float | None

    def as_dict(self) -> dict:
        return {"estimate": self.estimate, "ci_low": self.low, "ci_high": self.high}


def iqm(values, axis=-1):
    """Interquartile mean along `axis`: the 25% trimmed mean, as rliable's aggregate_iqm (and metrics.iqm)."""
    return scipy.stats.trim_mean(values, 0.25, axis=axis)


def probability_of_improvement(x, y, axis=-1):
    """P(X > Y) + 0.5 P(X = Y) over every pair of a value of `x` and one of `y` (Mann-Whitney U / (n m))."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)[..., :, None]
    y = np.moveaxis(np.asarray(y, dtype=np.float64), axis, -1)[..., None, :]
    return (x > y).mean(axis=(-2, -1)) + 0.5 * (x == y).mean(axis=(-2, -1))


def bootstrap_interval(
    statistic, samples: tuple, seed: int = 0, confidence: float = CONFIDENCE, resamples: int = RESAMPLES
) -> Interval:
    """`statistic(*samples)` and its percentile bootstrap interval; each sample is resampled on its own (the
    seeds of two configurations are independent), from a generator seeded with `seed`."""
    samples = tuple(np.asarray(s, dtype=np.float64) for s in samples)
    estimate = float(statistic(*samples))
    if any(len(s) < 2 for s in samples):
        return Interval(estimate, None, None)
    if all(np.all(s == s[0]) for s in samples):  # every resample is the sample itself
        return Interval(estimate, estimate, estimate)
    result = scipy.stats.bootstrap(
        samples,
        statistic,
        n_resamples=resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        axis=-1,
        rng=np.random.default_rng(seed),
    )
    return Interval(estimate, float(result.confidence_interval.low), float(result.confidence_interval.high))


def iqm_interval(values, seed: int = 0) -> Interval:
    """The IQM of per-seed scores with its 95% bootstrap interval."""
    return bootstrap_interval(iqm, (values,), seed)


def improvement_interval(values, baseline, seed: int = 0) -> Interval:
    """The probability that a seed of `values` beats one of `baseline`, with its 95% bootstrap interval."""
    return bootstrap_interval(probability_of_improvement, (values, baseline), seed)
