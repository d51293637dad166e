"""Every gymnax env gymnax can build here, and a user's env from a file, through the commands: built, stepped
by the vmapped runner, evaluated, stored with the run and found again by resume and validate-best."""

import csv
import json
import math
import shutil

import pytest

from hyperlax.cli.main import main
from hyperlax.commands.rundir import EnvChoice
from hyperlax.engine.runner import Runner, RunSettings, Sample
from hyperlax.envs.catalog import ALIASES, RETURN_RANGES, SKIPPED
from hyperlax.envs.gymnax import gymnax_ids
from hyperlax.envs.registry import make_env
from hyperlax.space.recipes import load_recipe
from tests.conftest import TESTS, TINY_PPO

EXAMPLE = TESTS.parent / "examples" / "sign_env.py"
TINY = ["--total-timesteps", "64", "--num-evaluations", "2", "--eval-episodes", "2", "--num-seeds", "1"]


def test_every_registered_gymnax_env_builds_except_the_skipped_ones_and_every_alias_names_one():
    import gymnax

    assert set(gymnax_ids()) | set(SKIPPED) == set(gymnax.registered_envs) and set(ALIASES.values()) <= set(
        gymnax_ids()
    )
    for env_id in gymnax_ids():
        spec = make_env(f"gymnax:{env_id}")
        assert (
            spec.obs_shape
            and spec.max_episode_steps > 0
            and (spec.return_range is None)
            == (env_id not in RETURN_RANGES or RETURN_RANGES[env_id](spec.params) is None)
        )


def test_an_alias_is_its_gymnax_id_and_env_kwargs_change_the_params_the_identity_and_the_range():
    alias, by_id = make_env("gymnax.cartpole"), make_env("gymnax:CartPole-v1")
    short = make_env("gymnax.cartpole", {"max_steps_in_episode": 200})
    assert alias.identity == by_id.identity and alias.return_range == (0.0, 500.0)
    assert short.identity != alias.identity and short.return_range == (0.0, 200.0) and short.max_episode_steps == 200
    assert make_env("gymnax.cartpole", return_range=(1, 2)).return_range == (1.0, 2.0)


@pytest.mark.slow  # compiles one program per env
@pytest.mark.parametrize("env_id", gymnax_ids())
def test_every_gymnax_env_trains_and_evaluates_in_the_vmapped_runner(env_id):
    spec = make_env(f"gymnax:{env_id}")
    settings = RunSettings(total_timesteps=64, num_evaluations=1, num_seeds=1, eval_episodes=1, hparam_batch_size=2)
    recipe = load_recipe(TINY_PPO)
    runner = Runner(recipe.algorithm, spec, settings)
    result = runner.run_batch(runner.plan([Sample.from_values(i, {}, recipe.defaults()) for i in range(2)])[0])
    assert [row["status"] for row in result.rows] == ["ok", "ok"]
    assert all(math.isfinite(row["final_performance"]) for row in result.rows)


def sweep_rows(sweep_dir):
    with open(sweep_dir / "results.csv") as f:
        return list(csv.DictReader(f))


def test_a_user_env_from_a_file_sweeps_resumes_from_elsewhere_and_refuses_a_changed_file(tmp_path, monkeypatch, capsys):
    shutil.copy(EXAMPLE, tmp_path / "sign_env.py")
    monkeypatch.chdir(tmp_path)
    argv = ["sweep-hp-samples", "--algo-and-network-config", TINY_PPO, "--env-config", "sign_env.py:make", *TINY,
            "--num-samples", "2", "--hparam-batch-size", "2", "--env-kwargs", "max_steps_in_episode: 5"]  # fmt: skip
    assert main([*argv, "--output-root", "out"]) == 0
    sweep_dir = tmp_path / "out" / "tiny_ppo" / "sign_env_make"
    assert "has no return range" in capsys.readouterr().out
    rows = sweep_rows(sweep_dir)
    assert [r["status"] for r in rows] == ["ok", "ok"] and all(r["normalized_auc"] == "nan" for r in rows)
    stored = json.loads((sweep_dir / "sweep.json").read_text())
    assert stored["args"]["env_kwargs"] == "max_steps_in_episode: 5"
    assert stored["env"]["source"]["path"] == str(tmp_path / "sign_env.py")
    shutil.rmtree(sweep_dir / "samples" / "batch_00000")
    monkeypatch.chdir(tmp_path / "out")  # the relative reference no longer resolves: the stored path does
    assert main(["sweep-hp-samples", "--resume-from", str(sweep_dir)]) == 0
    assert [r["final_performance"] for r in sweep_rows(sweep_dir)] == [r["final_performance"] for r in rows]
    (tmp_path / "sign_env.py").write_text(EXAMPLE.read_text() + "\n# changed\n")
    assert main(["sweep-hp-samples", "--resume-from", str(sweep_dir)]) == 2
    assert "changed since the run" in capsys.readouterr().err
    assert main(["sweep-hp-samples", "--resume-from", str(sweep_dir), "--allow-env-change"]) == 0


def test_a_user_env_with_a_return_range_runs_a_study_and_validate_best(tmp_path, monkeypatch):
    monkeypatch.chdir(TESTS.parent)
    argv = ["optuna-hp-search", "--algo-and-network-config", TINY_PPO, "--env-config", "examples/sign_env.py:make",
            *TINY, "--n-trials", "2", "--optuna-study-batch-size", "2", "--runner-hparam-batch-size", "2",
            "--return-range", "0", "10", "--objective-names", "normalized_auc",
            "--output-root", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    study_dir = tmp_path / "tiny_ppo" / "sign_env_make"
    stored = json.loads((study_dir / "study.json").read_text())
    assert stored["env"]["return_range"] == [0.0, 10.0] and stored["args"]["return_range"] == [0.0, 10.0]
    assert main(["validate-best", "--study-dir", str(study_dir), "--num-seeds", "2"]) == 0
    validation = json.loads((study_dir / "validation" / "validation.json").read_text())
    assert math.isfinite(validation[0]["validation"]["normalized_auc"])


def test_an_env_choice_builds_what_the_registry_builds():
    assert EnvChoice("gymnax.pendulum").make().identity == make_env("gymnax:Pendulum-v1").identity
