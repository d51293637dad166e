"""Bad input to a study and the commands around it, table-driven as tests/test_bad_input.py (which is full):
every case is one CLI call that prints one line `hyperlax: error: ...` naming the problem, exits with code 2
and leaves the directory tree exactly as it was. A case may name a package to hide, as if not installed."""

import importlib.util

import pytest

from hyperlax.cli.main import main
from tests.test_bad_input import SEARCH, materialize, snapshot

# (argv, files, message, a package hidden for the case or None)
CASES = [
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
    before = snapshot(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("hyperlax: error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before
