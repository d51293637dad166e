"""Cost objectives, --constraint, the per-trial lines and the 80-column progress line."""

import csv
import json
from contextlib import redirect_stdout
from io import StringIO

import pytest
from rich.console import Console

from hyperlax.commands.study._constraints import Bound, parse_bound
from hyperlax.commands.study._lines import trial_line
from hyperlax.errors import InputError
from hyperlax.results.progress import BatchProgress
from tests.test_search import SEARCH, run_cli, study_dir_of

LR = "algorithm.hyperparam.actor_lr"


def test_a_bound_reads_metric_operator_and_limit_and_is_met_at_zero_or_less():
    bound = parse_bound(" param_count <= 20000 ")
    assert bound == Bound("param_count", "<=", 20000.0)
    assert bound.violation({"param_count": 19000}) == -1000
    assert parse_bound("final_performance>=100").violation({"final_performance": 90}) == 10
    assert parse_bound("wall_seconds<=5").violation({}) == float("inf")  # a metric the trial lacks misses it
    with pytest.raises(InputError, match="expected METRIC<=VALUE"):
        parse_bound("param_count=3")


def test_a_trial_line_names_the_parameters_that_differ_from_the_defaults():
    defaults = {LR: 1e-3, "algorithm.hyperparam.gamma": 0.99}
    line = trial_line(7, "COMPLETE", [123.456], "", {LR: 3e-4, "algorithm.hyperparam.gamma": 0.99}, defaults, [-1.0])
    assert line == "trial 7 COMPLETE 123.46 · actor_lr=0.0003"
    assert trial_line(8, "PRUNED", [None], "pruned after 64 env steps", {}, {}, [2.0]).endswith("(infeasible)")


def test_the_progress_line_fits_80_columns_and_counts_trials_once():
    out = StringIO()
    console = Console(width=80, file=out, force_terminal=False)
    with BatchProgress(console, 16, 20, "trials") as progress:
        progress.set_done(16, 137_899.0 * 10, 10.0)
        progress.set_extra("best -392.64")
    [line] = [text for text in out.getvalue().splitlines() if text.strip()]
    assert len(line) <= 80 and "…" not in line
    assert "16/16 trials · 137.9k env-steps/s · best -392.64" in line and line.count("16/16") == 1


@pytest.fixture(scope="module")
def constrained(tmp_path_factory):
    """Tiny PPO's actor has 107 parameters with layers [8] and 99 with [4, 4]: a bound between them."""
    root = tmp_path_factory.mktemp("constrained")
    argv = [*SEARCH, "--study-name", "constrained", "--n-trials", "6", "--output-root", str(root)]
    with redirect_stdout(StringIO()) as out:
        code, _, _ = run_cli([*argv, "--constraint", "param_count<=100", "--objective-names", "final_performance"])
    assert code == 0
    return study_dir_of(root), out.getvalue()


def test_a_constrained_studys_best_trial_satisfies_its_constraint(constrained):
    study_dir, _ = constrained
    best = json.loads((study_dir / "best_optuna_params.json").read_text())["best_trial"]
    assert best["metrics"]["param_count"] <= 100 and max(best["constraint"]) <= 0
    rows = list(csv.DictReader((study_dir / "trials.csv").open()))
    assert {r["feasible"] for r in rows} == {"True", "False"}  # both kinds drawn, marked apart
    for row in rows:
        assert (row["feasible"] == "True") == (int(row["user_attrs_param_count"]) <= 100)
        assert float(row["user_attrs_wall_seconds"]) > 0


def test_each_told_trial_prints_one_line_and_infeasible_ones_say_so(constrained):
    _, out = constrained
    lines = [line for line in out.splitlines() if line.startswith("trial ")]
    assert [line.split()[1] for line in lines] == [str(n) for n in range(6)]
    assert any(line.split(" · ")[0].endswith("(infeasible)") for line in lines)


def test_study_status_counts_feasible_and_infeasible_trials(constrained, capsys):
    study_dir, _ = constrained
    code, out, _ = run_cli(["study-status", "--study-dir", str(study_dir)], capsys)
    assert code == 0
    assert "constraints param_count<=100: " in out and " infeasible trials" in out


def test_patience_stops_asking_once_k_trials_finished_after_the_best_and_says_why(tmp_path, capsys):
    argv = [*SEARCH, "--study-name", "patient", "--n-trials", "12", "--output-root", str(tmp_path)]
    argv += ["--patience", "1", "--optuna-study-batch-size", "1", "--runner-hparam-batch-size", "1"]
    code, out, _ = run_cli(argv, capsys)
    assert code == 0
    assert "--patience 1: best " in out.replace("\n", " ")
    study = json.loads((study_dir_of(tmp_path) / "best_optuna_params.json").read_text())
    assert study["finished_trials"] < 12


def test_the_header_says_trials_at_once_and_programs_in_lines_of_80_columns():
    from types import SimpleNamespace

    from hyperlax.commands.study._lines import header_lines

    args = SimpleNamespace(study_name="ppo_mlp_gymnax_pendulum", n_trials=16, objective_names=["final_performance"],
                           objective_directions=["maximize"], constraint=None, sampler="tpe", pruner="none",
                           runner_hparam_batch_size=8)  # fmt: skip
    spec = SimpleNamespace(name="gymnax.pendulum", env_id="Pendulum-v1")
    settings = SimpleNamespace(num_seeds=2, total_timesteps=50_000)
    lines = header_lines(
        args, SimpleNamespace(name="ppo_mlp"), spec, settings, 1, "sqlite:///runs/x/optuna_study.db", False
    )
    assert all(len(line) <= 80 for line in lines)
    assert "  up to 8 trials at once, in programs of 1 trial × 2 seeds" in lines


def test_a_reevaluated_record_carries_the_trials_param_count():
    from types import SimpleNamespace

    from hyperlax.commands.study._reevaluate import with_param_counts

    trials = [SimpleNamespace(number=3, user_attrs={"param_count": 1234}), SimpleNamespace(number=4, user_attrs={})]
    records = {3: {"status": "ok", "metrics": {"final_performance": 1.0}}, 4: {"status": "ok", "metrics": {}}}
    carried = with_param_counts(records, trials)
    assert carried[3]["metrics"] == {"final_performance": 1.0, "param_count": 1234}
    assert carried[4]["metrics"] == {}
