"""A zoo entry's figures as text: an estimate with its interval, and a new run beside the shipped one."""

from hyperlax.zoo.entries import ZooEntry


def interval_text(estimate, low, high, digits: str = ".4g", label: str = "") -> str:
    """`500 [480, 500]` (with `label` "95% CI ": `500 [95% CI 480, 500]`), or the estimate alone when there is
    no interval."""
    if low is None or high is None:
        return format(estimate, digits)
    return f"{estimate:{digits}} [{label}{low:{digits}}, {high:{digits}}]"


def result_text(result: dict, label: str = "") -> str:
    """A validated configuration's IQM over seeds with its 95% CI."""
    return interval_text(result["iqm"], result["low"], result["high"], label=label)


CI = "95% CI "


def seeds_text(run: dict) -> str:
    return f"{run['num_seeds']} seeds from seed {run['seed']}, {run['total_timesteps']:,} steps"


def reproduction_line(entry: ZooEntry, per_seed: list, iqm: dict, seed: int, steps: int) -> str:
    """A run of the entry's spec beside the shipped tuned figure: the same per-seed returns, or whether the
    new IQM (`iqm`: estimate, ci_low, ci_high) lies inside the shipped 95% CI."""
    validation, tuned = entry.validation, entry.validation["tuned"]
    shipped = f"shipped tuned IQM {result_text(tuned, CI)} ({seeds_text(validation)})"
    new_iqm = interval_text(iqm["estimate"], iqm["ci_low"], iqm["ci_high"], label=CI)
    new = f"this run {new_iqm} ({seeds_text({'num_seeds': len(per_seed), 'seed': seed, 'total_timesteps': steps})})"
    if list(per_seed) == list(tuned["per_seed"]):
        reading = "the shipped per-seed returns, reproduced exactly"
    elif tuned["low"] is None or tuned["high"] is None:
        reading = "the shipped figure has no interval to compare with"
    elif tuned["low"] <= iqm["estimate"] <= tuned["high"]:
        reading = "its IQM lies inside the shipped 95% CI"
    else:
        reading = "its IQM lies outside the shipped 95% CI"
    return f"zoo {entry.pair}: {shipped}; {new}: {reading}"
