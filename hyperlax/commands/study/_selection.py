"""Which trials a study hands over: its best trial (or Pareto front) by the values it was told, or, after a
top-k re-evaluation, by the values the re-evaluated trials got on fresh seeds.

Re-evaluations live in the study's user attr `reevaluation`, since Optuna's storages refuse to change the
user attrs of a finished trial: {"status": "training" | "done", "top", "num_seeds", "seed", "worker",
"trials": {trial number: {"status", "reason", "num_seeds", "batch_dir", "metrics"}}}. Only a `done` one
that still covers the study's top trials counts: while one is training, or once a resumed study has new
trials among its top K that were not re-evaluated, the study's own values select.
"""

import math

import numpy as np
from optuna.study import StudyDirection
from optuna.trial import TrialState

from hyperlax.commands.study._constraints import is_constrained, is_feasible

REEVALUATION_ATTR = "reevaluation"
BY_STUDY, BY_REEVALUATION = "study_value", "reevaluated_value"


def objective_names_of(study) -> list:
    return study.metric_names or [f"objective_{i}" for i in range(len(study.directions))]


def signs_of(study) -> list:
    """+1 for an objective to maximize, -1 for one to minimize: sign * value is larger when better."""
    return [1.0 if d == StudyDirection.MAXIMIZE else -1.0 for d in study.directions]


def reevaluation_of(study) -> dict | None:
    """The study's finished re-evaluation of its current top trials, or None."""
    record = study.user_attrs.get(REEVALUATION_ATTR)
    if not isinstance(record, dict) or record.get("status") != "done":
        return None
    current = {t.number for t in candidates(study, record["top"])}
    return record if {int(number) for number in record["trials"]} == current else None


def reevaluated_records(study) -> dict:
    """Trial number -> its re-evaluation record, for the trials of the finished re-evaluation."""
    record = reevaluation_of(study)
    return {int(number): r for number, r in record["trials"].items()} if record else {}


def reevaluated_values(record: dict, names: list) -> list | None:
    """A re-evaluated trial's objective values; None when it did not train to the end on the fresh seeds."""
    if record.get("status") != "ok":
        return None
    values = [record["metrics"].get(name) for name in names]
    return values if all(v is not None and math.isfinite(v) for v in values) else None


def ranked(study) -> list:
    """One objective: the complete feasible trials (every one without --constraint), best first."""
    [sign] = signs_of(study)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return sorted(filter(is_feasible, complete), key=lambda t: (-sign * t.value, t.number))


def best_trial(study):
    """One objective: the best feasible complete trial (Optuna's best_trial without --constraint), or None."""
    if not is_constrained(study):
        return study.best_trial if study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) else None
    best = ranked(study)
    return best[0] if best else None


def candidates(study, top: int) -> list:
    """The trials to re-evaluate. One objective: the `top` best complete (feasible) trials. Several: the Pareto
    front, or `top` of its trials spread evenly along the first objective when it has more."""
    if len(study.directions) == 1:
        return ranked(study)[:top]
    front = sorted(study.best_trials, key=lambda t: (t.values[0], t.number))
    if len(front) <= top:
        return front
    picks = np.linspace(0, len(front) - 1, top).round().astype(int)  # distinct: the spacing is at least 1
    return [front[i] for i in picks]


def dominates(a: list, b: list, signs: list) -> bool:
    better = [s * x for s, x in zip(signs, a, strict=True)]
    other = [s * y for s, y in zip(signs, b, strict=True)]
    return all(x >= y for x, y in zip(better, other, strict=True)) and better != other


def pareto_front(scored: list, signs: list) -> list:
    """The (trial, values) pairs that no other pair dominates, in trial-number order."""
    front = [(t, v) for t, v in scored if not any(dominates(w, v, signs) for _, w in scored)]
    return sorted(front, key=lambda pair: pair[0].number)


def selection(study) -> tuple[list, str]:
    """(trials, selected_by): one objective, [the best trial] (none: [] ); several, the Pareto front. After a
    re-evaluation both are taken among the re-evaluated trials, by their re-evaluated values."""
    names, signs = objective_names_of(study), signs_of(study)
    records = reevaluated_records(study)
    trials = {t.number: t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))}
    scored = [(trials[n], reevaluated_values(r, names)) for n, r in records.items() if n in trials]
    scored = [(t, v) for t, v in scored if v is not None and is_feasible(t)]
    if scored and len(signs) == 1:
        best = max(scored, key=lambda pair: (signs[0] * pair[1][0], -pair[0].number))
        return [best[0]], BY_REEVALUATION
    if scored:
        return [t for t, _ in pareto_front(scored, signs)], BY_REEVALUATION
    if len(signs) == 1:
        best = best_trial(study)
        return ([] if best is None else [best]), BY_STUDY
    return list(study.best_trials), BY_STUDY
