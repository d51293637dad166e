"""optuna-hp-search end to end on a tiny recipe, with real SQLite files and real Optuna."""

import importlib.util
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from hyperlax.cli.main import main
from hyperlax.commands.pruning import PRUNERS
from hyperlax.commands.study import (
    SAMPLERS,
    beyond_budget,
    decode_params,
    make_sampler,
    suggest_values,
    was_trained,
)
from hyperlax.space.distributions import Categorical, LogUniform, Uniform, UniformInt
from hyperlax.space.recipes import load_recipe
from hyperlax.space.spec import apply_grid
from tests.conftest import TINY_PPO

LAYERS = "algorithm.network.actor_network.pre_torso.layer_sizes"  # a categorical of lists: [8] or [4, 4]
# The sweep tests' recipe, env and budget: the JAX cache serves the programs they compiled.
SEARCH = [
    "optuna-hp-search",
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
    "--optuna-study-batch-size",
    "4",
    "--runner-hparam-batch-size",
    "4",
]
PLOTS = ("optimization_history", "param_importances", "parallel_coordinate", "slice", "contour")


def run_cli(argv: list, capsys=None) -> tuple:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors exit from parse_args
        code = exc.code
    out = capsys.readouterr() if capsys else SimpleNamespace(out="", err="")
    return code, out.out, out.err


def study_dir_of(root: Path) -> Path:
    return root / "tiny_ppo" / "gymnax_cartpole"


def load(study_dir: Path, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{study_dir / 'optuna_study.db'}")


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("single")
    code, _, _ = run_cli([*SEARCH, "--study-name", "single", "--n-trials", "4", "--output-root", str(root)])
    assert code == 0
    return study_dir_of(root)


def test_single_objective_study_writes_every_output(single):
    study = load(single, "single")
    trials = study.get_trials()
    assert len(trials) == 4 and all(t.state == TrialState.COMPLETE and math.isfinite(t.value) for t in trials)
    for name in (
        "optuna_study.db",
        "study.json",
        "trials.csv",
        "best_optuna_params.json",
        "analysis_plots/plotly.min.js",
    ):
        assert (single / name).is_file(), name
    for name in PLOTS:
        page = (single / "analysis_plots" / f"{name}.html").read_text()
        assert "plotly.min.js" in page and "Plotly.newPlot" in page, name
    assert not (single / "pareto_front_params.json").exists()
    assert len((single / "trials.csv").read_text().strip().splitlines()) == 1 + 4
    args = json.loads((single / "study.json").read_text())["args"]
    assert args["n_trials"] == 4 and args["study_name"] == "single" and args["storage"] is None


def test_best_json_matches_study_best_trial(single):
    best = load(single, "single").best_trial
    stored = json.loads((single / "best_optuna_params.json").read_text())["best_trial"]
    assert stored["number"] == best.number
    assert stored["values"] == {"final_performance": best.value}
    assert stored["params"] == decode_params(best.params, [LAYERS])
    assert (
        stored["metrics"]["final_performance"] == best.value and len(stored["metrics"]["per_seed_final_returns"]) == 2
    )


def test_every_trial_keeps_metrics_batch_dir_and_structure_as_user_attrs(single):
    for trial in load(single, "single").get_trials():
        attrs = trial.user_attrs
        assert {
            "peak_performance",
            "final_performance",
            "stability_score",
            "normalized_auc",
            "per_seed_final_returns",
            "env_steps_per_second",
        } <= set(attrs)
        assert attrs["structural_key"]["actor_layer_sizes"] == json.loads(trial.params[LAYERS])
        hparams = json.loads((single / attrs["batch_dir"] / "hparams.json").read_text())
        entry = next(h for h in hparams if h["sample_id"] == trial.number)
        assert entry["values"][LAYERS] == json.loads(trial.params[LAYERS])  # the list itself, not its JSON string
        assert entry["config"][LAYERS] in ([8], [4, 4])


def test_categorical_lists_round_trip_through_optuna():
    distributions = load_recipe(TINY_PPO).distributions
    study = optuna.create_study()
    study.enqueue_trial({LAYERS: "[4, 4]"})
    enqueued, fresh = study.ask(), study.ask()
    assert suggest_values(enqueued, distributions)[LAYERS] == [4, 4]
    values = suggest_values(fresh, distributions)
    assert values[LAYERS] in ([8], [4, 4]) and isinstance(fresh.params[LAYERS], str)
    assert decode_params(fresh.params, [LAYERS]) == values


def test_each_distribution_maps_to_its_suggest():
    distributions = {
        "a.log": LogUniform(domain=(1e-4, 1e-2)),
        "a.lin": Uniform(domain=(0.1, 0.3)),
        "a.int": UniformInt(domain=(1, 4)),
        "a.act": Categorical(values=["tanh", "relu"]),
        "a.flag": Categorical(values=[True, False]),
    }
    trial = optuna.create_study().ask()
    values = suggest_values(trial, distributions)
    d = trial.distributions
    assert d["a.log"] == FloatDistribution(1e-4, 1e-2, log=True) and d["a.lin"] == FloatDistribution(0.1, 0.3)
    assert d["a.int"] == IntDistribution(1, 4) and isinstance(values["a.int"], int) and 1 <= values["a.int"] <= 4
    assert d["a.act"] == CategoricalDistribution(["tanh", "relu"]) and values["a.act"] == trial.params["a.act"]
    assert values["a.flag"] in (True, False)


def test_study_commands_read_the_storage_from_study_json(single, capsys):
    code, out, _ = run_cli(["study-status", "--study-dir", str(single)], capsys)
    assert code == 0 and "complete" in out
    code, out, _ = run_cli(["study-best", "--study-dir", str(single)], capsys)
    assert code == 0 and json.loads(out) == json.loads((single / "best_optuna_params.json").read_text())
    code, out, _ = run_cli(["study-export", "--study-dir", str(single), "--format", "json"], capsys)
    assert code == 0 and [t["number"] for t in json.loads(out)] == [0, 1, 2, 3]
    code, out, _ = run_cli(["study-export", "--study-dir", str(single), "--format", "csv"], capsys)
    assert code == 0 and out == (single / "trials.csv").read_text()


@pytest.mark.slow
def test_multi_objective_pareto_file_matches_best_trials(tmp_path):
    code, _, _ = run_cli(
        [
            *SEARCH,
            "--study-name",
            "multi",
            "--n-trials",
            "4",
            "--output-root",
            str(tmp_path),
            "--objective-names",
            "final_performance",
            "normalized_auc",
            "--sampler",
            "nsgaii",
        ]
    )
    assert code == 0
    study_dir = study_dir_of(tmp_path)
    study = load(study_dir, "multi")
    front = json.loads((study_dir / "pareto_front_params.json").read_text())["pareto_front"]
    assert front and sorted(t["number"] for t in front) == sorted(t.number for t in study.best_trials)
    by_number = {t.number: t for t in study.best_trials}
    for record in front:
        assert list(record["values"].values()) == by_number[record["number"]].values
    assert "Plotly.newPlot" in (study_dir / "analysis_plots" / "pareto_front.html").read_text()
    assert not (study_dir / "best_optuna_params.json").exists()


@pytest.mark.slow
def test_resume_fails_orphaned_running_trials_and_ends_with_exactly_n_trials(tmp_path):
    assert run_cli([*SEARCH, "--study-name", "resume", "--n-trials", "2", "--output-root", str(tmp_path)])[0] == 0
    study_dir = study_dir_of(tmp_path)
    study = load(study_dir, "resume")
    # What a SIGKILLed worker leaves: RUNNING trials with parameters and no heartbeat.
    orphans = [study.ask() for _ in range(2)]
    for trial in orphans:
        suggest_values(trial, load_recipe(TINY_PPO).distributions)

    code, _, _ = run_cli(
        ["optuna-hp-search", "--resume-from", str(study_dir), "--n-trials", "4", "--heartbeat-interval", "1"]
    )

    assert code == 0
    trials = load(study_dir, "resume").get_trials()
    assert sum(map(was_trained, trials)) == 4
    assert all(t.state == TrialState.COMPLETE for t in trials if was_trained(t))
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    failed = {t.number: t for t in trials if t.state == TrialState.FAIL}
    assert sorted(failed) == [t.number for t in orphans]
    retries = {t.system_attrs["failed_trial"]: t for t in trials if "failed_trial" in t.system_attrs}
    assert sorted(retries) == sorted(failed) and all(retries[n].params == failed[n].params for n in failed)


def test_budget_is_the_first_n_trials_that_are_trained_training_or_waiting():
    def trial(number, state, **attrs):
        return SimpleNamespace(number=number, state=state, user_attrs=attrs)

    trials = [
        trial(0, TrialState.COMPLETE, batch_dir="b"),
        trial(1, TrialState.FAIL, reason_code="interrupted"),
        trial(2, TrialState.FAIL, batch_dir="b", reason_code="diverged"),
        trial(3, TrialState.WAITING),
        *(trial(n, TrialState.RUNNING) for n in range(4, 10)),
        trial(10, TrialState.FAIL, batch_dir="b", reason_code="interrupted"),
    ]  # killed while being told
    # 0, 2, 3, 4, 5 make five; the interrupted trials count for nothing.
    assert [t.number for t in trials if was_trained(t)] == [0, 2]
    assert beyond_budget(trials, [4, 5, 6, 7], n_trials=5) == [6, 7]
    assert beyond_budget(trials, [8, 9], n_trials=20) == []


def test_resuming_with_other_objectives_is_an_error_and_touches_nothing(single, capsys):
    db = single / "optuna_study.db"
    before = (db.stat().st_mtime_ns, (single / "study.json").read_text())
    code, _, err = run_cli(
        ["optuna-hp-search", "--resume-from", str(single), "--objective-names", "stability_score"], capsys
    )
    assert code == 2 and "--objective-names" in err and "differs" in err
    assert (db.stat().st_mtime_ns, (single / "study.json").read_text()) == before


def test_a_second_study_in_the_same_directory_needs_resume(single, capsys):
    code, _, err = run_cli([*SEARCH, "--study-name", "single", "--output-root", str(single.parent.parent)], capsys)
    assert code == 2 and f"--resume-from {single}" in err


@pytest.mark.parametrize("name", SAMPLERS)
def test_every_sampler_suggests_from_the_recipe_space(name):
    spec = SAMPLERS[name]
    if spec.needs and importlib.util.find_spec(spec.needs) is None:
        pytest.skip(f"{spec.needs} is not installed")
    distributions = load_recipe(TINY_PPO).distributions
    if name == "grid":  # a grid of categoricals over the same keys
        grid = {"algorithm.hyperparam.actor_lr": [1e-4, 1e-3, 1e-2], "algorithm.hyperparam.gamma": [0.9, 0.99],
                LAYERS: [[8], [4, 4]]}  # fmt: skip
        distributions = apply_grid(load_recipe(TINY_PPO), json.dumps(grid)).distributions
    directions = ["maximize", "maximize"] if spec.multi_objective else ["maximize"]
    sampler = make_sampler(name, seed=0, population_size=2, distributions=distributions)
    study = optuna.create_study(directions=directions, sampler=sampler)
    for _ in range(3):  # a second super-batch sees the first one's results
        asked = [study.ask() for _ in range(2)]
        for trial in asked:
            values = suggest_values(trial, distributions)
            assert 1e-4 <= values["algorithm.hyperparam.actor_lr"] <= 1e-2 and values[LAYERS] in ([8], [4, 4])
            study.tell(trial, [values["algorithm.hyperparam.gamma"]] * len(directions))


def test_workers_with_one_seed_draw_different_trials_and_reproduce_each_trial():
    storage = optuna.storages.InMemoryStorage()
    distributions = load_recipe(TINY_PPO).distributions
    workers = [
        optuna.create_study(
            storage=storage,
            study_name="shared",
            load_if_exists=True,
            sampler=make_sampler("random", seed=7, population_size=2),
        )
        for _ in range(2)
    ]
    params = [suggest_values(workers[i % 2].ask(), distributions)["algorithm.hyperparam.actor_lr"] for i in range(4)]
    assert len(set(params)) == 4
    alone = optuna.create_study(sampler=make_sampler("random", seed=7, population_size=2))
    assert [suggest_values(alone.ask(), distributions)["algorithm.hyperparam.actor_lr"] for _ in range(4)] == params


def test_a_worker_with_other_settings_cannot_join_a_stored_study(single, tmp_path, capsys):
    code, _, err = run_cli(
        [
            *SEARCH,
            "--study-name",
            "single",
            "--storage",
            f"sqlite:///{single / 'optuna_study.db'}",
            "--output-root",
            str(tmp_path / "other"),
            "--total-timesteps",
            "128",
        ],
        capsys,
    )
    assert code == 2 and "was started with other total_timesteps" in err
    assert not (tmp_path / "other").exists()


# ---- pruning ----


def test_every_trial_reports_its_eval_return_at_each_evaluation_before_the_last(single):
    for trial in load(single, "single").get_trials():
        curves = np.load(single / trial.user_attrs["batch_dir"] / "curves.npz")
        index = [int(i) for i in curves["sample_ids"]].index(trial.number)
        assert trial.intermediate_values == {1: pytest.approx(float(curves["returns"][index, :, 0].mean()))}


@pytest.mark.slow
@pytest.mark.parametrize("name", PRUNERS)
def test_every_pruner_runs_a_study_to_its_trial_budget(name, tmp_path):
    code, _, _ = run_cli(
        [
            *SEARCH,
            "--study-name",
            name,
            "--n-trials",
            "4",
            "--pruner",
            name,
            "--optuna-study-batch-size",
            "2",
            "--num-evaluations",
            "4",
            "--output-root",
            str(tmp_path),
        ]
    )
    assert code == 0
    trials = load(study_dir_of(tmp_path), name).get_trials()
    assert len(trials) == 4 and all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    for trial in trials:  # reported at evaluations 1, 2, ... up to where it stopped (a complete one: all but the last)
        steps = sorted(trial.intermediate_values)
        assert steps == list(range(1, len(steps) + 1))
        assert len(steps) == 3 if trial.state == TrialState.COMPLETE else 1 <= len(steps) <= 3


@pytest.mark.slow
def test_a_pruned_trial_stops_training_and_is_told_pruned_with_its_last_intermediate_value(tmp_path, monkeypatch):
    # A real Optuna pruner that prunes every reported value below 1e9, i.e. every trial at its first evaluation.
    import hyperlax.commands.study._worker as worker

    monkeypatch.setattr(worker, "make_pruner", lambda settings, evaluations: optuna.pruners.ThresholdPruner(lower=1e9))
    code, _, _ = run_cli(
        [*SEARCH, "--study-name", "p", "--n-trials", "4", "--pruner", "median", "--output-root", str(tmp_path)]
    )
    assert code == 0
    study_dir = study_dir_of(tmp_path)
    trials = load(study_dir, "p").get_trials()
    assert [t.state for t in trials] == [TrialState.PRUNED] * 4  # pruned trials count toward --n-trials
    for trial in trials:
        assert trial.value == trial.intermediate_values[1]
        assert trial.user_attrs["reason"] == "pruned after 32 env steps"
        curves = np.load(study_dir / trial.user_attrs["batch_dir"] / "curves.npz")
        index = [int(i) for i in curves["sample_ids"]].index(trial.number)
        assert (
            np.isfinite(curves["returns"][index, :, 0]).all() and np.isnan(curves["returns"][index, :, 1]).all()
        )  # never trained


# ---- YAML study specs ----


@pytest.mark.slow
def test_a_yaml_spec_sets_the_flags_and_the_command_line_overrides_it(tmp_path):
    spec = tmp_path / "study.yaml"
    spec.write_text(
        f"algo_and_network_config: {TINY_PPO}\nenv-config: gymnax.cartpole\ntotal_timesteps: 64\nnum_evaluations: 2\n"
        f"eval_episodes: 2\nnum_seeds: 2\nstudy_name: from_spec\nn_trials: 4\noptuna_study_batch_size: 4\n"
        f"runner_hparam_batch_size: 4\nobjective_names: [final_performance, peak_performance]\n"
        f"no_compile_cache: false\noutput_root: {tmp_path / 'out'}\n"
    )
    code, _, _ = run_cli(
        ["optuna-hp-search", "--spec", str(spec), "--n-trials", "2", "--objective-names", "final_performance"]
    )
    assert code == 0
    study_dir = study_dir_of(tmp_path / "out")
    args = json.loads((study_dir / "study.json").read_text())["args"]
    assert (args["study_name"], args["n_trials"], args["objective_names"]) == ("from_spec", 2, ["final_performance"])
    assert len(load(study_dir, "from_spec").get_trials()) == 2
