"""The names a search can optimise and aggregate by: plain constants, so the options read them without
importing numpy (definitions in README, "Metrics"; computed in hyperlax.results.metrics)."""

OBJECTIVES = ("peak_performance", "final_performance", "stability_score", "normalized_auc")
# What a trial costs, recorded with each trial of a study: its training seconds (the pool steps it was in),
# the env steps per second of its pool, and the trainable parameters of its networks.
COST_METRICS = ("wall_seconds", "env_steps_per_second", "param_count")
STUDY_OBJECTIVES = (*OBJECTIVES, *COST_METRICS)
# Every number a trial records, so every name a --constraint may bound.
CONSTRAINT_METRICS = (
    *STUDY_OBJECTIVES,
    "final_mean_across_seeds",
    "final_std_across_seeds",
    "final_iqm_across_seeds",
    "compile_seconds",
)
# How per-seed values become one number. `mean` keeps the pooled definitions (the curve is the mean over
# seeds first); the others compute peak, final and AUC per seed and then aggregate them.
SEED_AGGREGATES = ("mean", "iqm", "median", "min", "mean-minus-std")
# Objectives that the eval return at an evaluation forecasts: a pruner may compare those returns.
RETURN_OBJECTIVES = ("peak_performance", "final_performance", "normalized_auc")
# Objectives that divide by the env's return range: unavailable (NaN) for an env without one.
RANGE_OBJECTIVES = ("stability_score", "normalized_auc")
