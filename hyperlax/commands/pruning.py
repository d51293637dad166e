"""Pruners by name, over a trial's evaluations: the intermediate value at step k is the mean eval return at
evaluation k. Shared by optuna-hp-search (the study's pruner) and sweep-hp-samples (an in-memory study
that only decides pruning).

`halving` is Optuna's SuccessiveHalvingPruner: asynchronous successive halving (ASHA). A trial reaching a
rung (min_resource * reduction_factor**i evaluations) continues when it is in the top 1/reduction_factor
of the results at that rung so far; it never waits for other trials. With the slot pool, a pruned trial's
slot is refilled at once, so pruning saves compute on any device. It is the recommended pruner.
"""

from dataclasses import dataclass

import optuna

from hyperlax.errors import InputError
from hyperlax.results.objectives import RETURN_OBJECTIVES

PRUNERS = ("none", "median", "halving", "hyperband")


@dataclass(frozen=True)
class PrunerSettings:
    name: str = "none"
    startup_trials: int | None = None  # median: trials before any pruning (5); halving/hyperband: bootstrap count (0)
    warmup_evaluations: int | None = (
        None  # median: evaluations before pruning (K // 3); halving/hyperband: min resource (1)
    )
    reduction_factor: int | None = None  # halving (4), hyperband (3)

    @classmethod
    def of(cls, options) -> "PrunerSettings":
        """The settings a command's PrunerArgs fields give."""
        return cls(
            options.pruner or "none",
            options.pruner_startup_trials,
            options.pruner_warmup_evaluations,
            options.halving_reduction_factor,
        )


def make_pruner(settings: PrunerSettings, num_evaluations: int):
    """The named Optuna pruner; unset settings take the defaults above (rl-baselines3-zoo's for median)."""
    s = settings
    if s.name == "none":
        return optuna.pruners.NopPruner()
    if s.name == "median":
        warmup = num_evaluations // 3 if s.warmup_evaluations is None else s.warmup_evaluations
        return optuna.pruners.MedianPruner(n_startup_trials=_or(s.startup_trials, 5), n_warmup_steps=warmup)
    if s.name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=_or(s.warmup_evaluations, 1),
            reduction_factor=_or(s.reduction_factor, 4),
            bootstrap_count=_or(s.startup_trials, 0),
        )
    return optuna.pruners.HyperbandPruner(
        min_resource=_or(s.warmup_evaluations, 1),
        max_resource=num_evaluations,
        reduction_factor=_or(s.reduction_factor, 3),
        bootstrap_count=_or(s.startup_trials, 0),
    )


def _or(value, default):
    return default if value is None else value


def check_pruner(settings: PrunerSettings, objective_names: list, num_evaluations: int) -> None:
    name = settings.name
    if name not in PRUNERS:
        raise InputError(f"unknown pruner '{name}'; valid: {', '.join(PRUNERS)}")
    if name == "none":
        return
    if len(objective_names) > 1:
        raise InputError(
            f"--pruner {name}: Optuna prunes single-objective studies only, {len(objective_names)} objectives "
            f"given; use --pruner none"
        )
    if objective_names[0] not in RETURN_OBJECTIVES:
        raise InputError(
            f"--pruner {name} compares eval returns, which do not forecast {objective_names[0]}; "
            f"use it with {', '.join(RETURN_OBJECTIVES)}, or --pruner none"
        )
    if settings.reduction_factor is not None and (name == "median" or settings.reduction_factor < 2):
        raise InputError(
            f"--halving-reduction-factor {settings.reduction_factor}: give an integer >= 2, "
            f"with --pruner halving or hyperband"
        )
    warmup = settings.warmup_evaluations
    if warmup is not None and warmup < (0 if name == "median" else 1):
        raise InputError(f"--pruner-warmup-evaluations {warmup}: --pruner {name} needs at least 1")
    if warmup is not None and warmup >= num_evaluations:
        raise InputError(
            f"--pruner-warmup-evaluations {settings.warmup_evaluations} leaves nothing to prune in "
            f"{num_evaluations} evaluations; give fewer than --num-evaluations"
        )
