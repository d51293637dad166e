"""A study's lifecycle: reports at any time (study-plots, study-compare, the best parameters), presets, YAML
search spaces, phases with warm starts and MLflow tracking; real Optuna, SQLite, plotly HTML."""

import json
from pathlib import Path

import pytest

from tests.conftest import TINY_PPO
from tests.test_search import LAYERS, SEARCH, load, run_cli, study_dir_of


def tiny_study(root: Path, *extra: str, capsys=None) -> tuple:
    return run_cli([*SEARCH, "--n-trials", "4", "--output-root", str(root), *extra], capsys)


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory) -> list:
    dirs = []
    for seed in ("0", "1"):
        root = tmp_path_factory.mktemp(f"study{seed}")
        assert tiny_study(root, "--seed", seed, "--study-name", f"s{seed}")[0] == 0
        dirs.append(study_dir_of(root))
    return dirs


@pytest.mark.slow
def test_study_compare_prints_each_studys_best_side_by_side_and_writes_their_histories(two_studies, tmp_path, capsys):
    output = tmp_path / "compare.html"
    code, out, err = run_cli(["study-compare", *map(str, two_studies), "--output", str(output)], capsys)
    assert code == 0, err
    for directory in two_studies:
        name = json.loads((directory / "study.json").read_text())["args"]["study_name"]
        study = load(directory, name)
        assert f"{study.best_value:.5g}" in out and f"{study.best_params['algorithm.hyperparam.gamma']:.5g}" in out
    assert "wall time" in out
    page = output.read_text()
    assert page.count("best so far") >= 2 and (tmp_path / "plotly.min.js").is_file()


@pytest.mark.slow
def test_study_plots_writes_every_plot_again_from_storage(two_studies):
    plots = two_studies[0] / "analysis_plots"
    for page in plots.glob("*.html"):
        page.unlink()
    assert run_cli(["study-plots", "--study-dir", str(two_studies[0])])[0] == 0
    names = {p.stem for p in plots.glob("*.html")}
    assert {"optimization_history", "slice", "contour", "intermediate_values", "param_importances"} <= names


def test_study_compare_needs_two_studies(tmp_path, capsys):
    code, _, err = run_cli(["study-compare", str(tmp_path)], capsys)
    assert code == 2 and "two or more study directories" in err and err.count("\n") == 1


@pytest.mark.slow
def test_the_end_of_study_summary_prints_the_best_parameters(tmp_path, capsys):
    code, out, _ = tiny_study(tmp_path, "--study-name", "summary", capsys=capsys)
    assert code == 0
    best = load(study_dir_of(tmp_path), "summary").best_trial
    assert "best parameters" in out and f"trial {best.number}" in out
    assert f"{best.params['algorithm.hyperparam.gamma']:.5g}" in out


def test_sampler_settings_reach_the_samplers():
    from hyperlax.commands.study import make_sampler

    assert make_sampler("tpe", 0, 4, startup_trials=3)._sampler._n_startup_trials == 3
    assert make_sampler("tpe", 0, 4)._sampler._n_startup_trials == 10  # Optuna's default when not given
    assert make_sampler("nsgaii", 0, 6)._sampler._population_size == 6


@pytest.mark.slow
def test_after_the_timeout_no_trial_is_asked_and_those_in_training_finish(tmp_path, capsys):
    code, out, _ = tiny_study(tmp_path, "--n-trials", "1000", "--timeout", "1", "--study-name", "t", capsys=capsys)
    assert code == 0 and "--timeout 1s reached" in out
    trials = load(study_dir_of(tmp_path), "t").get_trials()
    assert 0 < len(trials) < 1000 and all(t.state.is_finished() for t in trials)


def parsed(argv: list):
    from hyperlax.cli.main import build_parser, expand_spec

    parser = build_parser()
    return parser.parse_args(expand_spec(parser, argv))


def test_a_preset_is_a_spec_that_flags_and_a_spec_override():
    quick = parsed(["optuna-hp-search", "--preset", "quick"])
    assert (quick.n_trials, quick.total_timesteps, quick.sampler_startup_trials) == (12, 20000, 4)
    assert parsed(["optuna-hp-search", "--preset", "quick", "--n-trials", "3"]).n_trials == 3
    sweep = parsed(["sweep-hp-samples", "--preset", "standard"])  # a sweep takes the keys it has
    assert (sweep.num_samples, sweep.total_timesteps, sweep.pruner) == (64, 100000, "halving")


def test_a_spec_may_name_a_preset_and_change_some_keys(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("preset: thorough\nn_trials: 5\n")
    args = parsed(["optuna-hp-search", "--spec", str(spec)])
    assert (args.n_trials, args.num_seeds, args.seed_aggregate, args.reevaluate_top) == (5, 4, "iqm", 8)
    assert parsed(["optuna-hp-search", "--spec", str(spec), "--preset", "quick"]).num_seeds == 2  # flag wins


SPACE_SPEC = f"""algo_and_network_config: {TINY_PPO}
env_config: gymnax.cartpole
total_timesteps: 64
num_evaluations: 2
eval_episodes: 2
num_seeds: 1
search_space_mode: replace
search_space:
  algorithm.hyperparam.actor_lr: {{log_uniform: [1.0e-4, 1.0e-2]}}
  algorithm.hyperparam.clip_eps: {{uniform: [0.1, 0.3]}}
  algorithm.hyperparam.epochs: {{int_log: [1, 2]}}
  algorithm.hyperparam.num_minibatches: {{int: [2, 2]}}
  algorithm.hyperparam.rollout_length: {{power_of_two: [3, 4]}}
  {LAYERS}: {{categorical: [[8]]}}
fixed:
  algorithm.hyperparam.gae_lambda: 0.9
"""
SPACE_KEYS = {"actor_lr", "clip_eps", "epochs", "num_minibatches", "rollout_length", "layer_sizes"}


def assert_in_space(values: dict, config: dict) -> None:
    assert {k.split(".")[-1] for k in values} == SPACE_KEYS
    assert values["algorithm.hyperparam.rollout_length"] in (8, 16) and 1 <= values["algorithm.hyperparam.epochs"] <= 2
    assert config["algorithm.hyperparam.gae_lambda"] == 0.9


@pytest.mark.slow
def test_a_yaml_search_space_runs_a_sweep_and_a_study_with_its_distributions_and_fixed_values(tmp_path):
    spec = tmp_path / "space.yaml"
    spec.write_text(SPACE_SPEC)
    out = tmp_path / "out"
    sweep = ["sweep-hp-samples", "--spec", str(spec), "--num-samples", "4", "--hparam-batch-size", "2"]
    assert run_cli([*sweep, "--output-root", str(out / "sweep")])[0] == 0
    for batch in (study_dir_of(out / "sweep") / "samples").glob("batch_*/hparams.json"):
        for entry in json.loads(batch.read_text()):
            assert_in_space(entry["values"], entry["config"])
    study = ["optuna-hp-search", "--spec", str(spec), "--n-trials", "4", "--study-name", "space"]
    assert run_cli([*study, "--runner-hparam-batch-size", "2", "--output-root", str(out / "study")])[0] == 0
    study_dir = study_dir_of(out / "study")
    for trial_dir in study_dir.glob("pool_*/trial_*"):
        [entry] = json.loads((trial_dir / "hparams.json").read_text())
        assert_in_space(entry["values"], entry["config"])
    stored = json.loads((study_dir / "study.json").read_text())["args"]["search_space"]
    assert json.loads(stored)["fixed"] == {"algorithm.hyperparam.gae_lambda": 0.9}
    assert run_cli(["optuna-hp-search", "--resume-from", str(study_dir), "--n-trials", "5"])[0] == 0  # same space
    trials = load(study_dir, "space").get_trials()
    assert len(trials) == 5 and all(t.params["algorithm.hyperparam.rollout_length"] in (8, 16) for t in trials)


@pytest.mark.slow
def test_a_warm_started_study_trains_the_previous_top_k_first_and_records_the_phase(two_studies, tmp_path, capsys):
    previous = two_studies[0]
    name = json.loads((previous / "study.json").read_text())["args"]["study_name"]
    old = sorted(load(previous, name).get_trials(), key=lambda t: (-(t.value or -1e9), t.number))[:3]
    argv = ["--study-name", "phase2", "--warm-start-from", str(previous), "--warm-start-top-k", "3"]
    assert tiny_study(tmp_path, *argv)[0] == 0
    study_dir = study_dir_of(tmp_path)
    new = sorted(load(study_dir, "phase2").get_trials(), key=lambda t: t.number)
    assert [t.params for t in new[:3]] == [t.params for t in old]
    [phase] = json.loads((study_dir / "study.json").read_text())["phases"]
    assert phase["study_name"] == name and phase["enqueued_trials"] == [t.number for t in old]
    code, out, _ = run_cli(["study-status", "--study-dir", str(study_dir)], capsys)
    assert code == 0 and f"phase 1: '{name}'" in out


def test_narrowing_keeps_a_window_of_relative_width_around_the_best_inside_the_domain():
    from hyperlax.commands.study._warm import narrowed
    from hyperlax.space.distributions import Categorical, IntLog, LogUniform, Uniform, UniformInt

    space = {"u": Uniform((0.0, 1.0)), "l": LogUniform((1e-5, 1e-1)), "i": UniformInt((1, 100)),
             "g": IntLog((1, 10_000)), "c": Categorical([1, 2])}  # fmt: skip
    out = narrowed(space, {"u": 0.9, "l": 1e-3, "i": 50, "g": 100, "c": 1}, 0.5)
    assert out["u"].domain == pytest.approx((0.65, 1.0))  # clipped at the top
    assert out["l"].domain == pytest.approx((1e-4, 1e-2))  # half of 4 decades, centred in log space
    assert out["i"].domain == (25, 75) and out["g"].domain == (10, 1000) and out["c"] == space["c"]


def test_the_example_phase_specs_name_only_real_flags():
    examples = Path(__file__).parent.parent / "examples"
    phase1 = parsed(["optuna-hp-search", "--spec", str(examples / "pendulum_phase1.yaml")])
    phase2 = parsed(["optuna-hp-search", "--spec", str(examples / "pendulum_phase2.yaml")])
    assert (phase1.n_trials, phase1.total_timesteps, phase2.n_trials, phase2.warm_start_top_k) == (12, 20000, 8, 3)


@pytest.mark.slow
def test_mlflow_tracking_logs_a_parent_run_and_a_nested_run_per_trial(tmp_path, capsys):
    mlflow = pytest.importorskip("mlflow")
    uri = f"file:{tmp_path}/m"
    argv = ["--n-trials", "8", "--pruner", "none", "--mlflow-tracking-uri", uri, "--study-name", "tracked"]
    assert tiny_study(tmp_path / "runs", *argv)[0] == 0
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tracked")
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_ids=[experiment.experiment_id])
    trials = runs[runs["tags.mlflow.parentRunId"].notna()]
    parents = runs[runs["tags.mlflow.parentRunId"].isna()]
    assert len(trials) == 8 and len(parents) == 1, runs
    assert set(trials["tags.mlflow.parentRunId"]) == set(parents["run_id"])
    assert trials[f"params.{LAYERS}"].isin(["[8]", "[4, 4]"]).all()
    assert trials["params.algorithm.hyperparam.actor_lr"].notna().all()
    assert trials["metrics.final_performance"].notna().all()
    assert set(trials["tags.hyperlax.state"]) == {"COMPLETE"} and set(trials["status"]) == {"FINISHED"}
    for run_id in trials["run_id"]:
        history = client.get_metric_history(run_id, "eval_return")
        assert len(history) == 2 and history[-1].step == 64, history  # --num-evaluations 2 of --total-timesteps 64
        assert [a.path for a in client.list_artifacts(run_id)] == ["eval_return.html"]
    # A resume finds the study's parent run again (by its tags) instead of opening a second one.
    study_dir = study_dir_of(tmp_path / "runs")
    assert run_cli(["optuna-hp-search", "--resume-from", str(study_dir), "--n-trials", "9"], capsys)[0] == 0
    runs = mlflow.search_runs(experiment_ids=[experiment.experiment_id])
    assert len(runs) == 10 and runs["tags.mlflow.parentRunId"].isna().sum() == 1


def test_the_mlflow_flag_without_mlflow_is_one_input_error_naming_the_extra(tmp_path, monkeypatch, capsys):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else find_spec(name, *a))
    code, _, err = tiny_study(tmp_path, "--mlflow-tracking-uri", f"file:{tmp_path}/m", capsys=capsys)
    assert code == 2 and 'pip install -e ".[mlflow]"' in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_study_best_as_yaml_is_a_spec_that_a_sweep_trains_as_the_best_trial(two_studies, tmp_path, capsys):
    import yaml

    code, out, _ = run_cli(["study-best", "--study-dir", str(two_studies[0]), "--format", "yaml"], capsys)
    assert code == 0
    spec = yaml.safe_load(out)
    assert spec["search_space"] == {} and spec["search_space_mode"] == "replace" and spec["num_samples"] == 1
    assert spec["total_timesteps"] == 64 and spec["env_config"] == "gymnax.cartpole"
    (tmp_path / "best.yaml").write_text(out)
    root = tmp_path / "again"
    assert run_cli(["sweep-hp-samples", "--spec", str(tmp_path / "best.yaml"), "--output-root", str(root)])[0] == 0
    [hparams] = (root / "tiny_ppo" / "gymnax_cartpole").glob("samples/*/hparams.json")
    [trained] = json.loads(hparams.read_text())
    best = json.loads((two_studies[0] / "best_optuna_params.json").read_text())["best_trial"]["params"]
    assert trained["values"] == {} and {k: trained["config"][k] for k in best} == best
    assert trained["config"] == spec["fixed"]
