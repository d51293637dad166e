"""Bad input to a study and the commands around it, table-driven as tests/test_bad_input.py (which is full):
every case is one CLI call that prints one line `hyperlax: error: ...` naming the problem, exits with code 2
and leaves the directory tree exactly as it was. A case may name a package to hide, as if not installed."""

import importlib.util
import json

import pytest

from tests.bad_input import SEARCH, STORED_STUDY, assert_refused, materialize

LAYERS = "algorithm.network.actor_network.pre_torso.layer_sizes"
GRID = json.dumps({LAYERS: [[8], [4, 4]], "algorithm.hyperparam.actor_lr": [0.001, 0.003]})

HP = "algorithm.hyperparam"


def conditional(condition: str, other: str = "") -> dict:
    """A spec whose search space makes gamma conditional on `condition` (YAML flow mapping), plus `other`."""
    return {"s.yaml": f"search_space:\n  {HP}.gamma: {{uniform: [0.9, 0.99], enabled_if: {condition}}}\n{other}"}


STUDY_DIR = {"s/study.json": json.dumps(STORED_STUDY)}  # a cartpole study
VALIDATE = ["validate-best", "--study-dir", "{tmp}/s", "--env-config"]

# (argv, files, message, a package hidden for the case or None)
CASES = [
    ([*VALIDATE, "gymnax.acrobot"], STUDY_DIR, "differ from the study's gymnax.cartpole (observations of shape", None),
    ([*VALIDATE, "gymnax.pendulum"], STUDY_DIR, "its observations of shape (3,), continuous actions of size 1", None),
    ([*VALIDATE, "gymnax.nowhere"], STUDY_DIR, "unknown env config 'gymnax.nowhere'", None),
    ([*VALIDATE, "gymnax.acrobot"], {"s/pbt.json": "{}"}, "a pbt-search schedule is replayed on its own env", None),
    (
        [*SEARCH, "--spec", "{tmp}/s.yaml"],
        conditional("{algorithm.x: 1}"),
        "enabled_if: unknown hyperparameter key",
        None,
    ),
    ([*SEARCH, "--spec", "{tmp}/s.yaml"], conditional("[1]"), "enabled_if: expected a mapping of dotted keys", None),
    ([*SEARCH, "--spec", "{tmp}/s.yaml"], conditional(f"{{{HP}.actor_lr: 0.001}}"), "actor_lr is searched with", None),
    ([*SEARCH, "--spec", "{tmp}/s.yaml"], conditional(f"{{{LAYERS}: [16]}}"), "[16] is not one of its choices", None),
    (
        [*SEARCH, "--spec", "{tmp}/s.yaml"],
        conditional(
            f"{{{LAYERS}: [8]}}", f"  {LAYERS}: {{categorical: [[8], [4, 4]], enabled_if: {{{HP}.gamma: 0.9}}}}\n"
        ),
        "enabled_if conditions form a cycle",
        None,
    ),
    ([*SEARCH, "--spec", "{tmp}/s.yaml"], conditional(f"{{{HP}.gamma: 0.9}}"), "form a cycle", None),
    ([*SEARCH, "--sampler", "grid"], {}, "--sampler grid walks a --grid", None),
    ([*SEARCH, "--grid", GRID], {}, "--grid is walked by --sampler grid, not --sampler tpe", None),
    ([*SEARCH, "--sampler", "grid", "--grid", GRID, "--n-trials", "5"], {}, "the grid has 4 combinations", None),
    ([*SEARCH, "--sampler", "grid", "--grid", "{"], {}, "--grid is not JSON", None),
    ([*SEARCH, "--sampler", "grid", "--grid", "[1]"], {}, "--grid: expected a mapping of dotted keys", None),
    ([*SEARCH, "--sampler", "grid", "--grid", '{"algorithm.x": [1]}'], {}, "--grid: unknown hyperparameter key", None),
    ([*SEARCH, "--sampler", "grid", "--grid", json.dumps({LAYERS: []})], {}, "expected a non-empty list", None),
    ([*SEARCH, "--sampler", "grid", "--grid", json.dumps({LAYERS: [[8], [8]]})], {}, "lists a value twice", None),
    ([*SEARCH, "--sampler", "grid", "--grid", json.dumps({LAYERS: [[0]]})], {}, "a value of " + LAYERS, None),
    ([*SEARCH, "--spec", "{tmp}/s.yaml"], {"s.yaml": "sampler: grid\ngrid: [1]\n"}, "grid must map dotted keys", None),
    (
        [*SEARCH, "--spec", "{tmp}/s.yaml"],
        {"s.yaml": f"sampler: grid\ngrid:\n  {LAYERS}: [[8]]\nfixed:\n  {LAYERS}: [4]\n"},
        "--grid and the spec's fixed both name " + LAYERS,
        None,
    ),
    ([*SEARCH, "--wandb-project", ""], {}, "--wandb-project '': expected a W&B project name", None),
    ([*SEARCH, "--wandb-project", "team/project"], {}, "--wandb-project 'team/project': expected", None),
    ([*SEARCH, "--wandb-project", "p"], {}, 'needs the wandb package: pip install -e ".[wandb]"', "wandb"),
    ([*SEARCH, "--tensorboard-dir", "{tmp}/f"], {"f": "x"}, "--tensorboard-dir '{tmp}/f': expected a directory", None),
    ([*SEARCH, "--tensorboard-dir", "{tmp}/tb"], {}, 'pip install -e ".[tensorboard]"', "tensorboardX"),
    (
        [*SEARCH, "--mlflow-tracking-uri", "file:m"],
        {},
        'needs the mlflow package: pip install -e ".[mlflow]"',
        "mlflow",
    ),
]


def case_id(case) -> str:
    return case[2][:50]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_bad_study_input_is_one_line_exit_2_and_changes_nothing(case, tmp_path, capsys, monkeypatch):
    argv, files, message, hidden = case
    materialize(tmp_path, files)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    message = message.replace("{tmp}", str(tmp_path))
    if hidden is not None:
        find_spec = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util, "find_spec", lambda name, *a: None if name == hidden else find_spec(name, *a)
        )
    monkeypatch.chdir(tmp_path)  # the default --output-root, hyperlax_runs, would land here
    assert_refused(argv, message, tmp_path, capsys)
