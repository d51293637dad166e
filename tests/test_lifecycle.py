"""A study's lifecycle: reports at any time (study-plots, study-compare, the best parameters), presets, YAML
search spaces, phases with warm starts and MLflow tracking; real Optuna, SQLite, plotly HTML."""

import json
from pathlib import Path

import pytest

from tests.test_search import SEARCH, load, run_cli, study_dir_of


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
    from hyperlax.study import make_sampler

    assert make_sampler("tpe", 0, 4, startup_trials=3)._sampler._n_startup_trials == 3
    assert make_sampler("tpe", 0, 4)._sampler._n_startup_trials == 10  # Optuna's default when not given
    assert make_sampler("nsgaii", 0, 6)._sampler._population_size == 6


@pytest.mark.slow
def test_after_the_timeout_no_trial_is_asked_and_those_in_training_finish(tmp_path, capsys):
    code, out, _ = tiny_study(tmp_path, "--n-trials", "1000", "--timeout", "1", "--study-name", "t", capsys=capsys)
    assert code == 0 and "--timeout 1s reached" in out
    trials = load(study_dir_of(tmp_path), "t").get_trials()
    assert 0 < len(trials) < 1000 and all(t.state.is_finished() for t in trials)
