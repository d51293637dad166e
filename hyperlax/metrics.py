"""Learning curve -> the objectives a search can optimise (definitions in README, "Metrics")."""

import math

import numpy as np

OBJECTIVES = ("peak_performance", "final_performance", "stability_score", "normalized_auc")


def final_window(num_evaluations: int) -> int:
    """The last max(1, ceil(K/10)) evaluations count as 'final'."""
    return max(1, math.ceil(num_evaluations / 10))


def iqm(values: np.ndarray) -> float:
    """Interquartile mean: the mean of the values between the 25th and 75th percentiles."""
    values = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n = len(values)
    cut = int(math.floor(n * 0.25))
    middle = values[cut : n - cut] if n - 2 * cut > 0 else values
    return float(np.mean(middle))


def compute_metrics(returns: np.ndarray, eval_steps: np.ndarray, return_range: tuple) -> dict:
    """Metrics of one configuration from its eval returns [seeds, evaluations, episodes].

    y_k is the mean over seeds and episodes at evaluation k; t_k its env step.
    """
    returns = np.asarray(returns, dtype=np.float64)
    eval_steps = np.asarray(eval_steps, dtype=np.float64)
    curve = returns.mean(axis=(0, 2))
    window = final_window(len(curve))
    final_pool = returns[:, -window:, :].ravel()
    q75, q50, q25 = np.percentile(final_pool, [75, 50, 25])
    r_min, r_max = return_range
    normalized = np.clip((curve - r_min) / (r_max - r_min), 0.0, 1.0)
    t = np.concatenate([[0.0], eval_steps])
    y = np.concatenate([[0.0], normalized])  # y(0) = R_min, normalised to 0
    per_seed_final = returns[:, -window:, :].mean(axis=(1, 2))
    return {
        "peak_performance": float(curve.max()),
        "final_performance": float(curve[-window:].mean()),
        "stability_score": float(np.clip(1.0 - (q75 - q25) / (abs(q50) + 1e-8), 0.0, 1.0)),
        "normalized_auc": float(np.trapezoid(y, t) / t[-1]),
        "per_seed_final_returns": [float(v) for v in per_seed_final],
        "final_mean_across_seeds": float(per_seed_final.mean()),
        "final_std_across_seeds": float(per_seed_final.std()),
        "final_iqm_across_seeds": iqm(per_seed_final),
    }


# Objectives that the eval return at an evaluation forecasts: a pruner may compare those returns.
RETURN_OBJECTIVES = ("peak_performance", "final_performance", "normalized_auc")
