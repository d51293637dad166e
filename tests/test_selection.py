"""What a study hands over, before and after a top-k re-evaluation, on hand-made in-memory studies."""

import datetime

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from hyperlax.commands.study._reevaluate import REEVALUATION_SEED_OFFSET, last_teller
from hyperlax.commands.study._selection import REEVALUATION_ATTR, candidates, pareto_front, selection
from hyperlax.commands.study._validate import FRESH_SEED_OFFSET

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
LR = {"lr": FloatDistribution(1e-5, 1e-2, log=True)}


def study_of(values: list, directions=("maximize",), states=None) -> optuna.Study:
    """An in-memory study whose trial i has values[i] (a number, or a list for several objectives)."""
    study = optuna.create_study(directions=list(directions))
    study.set_metric_names([f"m{i}" for i in range(len(directions))])
    for i, value in enumerate(values):
        state = states[i] if states else TrialState.COMPLETE
        value = value if state == TrialState.COMPLETE else None
        values_arg = value if isinstance(value, list) else None if value is None else [value]
        study.add_trial(create_trial(state=state, values=values_arg, params={"lr": 1e-3 * (i + 1)}, distributions=LR))
    return study


def reevaluated(study, by_number: dict, status: str = "done") -> None:
    """Store a re-evaluation whose trial n got the values by_number[n] (None: it diverged)."""
    names = study.metric_names
    trials = {
        str(n): {
            "status": "ok",
            "reason": "",
            "num_seeds": 5,
            "batch_dir": "x",
            "metrics": dict(zip(names, v, strict=True)),
        }
        if v is not None
        else {"status": "failed", "reason": "diverged", "num_seeds": 5, "batch_dir": "x", "metrics": {}}
        for n, v in by_number.items()
    }
    study.set_user_attr(REEVALUATION_ATTR, {"status": status, "top": len(trials), "num_seeds": 5, "seed": 7,
                                            "worker": "w", "trials": trials})  # fmt: skip


def numbers(trials) -> list:
    return [t.number for t in trials]


def test_the_top_k_are_the_best_complete_trials_in_the_study_direction():
    values = [-300.0, -150.0, -900.0, -200.0, -100.0]
    states = [TrialState.COMPLETE] * 4 + [TrialState.PRUNED]  # a pruned trial is never a candidate
    assert numbers(candidates(study_of(values, states=states), 2)) == [1, 3]
    assert numbers(candidates(study_of(values, directions=("minimize",), states=states), 3)) == [2, 0, 3]
    assert numbers(candidates(study_of(values), 10)) == [4, 1, 3, 0, 2]


def test_several_objectives_take_the_front_or_k_of_it_spread_along_the_first_objective():
    front = [[float(i), float(10 - i)] for i in range(6)]  # six mutually non-dominated trials
    study = study_of([*front, [0.0, 0.0]], directions=("maximize", "maximize"))  # trial 6 is dominated
    assert numbers(candidates(study, 8)) == [0, 1, 2, 3, 4, 5]
    assert numbers(candidates(study, 3)) == [0, 2, 5]  # both ends and the middle
    assert numbers(candidates(study, 1)) == [0]


def test_without_a_reevaluation_the_study_value_selects():
    study = study_of([-300.0, -150.0, -200.0])
    assert (numbers(selection(study)[0]), selection(study)[1]) == ([1], "study_value")
    assert selection(study_of([])) == ([], "study_value")


def test_a_finished_reevaluation_selects_by_reevaluated_value_and_skips_a_diverged_trial():
    study = study_of([-300.0, -150.0, -200.0, -160.0])
    reevaluated(study, {1: [-400.0], 3: [-180.0], 2: None})  # the study's best holds up worst
    assert (numbers(selection(study)[0]), selection(study)[1]) == ([3], "reevaluated_value")


def test_a_reevaluation_still_training_does_not_select():
    study = study_of([-300.0, -150.0, -200.0])
    reevaluated(study, {1: [-400.0], 2: [-180.0]}, status="training")
    assert (numbers(selection(study)[0]), selection(study)[1]) == ([1], "study_value")


def test_a_reevaluation_that_no_longer_covers_the_top_k_does_not_select():
    study = study_of([-300.0, -150.0, -200.0])
    reevaluated(study, {1: [-400.0], 2: [-180.0]})  # the top 2 of the study so far
    study.add_trial(create_trial(value=-100.0, params={"lr": 1e-3}, distributions=LR))  # a resumed study's new best
    assert (numbers(selection(study)[0]), selection(study)[1]) == ([3], "study_value")


def test_the_pareto_front_is_recomputed_from_reevaluated_values():
    study = study_of([[1.0, 5.0], [5.0, 1.0], [3.0, 3.0]], directions=("maximize", "maximize"))  # all on the front
    reevaluated(study, {0: [1.0, 5.0], 1: [4.0, 0.5], 2: [0.5, 4.0]})  # on fresh seeds trial 0 dominates trial 2
    trials, by = selection(study)
    assert (numbers(trials), by) == ([0, 1], "reevaluated_value")


def test_pareto_front_of_hand_values():
    trial = [create_trial(value=0.0) for _ in range(4)]
    for i, t in enumerate(trial):
        t.number = i
    scored = [(trial[0], [1.0, 1.0]), (trial[1], [2.0, 2.0]), (trial[2], [3.0, 0.0]), (trial[3], [2.0, 2.0])]
    assert numbers(t for t, _ in pareto_front(scored, [1.0, 1.0])) == [1, 2, 3]  # equal values dominate neither
    assert numbers(t for t, _ in pareto_front(scored, [-1.0, -1.0])) == [0, 2]


def finished(number: int, worker: str, seconds: int, state=TrialState.COMPLETE):
    trial = create_trial(
        state=state, value=1.0 if state == TrialState.COMPLETE else None, user_attrs={"worker": worker}
    )
    trial.number = number
    trial.datetime_complete = datetime.datetime(2026, 1, 1) + datetime.timedelta(seconds=seconds)
    return trial


def test_the_worker_that_told_the_last_trained_trial_reevaluates():
    trials = [finished(0, "a:1", 5), finished(1, "b:2", 9), finished(2, "a:1", 7)]
    assert last_teller(trials) == "b:2"
    trials.append(finished(3, "a:1", 9))  # the same second: the higher number told last
    assert last_teller(trials) == "a:1"
    trials.append(finished(4, "c:3", 20, state=TrialState.FAIL))  # failed untrained: no result told
    assert last_teller(trials) == "a:1"
    assert last_teller([]) is None


@pytest.mark.parametrize("seed", [0, 12345])
def test_reevaluation_and_validation_seeds_come_from_streams_the_study_never_used(seed):
    streams = {seed, seed + REEVALUATION_SEED_OFFSET, seed + FRESH_SEED_OFFSET}
    assert len(streams) == 3
