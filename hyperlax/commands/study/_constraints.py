"""--constraint METRIC<=VALUE / METRIC>=VALUE: bounds on what a trial records, the way Optuna takes them.

Each trial stores one number per bound, <= 0 when the bound holds (Optuna's convention), before it is told:
in its user attr `constraint` (the list Optuna's `constraints_func` examples read) and through
`Trial.set_constraint`, which Optuna 5 prefers to a sampler's `constraints_func` (deprecated there): its
constrained TPE, NSGA-II/III and GP samplers, `best_trials` and plots read those. A trial is feasible when
every number is <= 0; the best trial of a one-objective study is the best feasible one (chosen here, see
_selection), the Pareto front of several is Optuna's, which keeps feasible trials only.
"""

import math
import re
from dataclasses import dataclass

from hyperlax.errors import InputError
from hyperlax.results.objectives import CONSTRAINT_METRICS

CONSTRAINT_ATTR = "constraint"
BOUND = re.compile(r"^\s*([A-Za-z_]+)\s*(<=|>=)\s*([^<>=\s]+)\s*$")
# Samplers that steer away from infeasible trials; random, qmc and cmaes would ignore the bounds.
CONSTRAINED_SAMPLERS = ("tpe", "nsgaii", "nsgaiii", "gp")


@dataclass(frozen=True)
class Bound:
    metric: str
    op: str  # "<=" or ">="
    limit: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.limit:g}"

    def violation(self, metrics: dict) -> float:
        """<= 0 when the bound holds, else by how much it is missed; a metric the trial lacks misses it."""
        value = metrics.get(self.metric)
        if value is None or not math.isfinite(value):
            return math.inf
        return value - self.limit if self.op == "<=" else self.limit - value


def parse_bound(text: str) -> Bound:
    match = BOUND.match(str(text))
    if match is None:
        raise InputError(f"--constraint {text!r}: expected METRIC<=VALUE or METRIC>=VALUE, e.g. param_count<=20000")
    metric, op, limit = match.groups()
    if metric not in CONSTRAINT_METRICS:
        raise InputError(f"--constraint {text!r}: unknown metric '{metric}'; valid: {', '.join(CONSTRAINT_METRICS)}")
    try:
        value = float(limit)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"--constraint {text!r}: the bound '{limit}' is not a finite number")
    return Bound(metric, op, value)


def parse_bounds(texts: list | None) -> tuple:
    return tuple(parse_bound(t) for t in texts or ())


def check_constraints(texts: list | None, sampler: str) -> None:
    parse_bounds(texts)
    if texts and sampler not in CONSTRAINED_SAMPLERS:
        raise InputError(
            f"--constraint: --sampler {sampler} cannot avoid infeasible trials; use {', '.join(CONSTRAINED_SAMPLERS)}"
        )


def violations(bounds: tuple, metrics: dict) -> list:
    return [bound.violation(metrics) for bound in bounds]


def is_feasible(trial) -> bool:
    return all(c <= 0 for c in trial.user_attrs.get(CONSTRAINT_ATTR, ()))


def is_constrained(study) -> bool:
    return bool(study.user_attrs.get("hyperlax", {}).get("constraints"))
