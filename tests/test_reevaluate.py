"""Top-k re-evaluation at the end of a study, end to end through the CLI on the tiny recipe."""

import csv
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from hyperlax.commands.rundir import EnvChoice
from hyperlax.commands.study._reevaluate import REEVALUATION_SEED_OFFSET, Reevaluation, reevaluate
from hyperlax.engine.runner import RunSettings
from hyperlax.space.recipes import load_recipe
from tests.test_search import SEARCH, load, run_cli, study_dir_of

pytestmark = pytest.mark.slow
TOP, SEEDS = 2, 3


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reevaluate")
    argv = [*SEARCH, "--study-name", "re", "--n-trials", "4", "--seed-aggregate", "min", "--output-root", str(root)]
    code, _, _ = run_cli([*argv, "--reevaluate-top", str(TOP), "--reevaluate-seeds", str(SEEDS)])
    assert code == 0
    return study_dir_of(root)


def records_of(study) -> dict:
    return {int(n): r for n, r in study.user_attrs["reevaluation"]["trials"].items()}


def test_the_top_k_trials_are_retrained_on_fresh_seeds_and_their_metrics_stored(study_dir):
    study = load(study_dir, "re")
    reevaluation = study.user_attrs["reevaluation"]
    assert (reevaluation["status"], reevaluation["top"], reevaluation["num_seeds"]) == ("done", TOP, SEEDS)
    assert reevaluation["seed"] == 0 + REEVALUATION_SEED_OFFSET  # keys from a stream no trial used
    top = sorted(study.get_trials(), key=lambda t: (-t.value, t.number))[:TOP]
    records = records_of(study)
    assert sorted(records) == sorted(t.number for t in top)
    for trial in top:
        record = records[trial.number]
        per_seed = record["metrics"]["per_seed_final_returns"]
        assert record["status"] == "ok" and len(per_seed) == SEEDS
        assert record["metrics"]["final_performance"] == min(per_seed)  # the study's --seed-aggregate min
        assert record["metrics"]["param_count"] == trial.user_attrs["param_count"]  # carried, not retrained
        assert (study_dir / record["batch_dir"] / "success.txt").is_file()


def test_the_study_values_used_the_seed_aggregate(study_dir):
    for trial in load(study_dir, "re").get_trials():
        assert trial.value == min(trial.user_attrs["per_seed_final_returns"])


def test_best_json_names_the_best_by_reevaluated_value_with_both_scores(study_dir):
    study = load(study_dir, "re")
    records = records_of(study)
    best_number = max(records, key=lambda n: (records[n]["metrics"]["final_performance"], -n))
    summary = json.loads((study_dir / "best_optuna_params.json").read_text())
    best = summary["best_trial"]
    assert summary["selected_by"] == "reevaluated_value"
    assert best["number"] == best_number and summary["study_best_trial"] == study.best_trial.number
    assert best["values"] == {"final_performance": study.trials[best_number].value}
    assert best["reevaluated_values"] == {"final_performance": records[best_number]["metrics"]["final_performance"]}
    assert best["reevaluated_num_seeds"] == SEEDS
    assert summary["reevaluation"]["trials"] == sorted(records)
    report = json.loads((study_dir / "reevaluation" / "reevaluation.json").read_text())
    assert report["selected"] == [best_number] and len(report["trials"]) == TOP


def test_study_best_and_trials_csv_report_the_reevaluation(study_dir, capsys):
    code, out, _ = run_cli(["study-best", "--study-dir", str(study_dir)], capsys)
    assert code == 0 and json.loads(out) == json.loads((study_dir / "best_optuna_params.json").read_text())
    rows = list(csv.DictReader(io.StringIO((study_dir / "trials.csv").read_text())))
    records = records_of(load(study_dir, "re"))
    for row in rows:
        value = row["reevaluated_final_performance"]
        number = int(row["number"])
        assert value == (str(records[number]["metrics"]["final_performance"]) if number in records else "")


def test_a_worker_that_did_not_tell_the_last_trial_leaves_the_reevaluation_to_the_one_that_did(study_dir):
    study = load(study_dir, "re")
    before = study.user_attrs["reevaluation"]
    asked = Reevaluation(top=TOP + 1, num_seeds=SEEDS, study_seed=0, env=EnvChoice("gymnax.cartpole"))
    recipe, out = load_recipe(SEARCH[2]), io.StringIO()
    settings = RunSettings(total_timesteps=64, num_evaluations=2, eval_episodes=2)
    reevaluate(study, recipe, asked, settings, study_dir, Console(file=out), worker="another-host:1")
    assert "left to worker" in out.getvalue()
    assert load(study_dir, "re").user_attrs["reevaluation"] == before


def test_several_objectives_reevaluate_the_pareto_front_and_recompute_it(tmp_path):
    objectives = ["--objective-names", "final_performance", "peak_performance"]
    argv = [*SEARCH, *objectives, "--study-name", "mo", "--n-trials", "4", "--output-root", str(tmp_path)]
    assert run_cli([*argv, "--reevaluate-top", "3", "--reevaluate-seeds", "2"])[0] == 0
    study_dir = study_dir_of(tmp_path)
    study = load(study_dir, "mo")
    records, front = records_of(study), sorted(t.number for t in study.best_trials)
    assert set(records) <= set(front) and len(records) == min(3, len(front))
    values = {n: [r["metrics"]["final_performance"], r["metrics"]["peak_performance"]] for n, r in records.items()}

    def dominated(v):
        return any(all(a >= b for a, b in zip(w, v, strict=True)) and w != v for w in values.values())

    summary = json.loads((study_dir / "pareto_front_params.json").read_text())
    assert summary["selected_by"] == "reevaluated_value" and summary["study_pareto_front"] == front
    assert [t["number"] for t in summary["pareto_front"]] == sorted(n for n, v in values.items() if not dominated(v))
    assert all(t["reevaluated_num_seeds"] == 2 for t in summary["pareto_front"])


def test_a_resume_with_a_larger_k_retrains_only_the_new_trials(study_dir):
    code, _, _ = run_cli(["optuna-hp-search", "--resume-from", str(study_dir), "--reevaluate-top", str(TOP + 1)])
    assert code == 0
    study = load(study_dir, "re")
    records = records_of(study)
    assert len(records) == TOP + 1 and study.user_attrs["reevaluation"]["top"] == TOP + 1
    rounds = sorted(p.name for p in (study_dir / "reevaluation").glob("round_*"))
    assert rounds == ["round_0000", "round_0001"]
    new = [n for n, r in records.items() if r["batch_dir"].startswith("reevaluation/round_0001")]
    assert len(new) == 1


def test_a_reevaluation_cut_short_is_finished_by_a_resume_with_the_same_values(study_dir):
    study = load(study_dir, "re")
    stored = study.user_attrs["reevaluation"]
    first = min(stored["trials"])
    cut_short = {**stored, "status": "training", "trials": {first: stored["trials"][first]}}
    study.set_user_attr("reevaluation", cut_short)  # as an interrupted re-evaluation leaves it
    assert load(study_dir, "re").user_attrs["reevaluation"]["status"] == "training"
    rounds = len(list((study_dir / "reevaluation").glob("round_*")))
    assert run_cli(["optuna-hp-search", "--resume-from", str(study_dir)])[0] == 0
    after = load(study_dir, "re").user_attrs["reevaluation"]
    assert after["status"] == "done" and sorted(after["trials"]) == sorted(stored["trials"])
    assert len(list((study_dir / "reevaluation").glob("round_*"))) == rounds + 1
    for number, record in stored["trials"].items():  # retrained on the same keys: the same values
        for key in ("final_performance", "per_seed_final_returns"):
            assert after["trials"][number]["metrics"][key] == record["metrics"][key]
