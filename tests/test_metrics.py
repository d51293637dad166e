import math

import numpy as np
import pytest

from hyperlax.metrics import compute_metrics, final_window, iqm


def curve_returns(curve, seeds=1, episodes=1):
    """Returns [seeds, evaluations, episodes] whose mean curve is `curve`."""
    return np.tile(np.asarray(curve, float)[None, :, None], (seeds, 1, episodes))


def test_final_window_is_a_tenth_rounded_up_and_at_least_one():
    assert [final_window(k) for k in (1, 9, 10, 11, 20, 21)] == [1, 1, 1, 2, 2, 3]


def test_peak_and_final_performance_of_a_hand_curve():
    curve = [-1000, -500, -200, -300]  # K=4: final window is the last evaluation
    m = compute_metrics(curve_returns(curve), np.array([25, 50, 75, 100]), (-1600, 0))
    assert m["peak_performance"] == -200
    assert m["final_performance"] == -300


def test_final_performance_averages_the_last_tenth():
    curve = list(range(11))  # K=11: window of 2 -> mean of 9 and 10
    m = compute_metrics(curve_returns(curve), np.arange(1, 12) * 10, (0, 10))
    assert m["final_performance"] == pytest.approx(9.5)


def test_normalized_auc_is_the_trapezoid_from_r_min_at_step_zero():
    # y(0)=R_min -> 0; normalised curve 0.5, 1.0 at t=50, 100
    m = compute_metrics(curve_returns([250, 500]), np.array([50, 100]), (0, 500))
    expected = (0.5 * (0 + 0.5) * 50 + 0.5 * (0.5 + 1.0) * 50) / 100
    assert m["normalized_auc"] == pytest.approx(expected)


def test_normalized_auc_clips_outside_the_reference_range():
    m = compute_metrics(curve_returns([-5000, 100]), np.array([1, 2]), (-1600, 0))
    assert m["normalized_auc"] == pytest.approx((0 + 0.5 * (0 + 1) * 1) / 2)


def test_stability_is_one_when_every_seed_ends_the_same():
    returns = np.full((3, 5, 4), -150.0)
    assert compute_metrics(returns, np.arange(1, 6), (-1600, 0))["stability_score"] == 1.0


def test_stability_uses_iqr_over_median_of_pooled_final_returns():
    returns = np.zeros((4, 2, 1))
    returns[:, -1, 0] = [100, 200, 300, 400]  # final window = last evaluation
    q25, q50, q75 = np.percentile([100, 200, 300, 400], [25, 50, 75])
    m = compute_metrics(returns, np.array([1, 2]), (0, 500))
    assert m["stability_score"] == pytest.approx(1 - (q75 - q25) / q50)


def test_stability_is_clipped_at_zero_for_spread_larger_than_the_return():
    returns = np.zeros((4, 1, 1))
    returns[:, 0, 0] = [-10, -1, 1, 10]
    assert compute_metrics(returns, np.array([1]), (-10, 10))["stability_score"] == 0.0


def test_per_seed_final_returns_and_iqm():
    returns = np.zeros((4, 1, 2))
    returns[:, 0, :] = np.array([[1, 3], [2, 2], [10, 10], [-4, 0]])
    m = compute_metrics(returns, np.array([1]), (0, 10))
    assert m["per_seed_final_returns"] == [2.0, 2.0, 10.0, -2.0]
    assert m["final_iqm_across_seeds"] == pytest.approx(2.0)  # middle two of [-2, 2, 2, 10]
    assert iqm([1, 2, 3, 4, 100, -100, 5, 6]) == pytest.approx(3.5)
    assert math.isclose(m["final_mean_across_seeds"], 3.0)
