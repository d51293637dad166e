"""Typed outcomes: what became of a configuration (Status) and, when it did not complete, why (Reason).

Both are `str` enums, so they compare equal to, and are written to JSON and CSV as, their plain values
("ok", "diverged", ...): files and Optuna user attrs hold text, the code tests members.
"""

from enum import Enum


class _Text(str, Enum):
    def __str__(self) -> str:  # csv and f-strings write the value, not "Status.OK"
        return self.value


class Status(_Text):
    """The outcome of one configuration's training."""

    OK = "ok"
    PRUNED = "pruned"  # stopped early by a pruner; metrics cover its curve so far
    FAILED = "failed"


class Reason(_Text):
    """Why a configuration or trial did not complete. Stored as the `reason_code` of a row or trial."""

    DIVERGED = "diverged"  # parameters, losses or returns became non-finite
    PRUNED = "pruned"
    NON_FINITE_OBJECTIVE = "non_finite_objective"  # trained, but an objective value is not finite
    INTERRUPTED = "interrupted"  # Ctrl-C, or the worker died: never trained, retried
    BUDGET_REACHED = "budget_reached"  # asked beyond --n-trials: never trained
    ERROR = "error"  # an exception stopped the worker before training ended

    @property
    def trained(self) -> bool:
        """Whether a configuration with this reason was trained (and so counts toward a study's budget)."""
        return self in (Reason.DIVERGED, Reason.PRUNED, Reason.NON_FINITE_OBJECTIVE)


def reason_of(code) -> Reason | None:
    """The Reason a stored `reason_code` names; None for none, or for a code this version does not know."""
    try:
        return Reason(code)
    except ValueError:
        return None
