"""Saved agents: a study leaves its selected trial's agent, a reloaded agent acts bitwise as the training
program's greedy policy did, `hyperlax evaluate` reports an IQM and draws a GIF, `hyperlax train` saves an
agent per seed."""

import json
import shutil
import warnings
from pathlib import Path

import imageio.v2 as imageio
import jax
import numpy as np
import optuna
import pytest

from hyperlax import load_agent  # the public API, as a user loads an agent the CLI saved
from hyperlax.algos import ppo
from hyperlax.algos.common import config_from_flat
from hyperlax.commands.agents import AgentSaving
from hyperlax.engine.runner import Runner, RunSettings, Sample, batch_plan
from hyperlax.envs.registry import make_env
from hyperlax.results.agents import write_agent
from hyperlax.results.files import is_complete
from hyperlax.space.recipes import load_recipe
from tests.conftest import TESTS, TINY_PPO
from tests.test_search import run_cli

TINY = ["--algo-and-network-config", TINY_PPO, "--env-config", "gymnax.cartpole", "--total-timesteps", "64",
        "--num-evaluations", "2", "--eval-episodes", "2", "--num-seeds", "2"]  # fmt: skip


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("agents")
    code, _, err = run_cli(["optuna-hp-search", *TINY, "--n-trials", "3", "--output-root", str(root)])
    assert code == 0, err
    return root / "tiny_ppo" / "gymnax_cartpole"


def selected_trial_dir(study_dir: Path) -> Path:
    best = json.loads((study_dir / "best_optuna_params.json").read_text())
    [trial_dir] = study_dir.glob(f"pool_*/trial_{best['best_trial']['number']:05d}")
    return trial_dir


def test_a_study_leaves_the_selected_trials_agent_in_its_manifest_and_linked_to_the_trial(study):
    trial_dir = selected_trial_dir(study)
    files = json.loads((trial_dir / "success.txt").read_text())["files"]
    assert {"agent/agent.json", "agent/params.msgpack"} <= set(files) and is_complete(trial_dir)
    number = int(trial_dir.name.split("_")[1])
    stored = optuna.load_study(study_name=None, storage=f"sqlite:///{study / 'optuna_study.db'}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optuna.artifacts is experimental
        metas = optuna.artifacts.get_all_artifact_meta(stored.trials[number], storage=stored._storage)
    assert {meta.filename for meta in metas} == {"agent.json", "params.msgpack"}


def test_a_damaged_agent_file_makes_its_trial_directory_incomplete(study, tmp_path):
    copy = tmp_path / "trial"
    shutil.copytree(selected_trial_dir(study), copy)
    (copy / "agent" / "params.msgpack").write_bytes(b"")
    assert not is_complete(copy)


def test_an_agent_saved_by_the_cli_replays_its_last_evaluation_bitwise(study):
    """The same keys and episodes as training's last evaluation: equal returns, so equal greedy actions."""
    trial_dir = selected_trial_dir(study)
    agent = load_agent(trial_dir / "agent")
    curves = np.load(trial_dir / "curves.npz")["returns"][0]  # [seeds, evaluations, episodes]
    assert agent.num_seeds == 2
    for s in range(agent.num_seeds):
        np.testing.assert_array_equal(agent.final_evaluation(s), curves[s, -1])


def test_a_reloaded_agent_acts_bitwise_as_the_training_programs_greedy_policy(study):
    """Actions on the same observations: the training Agent's greedy_policy on a state with the saved
    parameters, and the reloaded agent's act."""
    agent = load_agent(selected_trial_dir(study) / "agent")
    config = config_from_flat(ppo.Config, agent.manifest["config"])
    trainer = ppo.Agent(config, agent.spec, schedule_length=None)
    params = agent.seed_params(1)
    state = trainer.init(config, jax.random.PRNGKey(0)).replace(
        actor_params=params["actor"], obs_stats=params["obs_stats"]
    )
    obs = jax.random.normal(jax.random.PRNGKey(1), (64, *agent.spec.obs_shape))
    greedy = jax.jit(lambda o: trainer.greedy_policy(state)(o))(obs)
    np.testing.assert_array_equal(np.asarray(agent.act(obs, seed_index=1)), np.asarray(greedy))


def test_evaluate_prints_an_iqm_with_an_interval_and_writes_a_gif(study, tmp_path, capsys):
    gif = tmp_path / "x.gif"
    argv = ["evaluate", "--agent", str(selected_trial_dir(study) / "agent"), "--episodes", "5", "--render", str(gif)]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    assert "return IQM" in out and "95% CI" in out
    frames = imageio.mimread(gif)
    assert len(frames) >= 1 and frames[0].ndim == 3


def test_stochastic_evaluation_follows_its_seed(study, capsys):
    agent = load_agent(selected_trial_dir(study) / "agent")
    key = jax.random.PRNGKey(3)
    np.testing.assert_array_equal(agent.returns(4, key, deterministic=False), agent.returns(4, key, False))


def test_train_from_a_study_prints_iqm_and_ci_and_saves_an_agent_per_seed(study, tmp_path, capsys):
    argv = ["train", "--from-study", str(study), "--num-seeds", "3", "--output-root", str(tmp_path)]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    assert "final return IQM" in out and "95% CI" in out
    summary = json.loads((tmp_path / "tiny_ppo" / "gymnax_cartpole" / "train" / "summary.json").read_text())
    [agent_dir] = summary["agents"]
    agent = load_agent(agent_dir)
    assert agent.num_seeds == 3 and len(summary["per_seed_final_returns"]) == 3
    best = json.loads((study / "best_optuna_params.json").read_text())["best_trial"]["params"]
    assert all(agent.manifest["config"][k] == pytest.approx(v) for k, v in best.items() if not isinstance(v, str))
    train_dir = tmp_path / "tiny_ppo" / "gymnax_cartpole" / "train"
    code, out, err = run_cli(["train", "--resume-from", str(train_dir)], capsys)  # resumable like a sweep
    assert code == 0 and "1 of 1 batches already complete, skipped" in out, err


@pytest.mark.slow
@pytest.mark.parametrize("recipe, env", [("tiny_sac", "gymnax.pendulum"), ("tiny_dqn", "gymnax.cartpole")])
def test_sac_and_dqn_agents_replay_their_last_evaluation_bitwise(recipe, env, tmp_path):
    recipe = load_recipe(str(TESTS / "recipes" / f"{recipe}.py"))
    settings = RunSettings(total_timesteps=64, num_evaluations=2, num_seeds=2, eval_episodes=2)
    runner = Runner(recipe.algorithm, make_env(env), settings)
    sample = Sample.from_values(0, {}, recipe.defaults())
    plan = batch_plan("batch_00000", [sample], runner.structure_of(sample), 1, "cpu", None, 2)
    result = runner.run_batch(plan, keep_agents=True)
    saving = AgentSaving("all", recipe, runner)
    write_agent(tmp_path / "agent", result.agents[0], saving.manifest(sample, result.rows[0], result.agents[0]))
    agent = load_agent(tmp_path / "agent")
    for s in range(2):
        np.testing.assert_array_equal(agent.final_evaluation(s), result.returns[0, s, -1])


def test_train_runs_the_spec_study_best_writes(study, tmp_path, capsys):
    code, spec, err = run_cli(["study-best", "--study-dir", str(study), "--format", "yaml"], capsys)
    assert code == 0, err
    (tmp_path / "best.yaml").write_text(spec)
    argv = ["train", "--spec", str(tmp_path / "best.yaml"), "--output-root", str(tmp_path / "out")]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    agent = load_agent(
        tmp_path / "out" / "tiny_ppo" / "gymnax_cartpole" / "train" / "samples" / "batch_00000" / "agent"
    )
    assert agent.num_seeds == 2  # the spec's num_seeds (the study's), which the command line may override
    best = json.loads((study / "best_optuna_params.json").read_text())["best_trial"]["params"]
    assert agent.manifest["config"]["algorithm.hyperparam.actor_lr"] == pytest.approx(
        best["algorithm.hyperparam.actor_lr"]
    )


def test_a_sweeps_best_keeps_each_sample_that_beats_every_earlier_one(tmp_path):
    argv = ["sweep-hp-samples", *TINY, "--num-samples", "3", "--hparam-batch-size", "3", "--save-agents", "best"]
    code, _, err = run_cli([*argv, "--output-root", str(tmp_path)])
    assert code == 0, err
    batch = tmp_path / "tiny_ppo" / "gymnax_cartpole" / "samples" / "batch_00000"
    rows = json.loads((batch / "metrics.json").read_text())
    running, expected = -np.inf, set()
    for row in rows:
        if row["final_performance"] > running:
            running, expected = row["final_performance"], expected | {row["sample_id"]}
    kept = {load_agent(d).manifest["sample_id"] for d in batch.glob("agent_*")}
    assert kept == expected and is_complete(batch)


@pytest.mark.slow
def test_after_a_reevaluation_the_reevaluated_trials_agents_are_kept_and_linked_to_the_study(tmp_path):
    argv = ["optuna-hp-search", *TINY, "--n-trials", "3", "--reevaluate-top", "2", "--reevaluate-seeds", "2"]
    code, _, err = run_cli([*argv, "--output-root", str(tmp_path)])
    assert code == 0, err
    study_dir = tmp_path / "tiny_ppo" / "gymnax_cartpole"
    assert not list(study_dir.glob("pool_*/trial_*/agent"))  # the study's own seeds do not select
    report = json.loads((study_dir / "reevaluation" / "reevaluation.json").read_text())
    kept = {load_agent(d).manifest["sample_id"] for d in study_dir.glob("reevaluation/round_0000/samples/*/agent_*")}
    assert kept == {t["number"] for t in report["trials"]}
    stored = optuna.load_study(study_name=None, storage=f"sqlite:///{study_dir / 'optuna_study.db'}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(optuna.artifacts.get_all_artifact_meta(stored)) == 2 * len(kept)


def test_render_names_an_env_gymnax_does_not_draw():
    from dataclasses import replace

    from hyperlax.envs.episodes import render_problem

    undrawn = replace(make_env("gymnax.cartpole"), env_id="DeepSea-bsuite", name="gymnax.deep_sea")
    assert (
        render_problem(undrawn)
        == "--render: gymnax draws no frames for DeepSea-bsuite (gymnax.deep_sea); drop --render"
    )
    assert render_problem(make_env("gymnax.cartpole")) is None


@pytest.mark.parametrize("name", ["ppo", "sac", "dqn"])
def test_every_builtin_algorithm_says_how_its_agents_act(name):
    from hyperlax.algos.registry import resolve_algorithm

    assert callable(resolve_algorithm(name).make_policy)
