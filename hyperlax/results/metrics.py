"""Learning curve -> the objectives a search can optimise (definitions in README, "Metrics")."""

import math

import numpy as np

from hyperlax.results.objectives import SEED_AGGREGATES


def steps_per_second(env_steps: float, seconds: float) -> float:
    """Env steps trained per second (the cost metric env_steps_per_second); 0.0 before any training."""
    return env_steps / seconds if seconds else 0.0


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


def aggregate_seeds(values, how: str) -> float:
    """One number from per-seed values: mean, iqm, median, min or mean-minus-std (population std)."""
    values = np.asarray(values, dtype=np.float64)
    if how == "mean":
        return float(values.mean())
    if how == "iqm":
        return iqm(values)
    if how == "median":
        return float(np.median(values))
    if how == "min":
        return float(values.min())
    if how == "mean-minus-std":
        return float(values.mean() - values.std())
    raise ValueError(f"unknown seed aggregate '{how}'; valid: {', '.join(SEED_AGGREGATES)}")


def normalized_auc(curves: np.ndarray, eval_steps: np.ndarray, return_range: tuple) -> np.ndarray:
    """Trapezoid of clip((y - R_min) / (R_max - R_min), 0, 1) over [0, t_K] / t_K, with y(0) = R_min, along
    the last axis of `curves` (one curve or one per seed)."""
    r_min, r_max = return_range
    normalized = np.clip((curves - r_min) / (r_max - r_min), 0.0, 1.0)
    t = np.concatenate([[0.0], eval_steps])
    y = np.concatenate([np.zeros(normalized.shape[:-1] + (1,)), normalized], axis=-1)  # y(0) normalised to 0
    return np.trapezoid(y, t, axis=-1) / t[-1]


def compute_metrics(
    returns: np.ndarray, eval_steps: np.ndarray, return_range: tuple, seed_aggregate: str = "mean"
) -> dict:
    """Metrics of one configuration from its eval returns [seeds, evaluations, episodes].

    `mean`: y_k is the mean over seeds and episodes at evaluation k (t_k its env step), and peak, final and
    AUC are taken of that curve. Any other `seed_aggregate` takes them of each seed's curve (the mean over
    episodes) and aggregates the per-seed values. Per-seed values are reported either way.
    stability_score = clip(1 - IQR over seeds of their final returns / (R_max - R_min), 0, 1): 1 when every seed
    ends the same, whatever the spread of episodes within a seed. Without a return range (None) both
    normalised metrics are None: unavailable, never guessed.
    """
    returns = np.asarray(returns, dtype=np.float64)
    eval_steps = np.asarray(eval_steps, dtype=np.float64)
    window = final_window(returns.shape[1])
    per_seed_curves = returns.mean(axis=2)  # [seeds, evaluations]
    per_seed_final = returns[:, -window:, :].mean(axis=(1, 2))
    per_seed_peak = per_seed_curves.max(axis=1)
    known = return_range is not None
    per_seed_auc = normalized_auc(per_seed_curves, eval_steps, return_range) if known else None
    if seed_aggregate == "mean":
        curve = returns.mean(axis=(0, 2))
        peak, final = float(curve.max()), float(curve[-window:].mean())
        auc = float(normalized_auc(curve, eval_steps, return_range)) if known else None
    else:
        peak, final = (aggregate_seeds(v, seed_aggregate) for v in (per_seed_peak, per_seed_final))
        auc = aggregate_seeds(per_seed_auc, seed_aggregate) if known else None
    stability = None
    if known:
        q75, q25 = np.percentile(per_seed_final, [75, 25])
        stability = float(np.clip(1.0 - (q75 - q25) / (return_range[1] - return_range[0]), 0.0, 1.0))
    return {
        "peak_performance": peak,
        "final_performance": final,
        "stability_score": stability,
        "normalized_auc": auc,
        "per_seed_final_returns": [float(v) for v in per_seed_final],
        "per_seed_peak_performance": [float(v) for v in per_seed_peak],
        "per_seed_normalized_auc": [float(v) for v in per_seed_auc] if known else None,
        "final_mean_across_seeds": float(per_seed_final.mean()),
        "final_std_across_seeds": float(per_seed_final.std()),
        "final_iqm_across_seeds": iqm(per_seed_final),
    }
