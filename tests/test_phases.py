"""Phases that inherit: keys a phase no longer searches take the previous phase's best value."""

import json

import optuna

from tests.test_search import LAYERS, SEARCH, load, run_cli, study_dir_of

GAMMA = "algorithm.hyperparam.gamma"


def phase(root, name: str, previous=None, space=None) -> tuple:
    argv = [*SEARCH, "--study-name", name, "--n-trials", "2", "--output-root", str(root)]
    argv += [] if previous is None else ["--warm-start-from", str(previous), "--warm-start-top-k", "1"]
    argv += [] if space is None else ["--search-space", json.dumps({"mode": "replace", "search_space": space})]
    code, _, _ = run_cli(argv)
    assert code == 0
    return study_dir_of(root), load(study_dir_of(root), name)


def test_study_status_shows_the_values_phase_3_inherited(tmp_path, capsys):
    lr = {"algorithm.hyperparam.actor_lr": {"log_uniform": [1e-4, 1e-2]}}
    one, first = phase(tmp_path / "1", "one")
    two, second = phase(tmp_path / "2", "two", one, {**lr, GAMMA: {"uniform": [0.9, 0.99]}})
    three, third = phase(tmp_path / "3", "three", two, lr)
    layers = json.loads(first.best_trial.params[LAYERS])
    [*_, last] = third.user_attrs["phases"]
    assert last["inherited"] == {GAMMA: second.best_trial.params[GAMMA], LAYERS: layers}
    assert second.user_attrs["phases"][-1]["inherited"] == {LAYERS: layers}
    code, out, _ = run_cli(["study-status", "--study-dir", str(three)], capsys)
    assert code == 0
    assert f"phase 3 inherited {GAMMA} = {second.best_trial.params[GAMMA]}" in out.replace("\n", "")
    assert f"phase 3 inherited {LAYERS} = {layers}" in out.replace("\n", "")
    [trial] = [t for t in third.get_trials() if t.state == optuna.trial.TrialState.COMPLETE][:1]
    stored = json.loads((three / trial.user_attrs["batch_dir"] / "hparams.json").read_text())[0]["config"]
    assert stored[GAMMA] == second.best_trial.params[GAMMA] and stored[LAYERS] == layers  # trained with them


def test_a_warm_start_from_a_study_of_another_env_is_one_line(tmp_path, capsys):
    one, _ = phase(tmp_path / "1", "one")
    argv = [*SEARCH, "--output-root", str(tmp_path / "2"), "--warm-start-from", str(one)]
    code, _, err = run_cli([*[a if a != "gymnax.cartpole" else "gymnax.acrobot" for a in argv]], capsys)
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith("hyperlax: error: --warm-start-from")
    assert "that study trained ppo on gymnax.cartpole, this one ppo on gymnax.acrobot" in line


def test_enqueue_defaults_makes_the_recipes_default_the_first_trial(tmp_path):
    from hyperlax.space.recipes import load_recipe
    from tests.test_search import TINY_PPO

    code, _, _ = run_cli([*SEARCH, "--study-name", "d", "--n-trials", "2", "--output-root", str(tmp_path),
                          "--enqueue-defaults"])  # fmt: skip
    assert code == 0
    recipe = load_recipe(TINY_PPO)
    defaults = recipe.defaults()
    first = min(load(study_dir_of(tmp_path), "d").get_trials(), key=lambda t: t.number)
    assert set(first.params) == set(recipe.distributions)  # every searched key took its default
    stored = json.loads((study_dir_of(tmp_path) / first.user_attrs["batch_dir"] / "hparams.json").read_text())
    assert {k: stored[0]["config"][k] for k in recipe.distributions} == {k: defaults[k] for k in recipe.distributions}
