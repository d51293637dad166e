"""A best value at an edge of its range: the check on each distribution's scale, the study's records and
warnings, and a real study whose best cannot miss an edge."""

import json
from contextlib import redirect_stdout
from io import StringIO

import optuna
import pytest
import yaml

from hyperlax.commands.pbt.search import winner_range_edges
from hyperlax.commands.study._params import suggest_values
from hyperlax.commands.study._reports import range_edge_lines, selected_range_edges
from hyperlax.space.distributions import Categorical, IntLog, LogUniform, Uniform, UniformInt
from hyperlax.space.edges import edge_warning, range_edge, range_edges
from hyperlax.space.recipes import load_recipe
from tests.conftest import TINY_PPO
from tests.test_search import SEARCH, run_cli, study_dir_of

GAMMA, LR, EPOCHS = "algorithm.hyperparam.gamma", "algorithm.hyperparam.actor_lr", "algorithm.hyperparam.epochs"
LAYERS = "algorithm.network.actor_network.pre_torso.layer_sizes"
MINIBATCHES, CLIP = "algorithm.hyperparam.num_minibatches", "algorithm.hyperparam.clip_eps"


@pytest.mark.parametrize(
    ("value", "edge"),
    [(0.8, "low"), (0.8099, "low"), (0.8101, None), (0.9, None), (0.9899, None), (0.9901, "high"), (1.0, "high")],
)
def test_a_uniform_value_is_at_an_edge_within_5_percent_of_the_width_of_a_bound(value, edge):
    assert range_edge(Uniform(domain=(0.8, 1.0)), value) == edge


def test_a_log_range_is_measured_on_its_log_scale():
    lr = LogUniform(domain=(1e-5, 1e-1))  # four decades: 5% of the width is 0.2 decade
    assert range_edge(lr, 1.5e-5) == "low"  # 0.18 decade above the low bound
    assert range_edge(lr, 2e-5) is None  # 0.30 decade: in the middle, though within 0.01% of the linear width
    assert range_edge(lr, 0.07) == "high"  # 0.15 decade below the high bound
    assert range_edge(lr, 0.05) is None  # 0.30 decade below it, though 50% of the linear width from it
    assert range_edge(Uniform(domain=(1e-5, 1e-1)), 2e-5) == "low"  # the same value on a linear scale


def test_integer_ranges_have_edges_at_their_bounds_and_on_their_scale():
    assert [range_edge(UniformInt(domain=(1, 10)), v) for v in (1, 2, 9, 10)] == ["low", None, None, "high"]
    assert [range_edge(UniformInt(domain=(1, 2)), v) for v in (1, 2)] == ["low", "high"]  # no middle
    assert [range_edge(UniformInt(domain=(0, 100)), v) for v in (5, 6, 94, 95)] == ["low", None, None, "high"]
    steps = IntLog(domain=(16, 4096))  # 8 doublings: 5% is 0.4 doubling
    assert [range_edge(steps, v) for v in (16, 21, 22, 256, 3104, 3200)] == ["low", "low", None, None, None, "high"]


def test_a_degenerate_range_a_categorical_and_a_non_number_have_no_edge():
    assert range_edge(Uniform(domain=(0.9, 0.9)), 0.9) is None
    assert range_edge(UniformInt(domain=(3, 3)), 3) is None
    assert range_edge(Categorical(values=[0.1, 0.2, 0.3]), 0.1) is None
    assert range_edge(Uniform(domain=(0.0, 1.0)), True) is None
    assert range_edge(None, 0.5) is None  # a fixed value: no distribution


def test_range_edges_lists_only_values_at_an_edge_with_their_range():
    space = {GAMMA: Uniform(domain=(0.8, 0.999)), LR: LogUniform(domain=(1e-5, 3e-3)), LAYERS: Categorical([[8]])}
    values = {GAMMA: 0.805, LR: 3e-4, LAYERS: [8], "algorithm.hyperparam.clip_eps": 0.2}  # clip_eps fixed
    [record] = range_edges(values, space)
    assert record == {"key": GAMMA, "value": 0.805, "edge": "low", "distribution": "Uniform", "domain": [0.8, 0.999]}
    assert edge_warning(record) == (
        f"warning: best {GAMMA} = 0.805 sits at the low edge of Uniform(0.8, 0.999) (within 5% of its range); "
        "widen the range below 0.8 with --search-space and run again"
    )
    high = range_edges({LR: 2.9e-3}, space)[0]
    assert edge_warning(high, "Pareto trial 3's").startswith(f"warning: Pareto trial 3's {LR} = 0.0029 sits at")
    assert "(within 5% of its log range); widen the range above 0.003 with" in edge_warning(high)


SPACE = {GAMMA: Uniform(domain=(0.8, 0.999)), EPOCHS: UniformInt(domain=(1, 10)), LAYERS: Categorical([[8], [4]])}


def told(study, params: dict, values):
    """A trial of `study` drawn through suggest_values with `params` enqueued, told `values`."""
    study.enqueue_trial({k: json.dumps(v) if k == LAYERS else v for k, v in params.items()})
    trial = study.ask()
    suggest_values(trial, SPACE)
    study.tell(trial, values)


def test_a_study_records_the_selected_trials_values_at_an_edge_from_the_distributions_they_were_drawn_from():
    study = optuna.create_study(direction="maximize")
    study.set_user_attr("hyperlax", {"json_encoded_params": [LAYERS]})
    told(study, {GAMMA: 0.998, EPOCHS: 1, LAYERS: [4]}, 1.0)  # at two edges, but not the best
    told(study, {GAMMA: 0.9, EPOCHS: 10, LAYERS: [8]}, 2.0)
    records = selected_range_edges(study)
    assert records == [
        {"trial": 1, "key": EPOCHS, "value": 10, "edge": "high", "distribution": "UniformInt", "domain": [1, 10]}
    ]
    assert range_edge_lines(study, records) == [edge_warning(records[0], "best")]


def test_each_pareto_trial_is_checked_and_named():
    study = optuna.create_study(directions=["maximize", "maximize"])
    told(study, {GAMMA: 0.801, EPOCHS: 5, LAYERS: [8]}, [1.0, 2.0])
    told(study, {GAMMA: 0.9, EPOCHS: 5, LAYERS: [8]}, [2.0, 1.0])
    told(study, {GAMMA: 0.999, EPOCHS: 10, LAYERS: [8]}, [0.5, 0.5])  # dominated: not checked
    records = selected_range_edges(study)
    assert [(r["trial"], r["key"], r["edge"]) for r in records] == [(0, GAMMA, "low")]
    [line] = range_edge_lines(study, records)
    assert line.startswith(f"warning: Pareto trial 0's {GAMMA} = 0.801 sits at the low edge")


def test_a_pbt_winners_final_values_are_checked_against_the_recipes_ranges():
    recipe = load_recipe(TINY_PPO)  # searches actor_lr in (1e-4, 1e-2) and gamma in (0.9, 0.99); layers fixed
    final = {LR: 1e-2, GAMMA: 0.95, LAYERS: [8]}
    winner = {"member": 2, "schedule": [{"hparams": {LR: 1e-3, GAMMA: 0.9}}, {"hparams": final}]}
    [record] = winner_range_edges(winner, recipe)
    assert (record["key"], record["edge"], record["distribution"]) == (LR, "high", "LogUniform")


@pytest.fixture(scope="module")
def edged(tmp_path_factory):
    """A study whose only ranged parameter has two values, each at an edge: its best is at one, whichever."""
    root = tmp_path_factory.mktemp("edged")
    space = {MINIBATCHES: {"int": [1, 2]}, CLIP: {"categorical": [0.1, 0.3]}}
    argv = [*SEARCH, "--study-name", "edged", "--n-trials", "4", "--output-root", str(root)]
    argv += ["--search-space", json.dumps({"mode": "replace", "search_space": space})]
    with redirect_stdout(StringIO()) as out:
        code, _, _ = run_cli(argv)
    assert code == 0
    return study_dir_of(root), out.getvalue()


def test_a_study_warns_and_records_that_its_best_sits_at_an_edge(edged, capsys):
    edged, printed = edged
    summary = json.loads((edged / "best_optuna_params.json").read_text())
    best = summary["best_trial"]
    value = best["params"][MINIBATCHES]
    expected = {"trial": best["number"], "key": MINIBATCHES, "value": value, "edge": "low" if value == 1 else "high",
                "distribution": "UniformInt", "domain": [1, 2]}  # fmt: skip
    assert summary["range_edges"] == [expected]  # clip_eps, a categorical, is never at an edge
    line = edge_warning(expected)
    assert [text for text in printed.splitlines() if text.startswith("warning:")] == [line]  # at the study's end
    code, out, _ = run_cli(["study-plots", "--study-dir", str(edged)], capsys)
    assert code == 0 and [text for text in out.splitlines() if text.startswith("warning:")] == [line]
    code, out, _ = run_cli(["study-best", "--study-dir", str(edged)], capsys)
    assert code == 0 and json.loads(out)["range_edges"] == [expected]
    code, out, _ = run_cli(["study-best", "--study-dir", str(edged), "--format", "yaml"], capsys)
    assert code == 0 and f"# {line}\n" in out
    assert yaml.safe_load(out)["fixed"][MINIBATCHES] == value
