"""The names a search can optimise and aggregate by: plain constants, so the options read them without
importing numpy (definitions in README, "Metrics"; computed in hyperlax.results.metrics)."""

OBJECTIVES = ("peak_performance", "final_performance", "stability_score", "normalized_auc")
# How per-seed values become one number. `mean` keeps the pooled definitions (the curve is the mean over
# seeds first); the others compute peak, final and AUC per seed and then aggregate them.
SEED_AGGREGATES = ("mean", "iqm", "median", "min", "mean-minus-std")
# Objectives that the eval return at an evaluation forecasts: a pruner may compare those returns.
RETURN_OBJECTIVES = ("peak_performance", "final_performance", "normalized_auc")
# Objectives that need the env's return range (R_min, R_max); an env without one cannot be optimised for them.
RANGE_OBJECTIVES = ("stability_score", "normalized_auc")
