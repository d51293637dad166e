"""--sampler grid over a YAML grid, and conditional search-space keys (enabled_if)."""

import itertools
import json
from pathlib import Path

import optuna
import pytest

from hyperlax.commands.study._params import decode_params, json_encoded_keys, suggest_values
from hyperlax.commands.study._samplers import make_sampler
from hyperlax.space.conditions import enabled_values, ordered
from hyperlax.space.distributions import Categorical
from hyperlax.space.recipes import load_recipe
from hyperlax.space.spec import apply_grid, apply_space, grid_size
from tests.conftest import TINY_PPO
from tests.test_search import LAYERS, SEARCH, load, run_cli, study_dir_of

LR = "algorithm.hyperparam.actor_lr"
GRID = {LAYERS: [[8], [4, 4]], LR: [0.001, 0.003]}


def test_a_grid_becomes_the_recipes_space_of_categoricals_and_counts_its_combinations():
    recipe = apply_grid(load_recipe(TINY_PPO), json.dumps(GRID))
    assert recipe.distributions == {LAYERS: Categorical([[8], [4, 4]]), LR: Categorical([0.001, 0.003])}
    assert grid_size(json.dumps(GRID)) == 4
    assert recipe.defaults() == load_recipe(TINY_PPO).defaults()  # keys missing from the grid: the defaults


def test_an_ask_tell_loop_walks_every_grid_point_once_and_ends_cleanly():
    distributions = apply_grid(load_recipe(TINY_PPO), json.dumps(GRID)).distributions
    study = optuna.create_study(sampler=make_sampler("grid", 0, 8, None, distributions))
    seen = []
    for _ in range(4):
        trial = study.ask()
        values = suggest_values(trial, distributions)
        seen.append((json.dumps(values[LAYERS]), values[LR]))
        study.tell(trial, 1.0)  # after the last point: no study.stop() raised outside optimize
    assert sorted(seen) == sorted((json.dumps(a), b) for a, b in itertools.product(*GRID.values()))
    assert {t.params[LAYERS] for t in study.trials} == {"[8]", "[4, 4]"}  # lists JSON-encoded, as _params does
    assert decode_params(study.trials[0].params, json_encoded_keys(distributions))[LAYERS] in GRID[LAYERS]


@pytest.mark.slow
def test_a_grid_study_trains_each_combination_once_with_n_trials_the_grid_size(tmp_path, capsys):
    spec = tmp_path / "grid.yaml"
    spec.write_text(f"sampler: grid\ngrid:\n  {LAYERS}: [[8], [4, 4]]\n  {LR}: [0.001, 0.003]\n")
    argv = [*SEARCH, "--spec", str(spec), "--output-root", str(tmp_path), "--study-name", "grid"]
    assert run_cli(argv, capsys)[0] == 0
    trials = load(study_dir_of(tmp_path), "grid").get_trials()
    points = sorted((t.params[LAYERS], t.params[LR]) for t in trials)
    assert points == sorted((json.dumps(a), b) for a, b in itertools.product(*GRID.values()))
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)


GAMMA = "algorithm.hyperparam.gamma"
CONDITIONAL = {
    "search_space": {GAMMA: {"uniform": [0.9, 0.99], "enabled_if": {LAYERS: [4, 4]}}},
    "fixed": {},
    "mode": "update",
}


def test_a_conditional_key_is_suggested_only_when_its_condition_holds_else_takes_its_default():
    recipe = apply_space(load_recipe(TINY_PPO), json.dumps(CONDITIONAL))
    assert recipe.conditions == {GAMMA: {LAYERS: [4, 4]}}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(12):
        trial = study.ask()
        values = suggest_values(trial, recipe.distributions, recipe.conditions, recipe.defaults())
        assert (GAMMA in values) == (values[LAYERS] == [4, 4])
        assert (GAMMA in trial.params) == (values[LAYERS] == [4, 4])  # the study's params reflect the condition
        study.tell(trial, 0.0)
    assert {json.loads(t.params[LAYERS]) == [4, 4] for t in study.trials} == {True, False}


def test_a_sweeps_drawn_values_drop_disabled_keys_in_dependency_order():
    conditions = {"b": {"a": 1}, "c": {"b": 2}}
    defaults = {"a": 0, "b": 0, "c": 0}
    assert enabled_values({"a": 1, "b": 2, "c": 3}, conditions, defaults) == {"a": 1, "b": 2, "c": 3}
    assert enabled_values({"a": 0, "b": 2, "c": 3}, conditions, defaults) == {"a": 0}  # c: b is off, so its default 0
    assert ordered({"c", "b", "a"}, conditions) == ["a", "b", "c"]


def test_without_conditions_suggestions_are_the_same_as_before():
    recipe = load_recipe(TINY_PPO)
    draws = []
    for conditions in (None, {}):
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
        draws.append([suggest_values(study.ask(), recipe.distributions, conditions) for _ in range(3)])
    assert draws[0] == draws[1]


@pytest.mark.slow
def test_a_conditional_sweep_trains_disabled_keys_at_their_default(tmp_path, capsys):
    spec = tmp_path / "space.yaml"
    spec.write_text(f"search_space:\n  {GAMMA}: {{uniform: [0.9, 0.99], enabled_if: {{{LAYERS}: [4, 4]}}}}\n")
    argv = [
        "sweep-hp-samples",
        *SEARCH[1:-4],
        "--spec",
        str(spec),
        "--num-samples",
        "6",
        "--output-root",
        str(tmp_path),
    ]
    assert run_cli(argv, capsys)[0] == 0
    default = load_recipe(TINY_PPO).defaults()[GAMMA]
    stored = [e for p in study_dir_of(tmp_path).glob("samples/*/hparams.json") for e in json.loads(p.read_text())]
    assert len(stored) == 6
    for entry in stored:
        assert (GAMMA in entry["values"]) == (entry["values"][LAYERS] == [4, 4])
        assert entry["values"].get(GAMMA, default) == entry["config"][GAMMA]


def test_the_example_grid_and_conditional_specs_apply_to_ppo_mlp():
    from tests.test_lifecycle import parsed

    examples = Path(__file__).parent.parent / "examples"
    grid = parsed(["optuna-hp-search", "--spec", str(examples / "pendulum_grid.yaml")])
    assert grid.sampler == "grid" and grid_size(grid.grid) == 6
    assert len(apply_grid(load_recipe("ppo_mlp"), grid.grid).distributions) == 2
    conditional = parsed(["optuna-hp-search", "--spec", str(examples / "pendulum_conditional.yaml")])
    recipe = apply_space(load_recipe("ppo_mlp"), conditional.search_space)
    assert recipe.conditions == {"algorithm.hyperparam.ent_coef": {"algorithm.hyperparam.anneal_lr": False}}
