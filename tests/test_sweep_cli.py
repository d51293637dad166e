"""sweep-hp-samples end to end through the CLI, on a tiny recipe."""

import csv
import json
import subprocess
import sys

import pytest

from hyperlax.cli.main import main
from hyperlax.results.files import is_complete
from tests.conftest import TINY_PPO

FAST = [
    "--algo-and-network-config",
    TINY_PPO,
    "--env-config",
    "gymnax.cartpole",
    "--total-timesteps",
    "64",
    "--num-evaluations",
    "2",
    "--eval-episodes",
    "2",
    "--num-seeds",
    "2",
]


def sweep(tmp_path, *extra):
    return main(["sweep-hp-samples", *FAST, "--output-root", str(tmp_path), *extra])


def without_timing(rows: dict) -> dict:
    timing = ("env_steps_per_second", "compile_seconds")
    return {i: {k: v for k, v in row.items() if k not in timing} for i, row in rows.items()}


def results(sweep_dir):
    with open(sweep_dir / "results.csv") as f:
        return {row["sample_id"]: row for row in csv.DictReader(f)}


def test_batched_sweep_writes_every_batch_and_a_results_row_per_sample(tmp_path):
    assert sweep(tmp_path, "--num-samples", "5", "--hparam-batch-size", "2") == 0
    sweep_dir = tmp_path / "tiny_ppo" / "gymnax_cartpole"
    rows = results(sweep_dir)
    assert sorted(rows, key=int) == [str(i) for i in range(5)]
    assert all(row["status"] == "ok" and row["final_performance"] for row in rows.values())
    assert "algorithm.hyperparam.actor_lr" in next(iter(rows.values()))
    batches = sorted(p.name for p in (sweep_dir / "samples").iterdir())
    assert batches[0] == "batch_00000" and all((sweep_dir / "samples" / b / "success.txt").exists() for b in batches)
    for name in ("hparams.json", "metrics.json", "curves.npz"):
        assert (sweep_dir / "samples" / batches[0] / name).exists()
    assert json.loads((sweep_dir / "sweep.json").read_text())["args"]["num_samples"] == 5


@pytest.mark.slow
def test_sequential_sweep_gives_the_batched_metrics_per_sample(tmp_path):
    assert sweep(tmp_path / "b", "--num-samples", "4", "--hparam-batch-size", "4") == 0
    assert sweep(tmp_path / "s", "--num-samples", "4", "--sequential") == 0
    seq_dir = tmp_path / "s" / "tiny_ppo" / "gymnax_cartpole"
    assert sorted(p.name for p in (seq_dir / "samples").iterdir()) == ["run_0000", "run_0001", "run_0002", "run_0003"]
    batched, sequential = results(tmp_path / "b" / "tiny_ppo" / "gymnax_cartpole"), results(seq_dir)
    metrics = ("peak_performance", "final_performance", "stability_score", "normalized_auc", "per_seed_final_returns")
    for sample_id in batched:
        assert [batched[sample_id][m] for m in metrics] == [sequential[sample_id][m] for m in metrics]


@pytest.mark.slow
def test_resume_reruns_only_the_batch_without_success_marker(tmp_path, capsys):
    assert sweep(tmp_path, "--num-samples", "4", "--hparam-batch-size", "2") == 0
    sweep_dir = tmp_path / "tiny_ppo" / "gymnax_cartpole"
    kept = sweep_dir / "samples" / "batch_00000" / "metrics.json"
    kept_mtime = kept.stat().st_mtime_ns
    batches = sorted((sweep_dir / "samples").iterdir())
    (sweep_dir / "samples" / "batch_00001" / "success.txt").unlink()
    before = results(sweep_dir)
    capsys.readouterr()
    assert main(["sweep-hp-samples", "--resume-from", str(sweep_dir)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"{len(batches) - 1} of {len(batches)} batches already complete, skipped" in out
    assert kept.stat().st_mtime_ns == kept_mtime
    assert (sweep_dir / "samples" / "batch_00001" / "success.txt").exists()
    assert without_timing(results(sweep_dir)) == without_timing(before)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["delete metrics.json", "truncate curves.npz", "edit hparams.json"])
def test_resume_trains_again_a_batch_whose_files_are_not_intact_although_success_txt_stays(damage, tmp_path):
    assert sweep(tmp_path, "--num-samples", "4", "--hparam-batch-size", "2") == 0
    sweep_dir = tmp_path / "tiny_ppo" / "gymnax_cartpole"
    damaged, kept = sweep_dir / "samples" / "batch_00001", sweep_dir / "samples" / "batch_00000" / "metrics.json"
    before, kept_mtime = results(sweep_dir), kept.stat().st_mtime_ns
    if damage == "delete metrics.json":
        (damaged / "metrics.json").unlink()
    elif damage == "truncate curves.npz":
        (damaged / "curves.npz").write_bytes((damaged / "curves.npz").read_bytes()[:100])
    else:
        (damaged / "hparams.json").write_text((damaged / "hparams.json").read_text().replace("0", "1", 1))
    assert (damaged / "success.txt").exists() and not is_complete(damaged)

    assert main(["sweep-hp-samples", "--resume-from", str(sweep_dir)]) == 0

    assert kept.stat().st_mtime_ns == kept_mtime  # the intact batch was skipped
    assert is_complete(damaged)  # trained and written again, whole
    assert without_timing(results(sweep_dir)) == without_timing(before)


@pytest.mark.slow
def test_resume_with_arguments_that_change_the_samples_is_refused(tmp_path, capsys):
    assert sweep(tmp_path, "--num-samples", "2") == 0
    sweep_dir = tmp_path / "tiny_ppo" / "gymnax_cartpole"
    capsys.readouterr()
    assert main(["sweep-hp-samples", "--resume-from", str(sweep_dir), "--num-samples", "3"]) == 2
    err = capsys.readouterr().err
    assert "--num-samples 3 differs from 2 stored in" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_new_sweep_never_overwrites_an_existing_one(tmp_path, capsys):
    assert sweep(tmp_path, "--num-samples", "2") == 0
    sweep_dir = tmp_path / "tiny_ppo" / "gymnax_cartpole"
    before = (sweep_dir / "results.csv").read_bytes()
    assert sweep(tmp_path, "--num-samples", "2") == 2
    assert "already holds a sweep" in capsys.readouterr().err
    assert (sweep_dir / "results.csv").read_bytes() == before


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--algo-and-network-config", "ppo_nope"],
            "unknown recipe 'ppo_nope'; valid: dqn_mlp, dqn_sb3, ppo_mlp, ppo_sb3, sac_mlp, sac_sb3",
        ),
        (["--env-config", "gymnax.nope"], "unknown env config 'gymnax.nope'; valid:"),
        (["--sampling-method", "grid"], "unknown sampling method 'grid'; valid: qmc_sobol, random"),
        (["--num-samples", "0"], "must be a positive integer, got 0"),
        (["--hparam-batch-size", "-3"], "must be a positive integer, got -3"),
        (["--total-timesteps", "abc"], "expected an integer from 1 to 1000000000, got 'abc'"),
        (["--algo-and-network-config", "no/such/recipe.py"], "recipe file 'no/such/recipe.py' does not exist"),
        (["--resume-from", "/nonexistent/sweep"], "--resume-from /nonexistent/sweep: no sweep.json there"),
        (["--sequential", "maybe"], "expected True or False, got 'maybe'"),
        (
            ["--algo-and-network-config", "dqn_mlp", "--env-config", "gymnax.pendulum"],
            "dqn needs discrete actions but gymnax.pendulum",
        ),
        (
            ["--algo-and-network-config", "sac_mlp", "--env-config", "gymnax.cartpole"],
            "sac needs continuous actions but gymnax.cartpole",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_creates_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "hyperlax.cli", "sweep-hp-samples", "--output-root", str(out), *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not out.exists()


def test_a_recipe_that_raises_or_names_an_unknown_key_is_an_input_error(tmp_path, capsys):
    raising = tmp_path / "raising.py"
    raising.write_text(
        "def get_base_config():\n    raise ValueError('boom')\n"
        "def get_base_hyperparam_distributions():\n    return {}\n"
    )
    assert (
        main(["sweep-hp-samples", "--algo-and-network-config", str(raising), "--output-root", str(tmp_path / "o")]) == 2
    )
    assert "raised ValueError: boom" in capsys.readouterr().err
    typo = tmp_path / "typo.py"
    typo.write_text(
        "from hyperlax.configs.algo.ppo_mlp import get_base_config\n"
        "from hyperlax.space import Uniform\n"
        "def get_base_hyperparam_distributions():\n"
        "    return {'algorithm.hyperparam.actor_learning_rate': Uniform(domain=(0.1, 0.2))}\n"
    )
    assert main(["sweep-hp-samples", "--algo-and-network-config", str(typo), "--output-root", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert (
        "unknown hyperparameter key 'algorithm.hyperparam.actor_learning_rate'" in err
        and "algorithm.hyperparam.actor_lr" in err
    )
    assert not (tmp_path / "o").exists()


def test_show_recipe_lists_every_hyperparameter_with_its_kind_and_distribution(capsys):
    assert main(["show-recipe", TINY_PPO, "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| `algorithm.hyperparam.actor_lr` | traced | `0.0006` | `LogUniform(domain=(0.0001, 0.01))` |" in out
    assert "| `algorithm.hyperparam.num_envs` | structural | `2` |  |" in out
    assert (
        "`algorithm.network.actor_network.pre_torso.layer_sizes` | structural | `[8]` | "
        "`Categorical(values=[[8], [4, 4]])`" in out
    )


@pytest.mark.slow
def test_a_yaml_spec_drives_a_sweep_and_the_command_line_overrides_it(tmp_path):
    spec = tmp_path / "sweep.yaml"
    spec.write_text(
        f"algo_and_network_config: {TINY_PPO}\nenv_config: gymnax.cartpole\ntotal_timesteps: 64\nnum_evaluations: 2\n"
        f"eval_episodes: 2\nnum_seeds: 2\nnum_samples: 5\nhparam_batch_size: 2\nsequential: false\n"
    )
    assert (
        main(["sweep-hp-samples", "--spec", str(spec), "--num-samples", "2", "--output-root", str(tmp_path / "out")])
        == 0
    )
    rows = results(tmp_path / "out" / "tiny_ppo" / "gymnax_cartpole")
    assert sorted(rows) == ["0", "1"]
