import json

import optuna
import pytest

from hyperlax.cli.main import main
from hyperlax.commands.study._validate import DEFAULT_ID
from hyperlax.results import metrics
from hyperlax.results.intervals import probability_of_improvement
from hyperlax.space.recipes import load_recipe
from tests.conftest import TINY_PPO
from tests.test_search import SEARCH, study_dir_of

pytestmark = pytest.mark.slow


def test_validate_best_trains_the_best_trial_and_the_default_on_fresh_seeds_with_intervals(tmp_path, capsys):
    assert main([*SEARCH, "--study-name", "v", "--n-trials", "2", "--output-root", str(tmp_path)]) == 0
    study_dir = study_dir_of(tmp_path)
    capsys.readouterr()
    assert main(["validate-best", "--study-dir", str(study_dir), "--num-seeds", "3"]) == 0
    out = capsys.readouterr().out
    report = json.loads((study_dir / "validation" / "validation.json").read_text())
    study = optuna.load_study(study_name="v", storage=f"sqlite:///{study_dir / 'optuna_study.db'}")
    best = study.best_trial
    [trial] = report
    assert trial["selected_by"] == "study_value" and trial["validation_num_seeds"] == 3
    assert trial["trial"] == best.number and trial["search_values"] == {"final_performance": best.value}
    assert trial["validation_status"] == "ok" and len(trial["validation"]["per_seed_final_returns"]) == 3
    searched = json.loads((study_dir / best.user_attrs["batch_dir"] / "hparams.json").read_text())
    assert {h["sample_id"]: h["values"] for h in searched}[best.number] == trial["params"]
    baseline, recipe = trial["baseline"], load_recipe(TINY_PPO)
    assert baseline["configuration"] == "recipe default" and baseline["validation_status"] == "ok"
    assert baseline["params"] == {k: recipe.defaults()[k] for k in recipe.distributions}
    for entry in (trial, baseline):
        per_seed, iqm = entry["validation"]["per_seed_final_returns"], entry["iqm_final_return"]
        assert len(per_seed) == 3 and iqm["estimate"] == pytest.approx(metrics.iqm(per_seed))
        assert iqm["ci_low"] <= iqm["estimate"] <= iqm["ci_high"]
    improvement = trial["probability_of_improvement"]
    per_seed = [e["validation"]["per_seed_final_returns"] for e in (trial, baseline)]
    assert improvement["estimate"] == pytest.approx(probability_of_improvement(*per_seed))
    assert 0.0 <= improvement["ci_low"] <= improvement["estimate"] <= improvement["ci_high"] <= 1.0
    batches = (study_dir / "validation" / "samples").glob("*/hparams.json")
    assert {h["sample_id"] for b in batches for h in json.loads(b.read_text())} == {best.number, DEFAULT_ID}
    page = (study_dir / "validation" / "curves.html").read_text()
    assert "recipe default" in page and f"trial {best.number}" in page and 'src="plotly.min.js"' in page
    assert (study_dir / "validation" / "plotly.min.js").is_file()
    assert "fresh-seed validation, 3 seeds" in out
    assert main(["validate-best", "--study-dir", str(study_dir)]) == 2  # never overwrites a validation
    assert "already holds a validation" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:The number of trials is too small")  # one trial: no importances
def test_validate_best_says_so_when_the_chosen_configuration_is_the_default(tmp_path, capsys):
    study_dir = study_dir_of(tmp_path)
    study_dir.mkdir(parents=True)
    storage = f"sqlite:///{study_dir / 'optuna_study.db'}"
    defaults = load_recipe(TINY_PPO).defaults()
    layers = "algorithm.network.actor_network.pre_torso.layer_sizes"
    params = {k: defaults[k] for k in ("algorithm.hyperparam.actor_lr", "algorithm.hyperparam.gamma")}
    optuna.create_study(study_name="d", storage=storage, direction="maximize").enqueue_trial(
        {**params, layers: json.dumps(defaults[layers])}
    )
    assert main([*SEARCH, "--study-name", "d", "--n-trials", "1", "--output-root", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["validate-best", "--study-dir", str(study_dir), "--num-seeds", "2"]) == 0
    [trial] = json.loads((study_dir / "validation" / "validation.json").read_text())
    assert trial["same_as_default"] is True
    # the same configuration on the same seeds: the same returns, so neither is better
    assert trial["validation"]["per_seed_final_returns"] == trial["baseline"]["validation"]["per_seed_final_returns"]
    assert trial["probability_of_improvement"]["estimate"] == 0.5
    assert f"trial {trial['trial']} is the recipe's default configuration" in capsys.readouterr().out


@pytest.mark.slow
def test_validate_best_trains_with_the_studys_fixed_values(tmp_path, capsys):
    space = {"mode": "update", "search_space": {}, "fixed": {"algorithm.hyperparam.gamma": 0.97}}
    argv = ["--n-trials", "2", "--output-root", str(tmp_path), "--search-space", json.dumps(space)]
    assert main([*SEARCH, "--study-name", "f", *argv]) == 0
    study_dir = study_dir_of(tmp_path)
    assert main(["validate-best", "--study-dir", str(study_dir), "--num-seeds", "2"]) == 0
    configs = [c["config"] for f in (study_dir / "validation").glob("samples/*/hparams.json")
               for c in json.loads(f.read_text())]  # fmt: skip
    assert len(configs) == 2 and all(c["algorithm.hyperparam.gamma"] == 0.97 for c in configs), configs
    [trial] = json.loads((study_dir / "validation" / "validation.json").read_text())
    assert "algorithm.hyperparam.gamma" not in trial["baseline"]["params"]


def test_validate_best_on_another_env_of_the_same_spaces_writes_a_separate_directory(tmp_path, capsys, monkeypatch):
    # A user env of CartPole's spaces with shorter episodes: another env, same observation and action spaces.
    (tmp_path / "short_cartpole.py").write_text(
        "import gymnax\n\n\ndef make():\n    env, params = gymnax.make('CartPole-v1')\n"
        "    return env, params.replace(max_steps_in_episode=200)\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main([*SEARCH, "--study-name", "e", "--n-trials", "2", "--output-root", str(tmp_path)]) == 0
    study_dir = study_dir_of(tmp_path)
    argv = [
        "validate-best",
        "--study-dir",
        str(study_dir),
        "--num-seeds",
        "2",
        "--env-config",
        "short_cartpole.py:make",
    ]
    assert main(argv) == 0
    assert "fresh seeds of short_cartpole.py:make" in capsys.readouterr().out
    [trial] = json.loads((study_dir / "validation_short_cartpole_make" / "validation.json").read_text())
    assert trial["validation_env_config"] == "short_cartpole.py:make" and trial["validation_status"] == "ok"
    assert trial["baseline"]["validation_status"] == "ok" and not (study_dir / "validation").exists()
