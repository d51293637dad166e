import numpy as np
import pytest
import scipy.stats

from hyperlax.results import metrics
from hyperlax.results.intervals import improvement_interval, iqm, iqm_interval, probability_of_improvement


def test_the_iqm_interval_covers_the_true_mean_in_at_least_90_of_100_repeats():
    # Normal scores: the population IQM is the mean. 10 seeds per repeat; a 95% interval should miss ~5.
    rng = np.random.default_rng(2021)
    covered = 0
    for repeat in range(100):
        scores = rng.normal(-200.0, 50.0, size=10)
        interval = iqm_interval(scores, seed=repeat)
        covered += interval.low <= -200.0 <= interval.high
    assert covered >= 90


def test_the_interval_is_around_the_estimate_and_narrows_with_more_seeds():
    rng = np.random.default_rng(0)
    few, many = iqm_interval(rng.normal(0, 1, 5)), iqm_interval(rng.normal(0, 1, 200))
    assert few.low <= few.estimate <= few.high and many.low <= many.estimate <= many.high
    assert many.high - many.low < few.high - few.low


def test_an_interval_is_reproducible_from_its_seed():
    scores = [-150.0, -300.0, -180.0, -900.0, -160.0]
    assert iqm_interval(scores, seed=3) == iqm_interval(scores, seed=3)
    assert improvement_interval(scores, [-400.0, -500.0, -150.0], seed=3) == improvement_interval(
        scores, [-400.0, -500.0, -150.0], seed=3
    )


def test_iqm_is_the_trimmed_mean_metrics_reports():
    values = [1.0, 2.0, 3.0, 4.0, 100.0, -100.0, 5.0, 6.0]
    assert iqm(np.array(values)) == pytest.approx(metrics.iqm(values)) == pytest.approx(3.5)
    assert iqm(np.array([10.0, 20.0, 35.0, 40.0, 100.0])) == pytest.approx(metrics.iqm([10, 20, 35, 40, 100]))


def test_probability_of_improvement_counts_every_pair_and_ties_as_half():
    # pairs of [3, 4] with [1, 3]: 3>1, 3=3, 4>1, 4>3 -> (3 + 0.5) / 4
    assert probability_of_improvement([3.0, 4.0], [1.0, 3.0]) == pytest.approx(0.875)
    assert probability_of_improvement([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == pytest.approx(0.5)
    x, y = [5.0, 1.0, 7.0, 7.0], [7.0, 2.0, 0.5]
    u = scipy.stats.mannwhitneyu(x, y, alternative="greater").statistic
    assert probability_of_improvement(x, y) == pytest.approx(u / (len(x) * len(y)))


def test_improvement_over_a_clearly_worse_baseline_is_one_with_a_tight_interval():
    interval = improvement_interval([-150.0, -160.0, -170.0], [-900.0, -1000.0, -1100.0])
    assert (interval.estimate, interval.low, interval.high) == (1.0, 1.0, 1.0)


def test_a_configuration_against_itself_has_probability_one_half():
    scores = [-150.0, -300.0, -180.0]
    interval = improvement_interval(scores, scores)
    assert interval.estimate == 0.5 and interval.low < 0.5 < interval.high


def test_one_seed_gives_no_interval_and_equal_seeds_a_point():
    assert iqm_interval([-150.0]).as_dict() == {"estimate": -150.0, "ci_low": None, "ci_high": None}
    point = iqm_interval([500.0, 500.0, 500.0])
    assert (point.estimate, point.low, point.high) == (500.0, 500.0, 500.0)
