import math

import numpy as np
import pytest

from hyperlax.engine.runner import metrics_row
from hyperlax.results.metrics import aggregate_seeds, compute_metrics, final_window, iqm


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


def test_stability_is_one_when_every_seed_ends_the_same_however_its_episodes_spread():
    returns = np.zeros((3, 5, 2))
    returns[:, :, 0], returns[:, :, 1] = -100.0, -300.0  # each seed: episodes -100 and -300, final -200
    assert compute_metrics(returns, np.arange(1, 6), (-1600, 0))["stability_score"] == 1.0


def test_stability_is_one_minus_the_iqr_of_per_seed_finals_over_the_reference_range():
    returns = np.zeros((4, 2, 1))
    returns[:, -1, 0] = [100, 200, 300, 400]  # final window = last evaluation
    m = compute_metrics(returns, np.array([1, 2]), (0, 500))
    assert m["stability_score"] == pytest.approx(1 - (325 - 175) / 500)  # quartiles 175 and 325 (linear)


def test_stability_looks_only_at_the_final_window():
    returns = np.zeros((2, 3, 1))
    returns[:, 0, 0] = [-1600, 0]  # the seeds differ early and end the same
    returns[:, -1, 0] = -150.0
    assert compute_metrics(returns, np.array([1, 2, 3]), (-1600, 0))["stability_score"] == 1.0


def test_stability_does_not_depend_on_the_seed_aggregate():
    returns = np.array([-1000.0, -1000.0, -200.0, -200.0])[:, None, None]
    expected = 1 - (-200 - -1000) / 1600
    for how in ("mean", "iqm", "min"):
        m = compute_metrics(returns, np.array([1]), (-1600, 0), seed_aggregate=how)
        assert m["stability_score"] == pytest.approx(expected)


def test_stability_is_clipped_at_zero_for_a_spread_wider_than_the_reference_range():
    returns = np.array([-10.0, -10.0, 20.0, 20.0])[:, None, None]
    assert compute_metrics(returns, np.array([1]), (0, 10))["stability_score"] == 0.0


def test_per_seed_final_returns_and_iqm():
    returns = np.zeros((4, 1, 2))
    returns[:, 0, :] = np.array([[1, 3], [2, 2], [10, 10], [-4, 0]])
    m = compute_metrics(returns, np.array([1]), (0, 10))
    assert m["per_seed_final_returns"] == [2.0, 2.0, 10.0, -2.0]
    assert m["final_iqm_across_seeds"] == pytest.approx(2.0)  # middle two of [-2, 2, 2, 10]
    assert iqm([1, 2, 3, 4, 100, -100, 5, 6]) == pytest.approx(3.5)
    assert math.isclose(m["final_mean_across_seeds"], 3.0)


# Per-seed final returns of five seeds, one evaluation each: mean 41, IQM (20 + 35 + 40) / 3, median 35, min 10.
FIVE_SEEDS = [10.0, 20.0, 35.0, 40.0, 100.0]


@pytest.mark.parametrize(
    "how, expected",
    [
        ("mean", 41.0),
        ("iqm", (20 + 35 + 40) / 3),
        ("median", 35.0),
        ("min", 10.0),
        ("mean-minus-std", 41.0 - math.sqrt(sum((v - 41.0) ** 2 for v in FIVE_SEEDS) / 5)),
    ],
)
def test_each_seed_aggregate_of_hand_made_per_seed_values(how, expected):
    assert aggregate_seeds(FIVE_SEEDS, how) == pytest.approx(expected)
    returns = np.array(FIVE_SEEDS)[:, None, None]  # [seeds, 1 evaluation, 1 episode]
    m = compute_metrics(returns, np.array([100]), (0, 200), seed_aggregate=how)
    assert m["final_performance"] == pytest.approx(expected)
    assert m["peak_performance"] == pytest.approx(expected)
    assert m["normalized_auc"] == pytest.approx(expected / 200 / 2)  # trapezoid from 0 at t=0
    assert m["per_seed_final_returns"] == FIVE_SEEDS


def test_an_unknown_seed_aggregate_is_refused():
    with pytest.raises(ValueError, match="unknown seed aggregate 'best'"):
        aggregate_seeds([1.0, 2.0], "best")


def test_peak_is_taken_per_seed_before_aggregating_but_of_the_mean_curve_with_mean():
    returns = np.array([[0.0, 10.0], [10.0, 0.0]])[:, :, None]  # seed 0 peaks last, seed 1 first
    pooled = compute_metrics(returns, np.array([1, 2]), (0, 10))
    per_seed = compute_metrics(returns, np.array([1, 2]), (0, 10), seed_aggregate="min")
    assert pooled["peak_performance"] == 5.0  # the seed-mean curve is flat at 5
    assert per_seed["peak_performance"] == 10.0  # each seed reached 10
    assert pooled["per_seed_peak_performance"] == per_seed["per_seed_peak_performance"] == [10.0, 10.0]


def test_normalized_auc_is_clipped_per_seed_before_aggregating():
    returns = np.array([[20.0], [-10.0]])[:, :, None]  # one seed above R_max, one below R_min
    m = compute_metrics(returns, np.array([1]), (0, 10), seed_aggregate="median")
    assert m["per_seed_normalized_auc"] == [0.5, 0.0]  # clip to 1 and 0, trapezoid from 0 at t=0
    assert m["normalized_auc"] == pytest.approx(0.25)
    assert compute_metrics(returns, np.array([1]), (0, 10))["normalized_auc"] == pytest.approx(0.25)  # pooled 5


def test_final_performance_per_seed_uses_the_final_window_of_each_seed():
    returns = np.zeros((3, 11, 2))  # K = 11: the final window is the last two evaluations
    returns[:, -2:, :] = np.array([1.0, 4.0, 7.0])[:, None, None]
    returns[2, -1, :] = 9.0  # seed 2: mean of 7 and 9
    m = compute_metrics(returns, np.arange(1, 12), (0, 10), seed_aggregate="min")
    assert m["per_seed_final_returns"] == [1.0, 4.0, 8.0]
    assert m["final_performance"] == 1.0


def test_the_runner_row_uses_the_seed_aggregate_it_is_given():
    returns = np.array(FIVE_SEEDS)[:, None, None]
    row = metrics_row(3, returns, np.array([100]), True, (0, 200), "min")
    assert row["final_performance"] == 10.0 and row["status"] == "ok"
    assert metrics_row(3, returns, np.array([100]), True, (0, 200))["final_performance"] == 41.0


@pytest.mark.parametrize("how", ["mean", "iqm"])
def test_without_a_return_range_the_normalised_metrics_are_unavailable_not_guessed(how):
    returns = np.arange(2 * 4 * 3, dtype=float).reshape(2, 4, 3)  # [seeds, evaluations, episodes]
    m = compute_metrics(returns, np.array([10.0, 20.0, 30.0, 40.0]), None, how)
    assert np.isnan(m["stability_score"]) and np.isnan(m["normalized_auc"])
    assert all(np.isnan(v) for v in m["per_seed_normalized_auc"])
    assert (
        m["final_performance"]
        == compute_metrics(returns, np.array([10.0, 20.0, 30.0, 40.0]), (0, 1), how)["final_performance"]
    )
