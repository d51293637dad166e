"""Brax envs through the adapter (hyperlax.envs.brax): the terminated/truncated split, auto-reset, errors,
and PPO and SAC training on one under the vmapped runner. Skipped where brax is not installed, except the
message that tells how to install it."""

import importlib.util
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hyperlax.cli.main import main
from hyperlax.engine.runner import Runner, RunSettings, Sample
from hyperlax.envs.registry import make_env
from hyperlax.envs.spec import evaluate, reset_envs, step_envs
from hyperlax.errors import InputError
from hyperlax.space.recipes import load_recipe
from tests.conftest import TESTS

needs_brax = pytest.mark.skipif(importlib.util.find_spec("brax") is None, reason='needs pip install -e ".[brax]"')
# positional is the quickest backend to compile and run on a CPU; 20 steps keep evaluations short.
SHORT = {"backend": "positional", "episode_length": 20}


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*")}


def run_cli(argv, tmp_path, capsys, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("hyperlax: error: ") and err.count("\n") == 1, err
    assert snapshot(tmp_path) == before
    return err


def test_a_brax_env_without_brax_installed_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "brax", None)  # `import brax` raises ImportError
    monkeypatch.setitem(sys.modules, "brax.envs", None)
    err = run_cli(["sweep-hp-samples", "--env-config", "brax:ant"], tmp_path, capsys, monkeypatch)
    assert 'pip install -e ".[brax]"' in err and "Python >= 3.11" in err


@needs_brax
def test_an_unknown_brax_env_is_one_line_listing_the_registered_ones(tmp_path, capsys, monkeypatch):
    err = run_cli(["sweep-hp-samples", "--env-config", "brax:antt"], tmp_path, capsys, monkeypatch)
    assert "unknown brax env 'antt'" in err and "brax:ant," in err and "brax:inverted_pendulum" in err


@needs_brax
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backend": "physx"}, "unknown backend 'physx'; valid: generalized, positional, spring, mjx"),
        ({"episode_length": 0}, "episode_length must be an int >= 1, not 0"),
        ({"episode_length": "10"}, "episode_length must be an int >= 1, not '10'"),
        ({"ctrl_cost": 1.0}, "unexpected keyword argument 'ctrl_cost'"),
    ],
)
def test_bad_brax_env_kwargs_are_one_input_error(kwargs, message):
    with pytest.raises(InputError) as caught:
        make_env("brax:inverted_pendulum", kwargs)
    assert message in str(caught.value) and "\n" not in str(caught.value)


@needs_brax
def test_a_brax_env_is_a_continuous_env_spec_keyed_by_its_kwargs():
    spec = make_env("brax:inverted_pendulum", SHORT)
    assert (spec.obs_shape, spec.action_dim, spec.discrete, spec.max_episode_steps) == ((4,), 1, False, 20)
    assert (spec.action_low, spec.action_high, spec.return_range) == (-1.0, 1.0, None)
    assert make_env("brax:inverted_pendulum", dict(SHORT)) == spec
    assert make_env("brax:inverted_pendulum", {**SHORT, "episode_length": 21}) != spec
    assert make_env("brax:inverted_pendulum", {**SHORT, "backend": "spring"}) != spec


def rollout(spec, action: float, steps: int, num_envs: int = 2):
    """`steps` steps of constant `action`: per step (obs, reward, terminated, truncated, final_observation)."""
    obs, state = reset_envs(spec, jax.random.split(jax.random.PRNGKey(0), num_envs))
    step = jax.jit(lambda key, state: step_envs(spec, key, state, jnp.full((num_envs, spec.action_dim), action)))
    out = []
    for key in jax.random.split(jax.random.PRNGKey(1), steps):
        obs, state, reward, terminated, truncated, info = step(key, state)
        out.append((obs, reward, terminated, truncated, info["final_observation"]))
    return out


@needs_brax
def test_a_time_limit_is_a_truncation_not_a_termination_and_the_episode_restarts():
    spec = make_env("brax:inverted_pendulum", {"backend": "positional", "episode_length": 3})
    steps = rollout(spec, 0.0, 7)  # a balanced pole stays up: only the time limit ends its episodes
    terminated = np.array([s[2] for s in steps])
    truncated = np.array([s[3] for s in steps])
    assert not terminated.any()
    assert truncated[:, 0].tolist() == [False, False, True, False, False, True, False]
    obs, _, _, _, final = steps[2]
    assert not np.allclose(obs, final)  # the first observation of the next episode; the last one is kept
    for obs, _, _, trunc, final in steps:
        if not trunc.any():
            np.testing.assert_array_equal(obs, final)


@needs_brax
def test_a_fallen_pole_is_a_termination_before_the_time_limit():
    spec = make_env("brax:inverted_pendulum", {"backend": "positional", "episode_length": 1000})
    steps = rollout(spec, 1.0, 60)  # full force one way tips the pole past 0.2 rad
    terminated = np.array([s[2] for s in steps])
    truncated = np.array([s[3] for s in steps])
    assert terminated.any(axis=0).all() and not truncated.any()
    first = int(np.argmax(terminated[:, 0]))
    assert abs(float(steps[first][4][0, 1])) > 0.2  # the pole angle of the final observation
    assert abs(float(steps[first][0][0, 1])) <= 0.01  # the next episode starts upright


@needs_brax
def test_evaluate_scores_a_brax_episode_up_to_its_time_limit():
    spec = make_env("brax:inverted_pendulum", SHORT)
    returns = evaluate(spec, lambda obs: jnp.zeros((obs.shape[0], 1)), jax.random.PRNGKey(0), 3)
    np.testing.assert_array_equal(returns, [20.0, 20.0, 20.0])  # reward 1 per step, upright for 20 steps


@needs_brax
@pytest.mark.slow  # a brax program compiles in about a minute with a cold cache on a 2-core CPU
@pytest.mark.parametrize("recipe", ["tiny_ppo", "tiny_sac"])
def test_ppo_and_sac_train_on_a_brax_env_in_the_vmapped_runner(recipe):
    recipe = load_recipe(str(TESTS / "recipes" / f"{recipe}.py"))
    settings = RunSettings(total_timesteps=1000, num_evaluations=2, num_seeds=2, eval_episodes=2, seed=0)
    runner = Runner(recipe.algorithm, make_env("brax:inverted_pendulum", SHORT), settings)
    [plan] = runner.plan([Sample.from_values(0, {}, recipe.defaults())])
    result = runner.run_batch(plan)
    returns = np.asarray(result.returns)
    assert returns.shape[-3:] == (2, 2, 2) and np.isfinite(returns).all()
    assert ((returns >= 1) & (returns <= 20)).all()  # 1 per step alive, at most the 20-step limit
    [row] = result.rows
    assert row["final_performance"] > 0 and np.isnan(row["normalized_auc"]) and np.isnan(row["stability_score"])


@needs_brax
def test_a_study_refuses_range_objectives_on_a_brax_env_in_one_line(tmp_path, capsys, monkeypatch):
    argv = ["optuna-hp-search", "--env-config", "brax:inverted_pendulum", "--objective-names", "normalized_auc"]
    err = run_cli(argv, tmp_path, capsys, monkeypatch)
    assert "--objective-names normalized_auc: brax:inverted_pendulum has no return range" in err
